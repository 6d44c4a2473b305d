"""Benchmark: the engine's check-in API beside a textbook check-in and the trivial endpoint.

One production server (gunicorn sync workers serving config.wsgi by default; uvicorn with
--servers uvicorn), started with `benchmarks.textbook.settings` (the product's settings plus the
reference app, whose tables and URL exist only in benchmarks), on PostgreSQL and Redis. In one run,
interleaved round by round so that the machine's other load falls on all three alike, 16 clients
in a closed loop call:

  * `GET /api/ping`: a bare Django JSON view, the ceiling of this box;
  * `POST /bench/textbook/check-in`: the textbook check-in (benchmarks/textbook/views.py): DRF
    APIView, validate, `transaction.atomic`, `select_for_update` the member, close an open visit,
    create the row, `F()` counter; no auth, no rules, no events;
  * `POST /api/v1/check-ins/` with `Authorization: Device <kiosk key>`: the engine (device key,
    tenancy, rules, plugins, the row, rollup, counters, audit of refusals, live events).

Every check-in names a different, returning member (one earlier visit). The engine's organization
has `{"duplicate_scan_seconds": 0, "on_open_session": "close_and_reopen"}` so that a pool that
wraps around still checks in. Non-2xx answers are counted and fail the run.

Then the engine alone at an offered 100 check-ins/s in an open loop (requests sent on a fixed
schedule whatever the answers; latency counted from the scheduled time), for its p99.

Prints `engine/textbook throughput ratio` (target >= 1.0), the open-loop p99 (target < 50 ms) and
CPU per check-in (server + PostgreSQL backends).

Load generator: `wrk` if installed, else Python clients (2 processes x 8 threads, keep-alive) on
the same 2 cores, which take CPU from the server: figures are lower bounds, the ratio is fair.

    .venv/bin/python benchmarks/engine_checkin_api.py [--quick] [--rounds N] [--duration S] [--servers gunicorn]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

HOST = common.HOST
PORTS = {"gunicorn": 8501, "uvicorn": 8502}
CLIENTS = 16
ORG_SLUG = "bench-checkin"
ORG_SETTINGS = {"duplicate_scan_seconds": 0, "on_open_session": "close_and_reopen"}
SETTINGS_MODULE = "benchmarks.textbook.settings"
RATIO_TARGET = 1.0
OPEN_LOOP_RATE = 100
P99_TARGET_MS = 50.0

WRK_SCRIPT = r"""
local counter = 0
local threads = {}
local next_tid = 0
local mode, lo, n, key, nthreads

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  lo = tonumber(args[2]); n = tonumber(args[3]); key = args[4]; nthreads = tonumber(args[5])
end

function request()
  if mode == "ping" then
    return wrk.format("GET", "/api/ping")
  end
  local id = lo + ((tid + counter * nthreads) % n)
  counter = counter + 1
  if mode == "textbook" then
    return wrk.format("POST", "/bench/textbook/check-in", {["Content-Type"] = "application/json"},
      '{"member_id": ' .. id .. ', "method": "qr_code"}')
  end
  return wrk.format("POST", "/api/v1/check-ins/",
    {["Content-Type"] = "application/json", ["Authorization"] = "Device " .. key},
    '{"attendee_id": ' .. id .. ', "method": "qr_code"}')
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "status_errors": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %f}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


# --- servers -------------------------------------------------------------------------------------


# --- CPU accounting ------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of the live processes in process group `pgid` (the server)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after "(comm)": state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def pid_cpu_seconds(pids) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def db_backend_pids() -> list[int]:
    """PostgreSQL backends connected to the benchmark database (the server's), other than ours."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
    connection.close()
    return pids


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent not idle (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICK


# --- load generators -----------------------------------------------------------------------------


def run_wrk(port: int, mode: str, duration: float, lo: int, n: int, key: str, script: Path) -> dict:
    threads = 2
    cmd = [
        "wrk", "-t", str(threads), "-c", str(CLIENTS), "-d", f"{max(1, round(duration))}s", "--timeout", "10s",
        "-s", str(script), f"http://{HOST}:{port}", "--", mode, str(lo), str(n), key, str(threads),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON "):])
    errors = sum(raw[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts"))
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "errors": errors,
        "rps": raw["requests"] / seconds,
        "p50": raw["p50_us"] / 1000,
        "p90": raw["p90_us"] / 1000,
        "p99": raw["p99_us"] / 1000,
        "max": raw["max_us"] / 1000,
        "raw": raw,
    }


def _python_client_worker(args) -> tuple[list[float], int, float]:
    """One client process: `threads` keep-alive sessions until the deadline or the request cap."""
    import requests

    port, mode, duration, cap, lo, n, key, offset, stride, threads = args
    started = time.time()
    deadline = started + duration  # from this process's start: spawning takes seconds on a busy box
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client(index: int) -> None:
        session = requests.Session()
        counter = 0
        mine: list[float] = []
        bad = 0
        while time.time() < deadline and counter < cap:
            member = lo + ((offset + index + counter * stride) % n)
            counter += 1
            t0 = time.perf_counter()
            try:
                if mode == "ping":
                    response = session.get(f"http://{HOST}:{port}/api/ping", timeout=10)
                elif mode == "textbook":
                    response = session.post(f"http://{HOST}:{port}/bench/textbook/check-in", timeout=10,
                                            json={"member_id": member, "method": "qr_code"})
                else:
                    response = session.post(
                        f"http://{HOST}:{port}/api/v1/check-ins/", timeout=10,
                        json={"attendee_id": member, "method": "qr_code"}, headers={"Authorization": f"Device {key}"},
                    )
                ok = response.status_code < 300
            except requests.RequestException:
                ok = False
            mine.append(time.perf_counter() - t0)
            bad += 0 if ok else 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return latencies, errors[0], time.time() - started


def run_python_client(port: int, mode: str, duration: float, lo: int, n: int, key: str) -> dict:
    from multiprocessing import get_context

    processes, threads = 2, CLIENTS // 2
    cap = 200_000  # per client thread: the loop is bounded in count as well as in time
    jobs = [(port, mode, duration, cap, lo, n, key, p * threads, CLIENTS, threads) for p in range(processes)]
    with get_context("spawn").Pool(processes) as pool:
        results = pool.map(_python_client_worker, jobs)
    elapsed = max(r[2] for r in results)
    latencies = [x for r in results for x in r[0]]
    return {
        "requests": len(latencies),
        "errors": sum(r[1] for r in results),
        "rps": len(latencies) / elapsed,
        "p50": common.percentile(latencies, 50) * 1000,
        "p90": common.percentile(latencies, 90) * 1000,
        "p99": common.percentile(latencies, 99) * 1000,
        "max": max(latencies) * 1000 if latencies else float("nan"),
    }


def run_open_loop(port: int, rate: float, duration: float, lo: int, n: int, key: str) -> dict:
    """Send engine check-ins on a fixed schedule (`rate` per second); latency from the scheduled time."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    local = threading.local()
    total = int(rate * duration)
    start = time.perf_counter() + 0.5

    def fire(index: int) -> tuple[float, bool]:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        scheduled = start + index / rate
        time.sleep(max(0.0, scheduled - time.perf_counter()))
        try:
            response = session.post(
                f"http://{HOST}:{port}/api/v1/check-ins/", timeout=10,
                json={"attendee_id": lo + index % n, "method": "qr_code"}, headers={"Authorization": f"Device {key}"},
            )
            ok = response.status_code < 300
        except requests.RequestException:
            ok = False
        return time.perf_counter() - scheduled, ok

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(fire, range(total)))
    latencies = [latency for latency, _ in results]
    return {
        "requests": total, "errors": sum(1 for _, ok in results if not ok),
        "rps": total / max(time.perf_counter() - start, 1e-9),
        "p50": common.percentile(latencies, 50) * 1000, "p90": common.percentile(latencies, 90) * 1000,
        "p99": common.percentile(latencies, 99) * 1000, "max": max(latencies) * 1000,
    }


# --- data ----------------------------------------------------------------------------------------


def prepare(pool_size: int):
    """The benchmark organization with `pool_size` returning members and a kiosk key.

    Each member visited once before (a closed check-in 20-44 h ago), so the member's rollup for
    the month usually exists and a benchmark check-in takes the engine's common path (a returning
    member), not the first-visit-of-the-month path. Returns (organization, first id, last id, key).
    """
    from organizations.services import device_key_create

    organization = common.fresh_organization(ORG_SLUG, settings=ORG_SETTINGS)
    organization.device_keys.all().delete()
    lo, hi = common.insert_members(organization, pool_size)
    ct = common.member_content_type_id()
    common.sql(
        """
        INSERT INTO attendance_checkin (
            organization_id, attendee_type_id, attendee_id, checked_in_at, checked_out_at, duration,
            method, source, kind, auto_closed, late_minutes, early_leave_minutes, location, notes,
            metadata, created_at)
        SELECT %(org)s, %(ct)s, m.id, t.at, t.at + interval '1 hour', interval '1 hour', 'qr_code', 'api',
               'visit', false, 0, 0, '', '', '{}'::jsonb, t.at
        FROM attendance_member m
        CROSS JOIN LATERAL (SELECT now() - interval '20 hours' - (m.id %% 1440) * interval '1 minute' AS at) t
        WHERE m.organization_id = %(org)s
        """,
        {"org": organization.pk, "ct": ct},
    )
    common.analyze()
    common.build_rollups(organization, ct)
    _, key = device_key_create(organization=organization, name="bench kiosk", kind="kiosk")
    for table in ("attendance_checkin", "attendance_member", "attendance_monthlyrollup"):
        common.sql(f"VACUUM ANALYZE {table}")
    return organization, lo, hi, key


def count_check_ins(organization) -> int:
    return common.sql_value("SELECT count(*) FROM attendance_checkin WHERE organization_id = %s", [organization.pk])




def prepare_textbook(pool_size: int) -> tuple[int, int]:
    """`pool_size` textbook members, each with one closed visit; returns (first id, last id)."""
    common.sql("TRUNCATE textbook_textbookvisit, textbook_textbookmember RESTART IDENTITY")
    common.sql("INSERT INTO textbook_textbookmember (name, visits, last_visit_at) "
               "SELECT 'member ' || g, 1, now() - interval '20 hours' FROM generate_series(1, %s) g", [pool_size])
    common.sql("INSERT INTO textbook_textbookvisit (member_id, checked_in_at, checked_out_at, method) "
               "SELECT id, now() - interval '20 hours', now() - interval '19 hours', 'qr_code' FROM textbook_textbookmember")
    for table in ("textbook_textbookvisit", "textbook_textbookmember"):
        common.sql(f"VACUUM ANALYZE {table}")
    return 1, pool_size


# --- main ----------------------------------------------------------------------------------------


def fmt(r: dict) -> str:
    line = (f"{r['rps']:8.0f} req/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  "
            f"requests {r['requests']}  errors {r['errors']}")
    if "server_cpu_ms" in r:
        line += f"\n{'':34}CPU per request: server {r['server_cpu_ms']:.2f} ms"
        if "db_cpu_ms" in r:
            line += f" + PostgreSQL {r['db_cpu_ms']:.2f} ms = {r['server_cpu_ms'] + r['db_cpu_ms']:.2f} ms"
    return line


def combine(parts: list[dict]) -> dict:
    """One figure from the interleaved rounds of one endpoint: total requests over total time."""
    requests = sum(p["requests"] for p in parts)
    seconds = sum(p["requests"] / p["rps"] for p in parts if p["rps"])
    out = {"requests": requests, "errors": sum(p["errors"] for p in parts), "rps": requests / seconds if seconds else 0.0,
           "p50": sorted(p["p50"] for p in parts)[len(parts) // 2], "p99": max(p["p99"] for p in parts)}
    for cpu in ("server_cpu_ms", "db_cpu_ms"):
        if all(cpu in p for p in parts):
            out[cpu] = sum(p[cpu] * p["requests"] for p in parts) / max(requests, 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per measurement instead of 10 s")
    parser.add_argument("--duration", type=float, default=None, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of ping, textbook, engine")
    parser.add_argument("--servers", default="gunicorn")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--uvicorn-workers", type=int, default=2)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--port", type=int, default=None, help="serve on this port instead of 8501/8502")
    args = parser.parse_args()
    duration = args.duration or (3.0 if common.QUICK else 10.0)
    open_loop_seconds = 10.0 if common.QUICK else 30.0
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"

    common.header(f"engine vs textbook check-in vs /api/ping, {CLIENTS} clients, {args.rounds} x {duration:g} s each")
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    common.setup_django(migrate=False)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)  # the reference has no migrations
    per_endpoint = int(1500 * (duration * args.rounds + 2) * 1.2)
    pool = per_endpoint + int(OPEN_LOOP_RATE * open_loop_seconds)
    print(f"   load generator: {client}, {CLIENTS} connections, same machine")
    script = Path(tempfile.mkdtemp(prefix="bench-wrk-")) / "bench.lua"
    script.write_text(WRK_SCRIPT)

    def load(port, mode, seconds, first, count, key, pgid=None):
        backends0 = pid_cpu_seconds(db_backend_pids()) if pgid else {}
        cpu0 = group_cpu_seconds(pgid) if pgid else 0.0
        if client == "wrk":
            result = run_wrk(port, mode, seconds, first, count, key, script)
        else:
            result = run_python_client(port, mode, seconds, first, count, key)
        if pgid:
            result["server_cpu_ms"] = (group_cpu_seconds(pgid) - cpu0) * 1000 / max(result["requests"], 1)
            backends1 = pid_cpu_seconds(list(backends0))
            if backends0 and len(backends1) == len(backends0):  # persistent connections: PostgreSQL's share
                used = sum(backends1[pid] - backends0[pid] for pid in backends1)
                result["db_cpu_ms"] = used * 1000 / max(result["requests"], 1)
        return result

    failed = False
    for kind in [s.strip() for s in args.servers.split(",") if s.strip()]:
        workers = args.gunicorn_workers if kind == "gunicorn" else args.uvicorn_workers
        with common.stopwatch(f"organization and {pool:,} returning members for the engine and for the textbook"):
            organization, lo, hi, key = prepare(pool)
            tlo, thi = prepare_textbook(pool)
        connection.close()
        log_path = Path(tempfile.gettempdir()) / f"bench-engine-{kind}.log"
        print(f"-- {kind} ({workers} workers), {SETTINGS_MODULE}; server log {log_path}; "
              f"load average {os.getloadavg()[0]:.1f} before start", flush=True)
        port = args.port or PORTS[kind]
        proc = common.start_server(kind, workers, port, log_path, SETTINGS_MODULE)
        try:
            warm = 200
            load(port, "ping", 1.0, lo, warm, key)
            load(port, "textbook", 1.0, tlo, warm, key)
            load(port, "checkin", 1.0, lo, warm, key)
            lo, tlo = lo + warm, tlo + warm
            rounds: dict[str, list[dict]] = {"ping": [], "textbook": [], "checkin": []}
            step = per_endpoint // args.rounds
            for r in range(args.rounds):
                rounds["ping"].append(load(port, "ping", duration, lo, step, key, proc.pid))
                rounds["textbook"].append(load(port, "textbook", duration, tlo + r * step, step, key, proc.pid))
                rounds["checkin"].append(load(port, "checkin", duration, lo + r * step, step, key, proc.pid))
            open_first = lo + args.rounds * step
            open_loop = run_open_loop(port, OPEN_LOOP_RATE, open_loop_seconds, open_first, hi - open_first + 1, key)
            connection.close()
        finally:
            common.stop_server(proc)
        ping, textbook, engine = (combine(rounds[m]) for m in ("ping", "textbook", "checkin"))
        print(f"   GET  /api/ping                {fmt(ping)}")
        print(f"   POST /bench/textbook/check-in {fmt(textbook)}")
        print(f"   POST /api/v1/check-ins/       {fmt(engine)}")
        for r in range(args.rounds):
            print(f"   round {r + 1}: ping {rounds['ping'][r]['rps']:.0f}/s, textbook {rounds['textbook'][r]['rps']:.0f}/s, "
                  f"engine {rounds['checkin'][r]['rps']:.0f}/s")
        ratio = engine["rps"] / textbook["rps"] if textbook["rps"] else 0.0
        print(f"   engine/textbook throughput ratio: {ratio:.2f} ({engine['rps']:.0f} / {textbook['rps']:.0f} req/s)")
        print(f"   engine/ping throughput ratio: {engine['rps'] / ping['rps']:.1%}" if ping["rps"] else "")
        print(f"   engine at an offered {OPEN_LOOP_RATE}/s (open loop, {open_loop_seconds:g} s): p50 {open_loop['p50']:.1f} ms, "
              f"p99 {open_loop['p99']:.1f} ms, max {open_loop['max']:.1f} ms, errors {open_loop['errors']}")
        if "db_cpu_ms" in engine:
            print(f"   CPU per check-in: engine {engine['server_cpu_ms']:.2f} + {engine['db_cpu_ms']:.2f} ms "
                  f"(server + PostgreSQL), textbook {textbook['server_cpu_ms']:.2f} + {textbook.get('db_cpu_ms', float('nan')):.2f} ms")
        errors = ping["errors"] + textbook["errors"] + engine["errors"] + open_loop["errors"]
        failed |= not common.target(f"{kind}: no failed requests", errors == 0, f"{errors} failed")
        common.target(f"{kind}: engine/textbook throughput ratio >= {RATIO_TARGET:g}", ratio >= RATIO_TARGET, f"{ratio:.2f}")
        common.target(f"{kind}: engine p99 at {OPEN_LOOP_RATE}/s < {P99_TARGET_MS:g} ms", open_loop["p99"] < P99_TARGET_MS,
                      f"p99 {open_loop['p99']:.1f} ms")
    return common.exit_code()


if __name__ == "__main__":
    sys.exit(main())
