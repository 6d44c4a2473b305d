"""Benchmark: CPU instructions per check-in request and per ping, counted by valgrind.

Throughput on this machine moves by 25 % from one run to the next with no change in the code, so
a small change cannot be judged by `engine_checkin_api.py` alone. Instructions can: callgrind
counts the instructions the Python process executes, whatever else the machine is doing, and the
same code gives the same count to within a fraction of a per cent.

Each figure comes from two runs of one in-process loop under `valgrind --tool=callgrind`: the
same set-up (Django with production settings, PostgreSQL, Redis, the check-in benchmark's
organization of returning members and its kiosk key), the same warm-up, then R or 2R requests
through Django's WSGI handler (`POST /api/v1/check-ins/` with `Authorization: Device`, or
`GET /api/ping`). The difference between the two counts, divided by R, is the cost of one request
in this process. It leaves out what the load benchmark also pays: gunicorn's HTTP handling, the
kernel, and PostgreSQL's and Redis's own CPU.

    .venv/bin/python benchmarks/engine_checkin_instructions.py [--quick] [--requests R] [--tree PATH]

--tree runs the same loop against another checkout (for example a `git worktree` of an older
commit, sharing this virtualenv): its application code and its `benchmarks/common.py` and
`engine_checkin_api.py`, so two versions of the code can be compared exactly. Needs
valgrind (`apt-get install valgrind`); without it the script says so and exits 0.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The code measured: this checkout, or the one --tree names (the parent passes it to the loop).
TREE = Path(os.environ.get("BENCH_TREE") or HERE.parent).resolve()
sys.path[:0] = [str(TREE / "benchmarks"), str(TREE)]
import common  # noqa: E402

WARMUP = 300


# --- the loop that runs under valgrind -----------------------------------------------------------


def inner(mode: str, warmup: int, requests: int, pool: int) -> None:
    """Set up, warm up, then serve `requests` requests of `mode` in this process."""
    from io import BytesIO

    os.environ.update(common.server_env("gunicorn"))  # the settings of the load benchmark's gunicorn
    common.setup_django(migrate=False)
    import engine_checkin_api
    from django.core.handlers.wsgi import WSGIHandler

    _, lo, _, key = engine_checkin_api.prepare(pool)
    handler = WSGIHandler()

    def call(index: int) -> None:
        body = b"" if mode == "ping" else json.dumps({"attendee_id": lo + index, "method": "qr_code"}).encode()
        environ = {
            "REQUEST_METHOD": "GET" if mode == "ping" else "POST",
            "PATH_INFO": "/api/ping" if mode == "ping" else "/api/v1/check-ins/",
            "SERVER_NAME": common.HOST, "SERVER_PORT": "80", "HTTP_HOST": common.HOST,
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Device {key}", "wsgi.input": BytesIO(body), "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        statuses = []
        response = handler(environ, lambda status, headers: statuses.append(status))
        b"".join(response)
        response.close()
        if not statuses[0].startswith(("200", "201")):
            raise SystemExit(f"{mode} request {index} answered {statuses[0]}")

    for index in range(warmup + requests):
        call(index)


# --- the parent: valgrind runs and arithmetic ----------------------------------------------------


def count_instructions(tree: Path, mode: str, requests: int, pool: int) -> int:
    """Instructions executed by one run of the loop (set-up, warm-up and `requests` requests)."""
    out_file = Path(tempfile.mkdtemp(prefix="bench-callgrind-")) / "callgrind.out"
    env = dict(os.environ, PYTHONHASHSEED="0", BENCH_TREE=str(tree))
    env.update(common.bench_env())
    cmd = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
        sys.executable, str(Path(__file__).resolve()),
        "--inner", mode, "--warmup", str(WARMUP), "--requests", str(requests), "--pool", str(pool),
    ]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=False)
    shutil.rmtree(out_file.parent, ignore_errors=True)
    match = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not match:
        raise SystemExit(f"valgrind run failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return int(match.group(1))


def per_request(tree: Path, mode: str, requests: int, pool: int) -> float:
    t0 = time.perf_counter()
    short = count_instructions(tree, mode, requests, pool)
    long = count_instructions(tree, mode, 2 * requests, pool)
    common.progress(f"{mode}: {short:,} and {long:,} instructions ({time.perf_counter() - t0:.0f} s)")
    return (long - short) / requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 requests per figure instead of 300")
    parser.add_argument("--requests", type=int, default=None, help="R: requests in the measured difference")
    parser.add_argument("--tree", type=Path, default=HERE.parent, help="the checkout whose code is measured")
    parser.add_argument("--inner", choices=("ping", "checkin"), help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, default=WARMUP, help=argparse.SUPPRESS)
    parser.add_argument("--pool", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    requests = args.requests or (100 if common.QUICK else 300)
    if args.inner:
        inner(args.inner, args.warmup, requests, args.pool)
        return 0

    common.header(f"instructions per request, in-process, under callgrind ({requests} requests per figure)")
    if not shutil.which("valgrind"):
        print("   valgrind is not installed (apt-get install valgrind); nothing measured")
        return 0
    tree = args.tree.resolve()
    print(f"   code: {tree}", flush=True)
    common.setup_django()  # creates and migrates the benchmark database for the loops
    pool = WARMUP + 2 * requests + 100
    ping = per_request(tree, "ping", requests, pool)
    check_in = per_request(tree, "checkin", requests, pool)
    print(f"   GET  /api/ping           {ping / 1e6:6.3f} M instructions per request")
    print(f"   POST /api/v1/check-ins/  {check_in / 1e6:6.3f} M instructions per request")
    print(f"   ping / check-in: {ping / check_in:.1%} (in this process only: no gunicorn, kernel or PostgreSQL)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
