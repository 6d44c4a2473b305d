"""Run every benchmark in benchmarks/ (`<app>_*.py`) in turn and print a summary.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only PATTERN] [--timeout SECONDS]

--quick sets BENCH_QUICK=1 in each script's environment (scripts that support it use smaller data
and shorter runs; the engine's scripts do). Each script runs as its own process with a time
limit; its output is shown as it runs. A script's TARGET lines (`TARGET PASS|FAIL <name>: ...`)
and, failing those, any line containing PASS or FAIL are collected into the summary. The exit
status is 1 when a script failed a target, exited non-zero or timed out.
"""

import argparse
import fnmatch
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"run_all.py", "common.py"}
SCRIPT_NAME = re.compile(r"^[a-z][a-z0-9]*_[a-z0-9_]+\.py$")


def discover(pattern: str | None) -> list[Path]:
    scripts = sorted(p for p in HERE.glob("*_*.py") if p.name not in SKIP and SCRIPT_NAME.match(p.name))
    if pattern:
        scripts = [p for p in scripts if fnmatch.fnmatch(p.name, pattern) or pattern in p.name]
    return scripts


def run(script: Path, *, quick: bool, timeout: float) -> tuple[int | None, float, list[str]]:
    env = dict(os.environ)
    if quick:
        env["BENCH_QUICK"] = "1"
    started = time.monotonic()
    lines: list[str] = []
    proc = subprocess.Popen(
        [sys.executable, str(script)], cwd=HERE.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, bufsize=1, start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(f"  {line}", end="", flush=True)
            lines.append(line.rstrip("\n"))
            if time.monotonic() - started > timeout:
                raise subprocess.TimeoutExpired(proc.args, timeout)
        code = proc.wait(timeout=max(1.0, timeout - (time.monotonic() - started)))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 15)  # the script's own process group: it and the servers it started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)
        code = None
    return code, time.monotonic() - started, lines


def verdicts(lines: list[str]) -> list[str]:
    targets = [line.strip() for line in lines if line.startswith("TARGET ")]
    if targets:
        return targets
    return [line.strip() for line in lines if re.search(r"\b(PASS|FAIL)\b", line)]


def main() -> int:
    parser = argparse.ArgumentParser(description="Run every benchmarks/<app>_*.py script and summarize.")
    parser.add_argument("--quick", action="store_true", help="smaller data and shorter runs (BENCH_QUICK=1)")
    parser.add_argument("--only", default=None, help="run only scripts whose name matches this glob/substring")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per script (default 900)")
    args = parser.parse_args()

    scripts = discover(args.only)
    if not scripts:
        print("no benchmark scripts found")
        return 1
    print(f"running {len(scripts)} benchmark(s){' in quick mode' if args.quick else ''}: "
          f"{', '.join(p.name for p in scripts)}", flush=True)
    summary = []
    for script in scripts:
        print(f"\n### {script.name}", flush=True)
        code, elapsed, lines = run(script, quick=args.quick, timeout=args.timeout)
        found = verdicts(lines)
        failed = code != 0 or any("FAIL" in v for v in found)
        status = "TIMEOUT" if code is None else ("FAIL" if failed else "PASS")
        summary.append((script.name, status, elapsed, code, found))

    print("\n================ summary ================")
    for name, status, elapsed, code, found in summary:
        print(f"{status:7} {name}  ({elapsed:.0f} s, exit {code if code is not None else 'timeout'})")
        for verdict in found:
            print(f"          {verdict}")
    return 0 if all(status == "PASS" for _, status, *_ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
