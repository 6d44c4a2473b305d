"""Benchmark: the check-in API under 16 concurrent clients, beside the trivial JSON endpoint.

For each server (gunicorn with sync workers serving config.wsgi, and uvicorn serving config.asgi),
started as a production server (DJANGO_ENV=production, PostgreSQL, Redis channel layer) on
127.0.0.1, the same run measures:

  * `GET /api/ping` (a bare Django JSON view: the ceiling for this box), then
  * `POST /api/v1/check-ins/` with `Authorization: Device <kiosk key>` and
    `{"attendee_id": <member id>, "method": "qr_code"}`.

Every check-in names a different member (a pool of members, walked in order by every client), each
of whom visited once the day before, so each request is a returning member's check-in: attendee
lock, rules, the row, the rollup update, the counters, the after-commit broadcasts. The benchmark
organization also has
`{"duplicate_scan_seconds": 0, "on_open_session": "close_and_reopen"}` so that, should the pool
wrap around, a check-in still succeeds (it then also closes the member's previous session).
Non-2xx answers are counted and fail the run.

Load generator: `wrk` (C, event loop; `apt-get install wrk`) with 2 threads and 16 connections,
in a separate process on the same 2 cores as the server, so it takes some CPU from it. Without
wrk a Python client (2 processes x 8 threads, requests.Session keep-alive) is used; it costs the
server far more CPU and its figures are lower bounds.

Targets: check-in throughput >= 20 % of the ping throughput, check-in p99 < 50 ms (16 clients).

    .venv/bin/python benchmarks/engine_checkin_api.py [--quick] [--duration S] [--servers gunicorn,uvicorn]
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
THROUGHPUT_RATIO_TARGET = 0.20
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


def _python_client_worker(args) -> tuple[list[float], int, int]:
    """One client process: `threads` keep-alive sessions until the deadline or the request cap."""
    import requests

    port, mode, deadline, cap, lo, n, key, offset, stride, threads = args
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
    return latencies, errors[0], len(latencies)


def run_python_client(port: int, mode: str, duration: float, lo: int, n: int, key: str) -> dict:
    from multiprocessing import get_context

    processes, threads = 2, CLIENTS // 2
    start = time.time()
    deadline = start + duration
    cap = 200_000  # per client thread: the loop is bounded in count as well as in time
    jobs = [(port, mode, deadline, cap, lo, n, key, p * threads, CLIENTS, threads) for p in range(processes)]
    with get_context("spawn").Pool(processes) as pool:
        results = pool.map(_python_client_worker, jobs)
    elapsed = time.time() - start
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


# --- main ----------------------------------------------------------------------------------------


def fmt(r: dict) -> str:
    line = (f"{r['rps']:8.0f} req/s  p50 {r['p50']:6.1f} ms  p90 {r['p90']:6.1f} ms  p99 {r['p99']:6.1f} ms  "
            f"max {r['max']:7.1f} ms  requests {r['requests']}  errors {r['errors']}\n{'':29}")
    cpu = r.get("server_cpu_ms", float("nan"))
    line += f"CPU per request: server {cpu:.2f} ms"
    if "db_cpu_ms" in r:
        cpu += r["db_cpu_ms"]
        line += f" + PostgreSQL {r['db_cpu_ms']:.2f} ms = {cpu:.2f} ms -> ceiling {capacity(cpu):.0f} req/s on this box"
    return line + f"; machine busy {r['machine_busy']:.0%}, load average {r['load']:.1f}"


def capacity(cpu_ms: float) -> float:
    """Requests per second the machine's cores could serve at `cpu_ms` of CPU each (client excluded)."""
    return (os.cpu_count() or 1) * 1000 / cpu_ms if cpu_ms > 0 else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per measurement instead of 15 s")
    parser.add_argument("--duration", type=float, default=None, help="seconds per measurement")
    parser.add_argument("--servers", default="gunicorn,uvicorn")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--uvicorn-workers", type=int, default=2)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()
    duration = args.duration or (3.0 if common.QUICK else 15.0)
    warmup = 1.0 if common.QUICK else 3.0
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"

    common.header(f"check-in API vs /api/ping, {CLIENTS} concurrent clients, {duration:g} s per measurement")
    common.setup_django()
    from django.db import connection

    # Members enough for every check-in of every run to name a fresh member (estimate: 2000/s max).
    pool = int(2000 * (duration + warmup) * 1.2)
    print(f"   load generator: {client} ({'2 threads' if client == 'wrk' else '2 processes x 8 threads'}, "
          f"{CLIENTS} connections), same machine")

    script = Path(tempfile.mkdtemp(prefix="bench-wrk-")) / "bench.lua"
    script.write_text(WRK_SCRIPT)

    def load(port, mode, seconds, first, count, pgid=None):
        backends0 = pid_cpu_seconds(db_backend_pids()) if pgid else {}
        cpu0, busy0, t0 = group_cpu_seconds(pgid) if pgid else 0.0, machine_busy_seconds(), time.monotonic()
        if client == "wrk":
            result = run_wrk(port, mode, seconds, first, count, key, script)
        else:
            result = run_python_client(port, mode, seconds, first, count, key)
        wall = time.monotonic() - t0
        if pgid:
            result["server_cpu_ms"] = (group_cpu_seconds(pgid) - cpu0) * 1000 / max(result["requests"], 1)
            # Persistent connections (gunicorn) keep the same backends through the run: their CPU is
            # PostgreSQL's share. If the set of backends changed during the run (a pool that grew), it is not measured.
            backends1 = pid_cpu_seconds(list(backends0))
            if backends0 and len(backends1) == len(backends0):
                used = sum(backends1[pid] - backends0[pid] for pid in backends1)
                result["db_cpu_ms"] = used * 1000 / max(result["requests"], 1)
        result["machine_busy"] = (machine_busy_seconds() - busy0) / wall / (os.cpu_count() or 1)
        result["load"] = os.getloadavg()[0]
        return result

    results = {}
    for kind in [s.strip() for s in args.servers.split(",") if s.strip()]:
        workers = args.gunicorn_workers if kind == "gunicorn" else args.uvicorn_workers
        with common.stopwatch(f"organization, {pool:,} returning members, kiosk key"):
            organization, lo, hi, key = prepare(pool)
        connection.close()
        log_path = Path(tempfile.gettempdir()) / f"bench-engine-{kind}.log"
        label = f"{kind} ({workers} {'sync workers' if kind == 'gunicorn' else 'workers'}, "
        label += "config.wsgi)" if kind == "gunicorn" else "config.asgi)"
        busy0 = machine_busy_seconds()
        time.sleep(1.0)
        background = (machine_busy_seconds() - busy0) / (os.cpu_count() or 1)
        print(f"-- {label}; server log {log_path}", flush=True)
        print(f"   before the server starts, other processes keep the machine {background:.0%} busy "
              f"(load average {os.getloadavg()[0]:.1f})", flush=True)
        proc = common.start_server(kind, workers, PORTS[kind], log_path)
        try:
            port = PORTS[kind]
            # Warm-up: imports, DB connections, caches. Warm-up check-ins use the first half of the pool.
            half = (hi - lo + 1) // 2
            load(port, "ping", warmup, lo, half)
            load(port, "checkin", warmup, lo, half)
            ping = load(port, "ping", duration, lo, half, proc.pid)
            before = count_check_ins(organization)
            checkin = load(port, "checkin", duration, lo + half, hi - lo + 1 - half, proc.pid)
            time.sleep(0.5)  # requests still in flight when the client stopped
            created = count_check_ins(organization) - before
            connection.close()
        finally:
            common.stop_server(proc)
        print(f"   GET  /api/ping           {fmt(ping)}")
        print(f"   POST /api/v1/check-ins/  {fmt(checkin)}  (rows created {created})")
        ratio = checkin["rps"] / ping["rps"] if ping["rps"] else 0.0
        print(f"   check-in / ping throughput: {ratio:.1%}")
        results[kind] = (ping, checkin, ratio, created)

    print("\nsummary (16 concurrent clients):")
    print(f"   {'server':10} {'ping req/s':>10} {'ping p99':>9} {'check-in req/s':>15} {'p50':>7} {'p99':>7} {'ratio':>7}")
    for kind, (ping, checkin, ratio, _) in results.items():
        print(f"   {kind:10} {ping['rps']:10.0f} {ping['p99']:7.1f}ms {checkin['rps']:15.0f} "
              f"{checkin['p50']:5.1f}ms {checkin['p99']:5.1f}ms {ratio:7.1%}")
    for kind, (ping, checkin, ratio, created) in results.items():
        common.target(f"{kind}: no failed requests", ping["errors"] == 0 and checkin["errors"] == 0,
                      f"ping errors {ping['errors']}, check-in errors {checkin['errors']}, rows created {created}")
        common.target(f"{kind}: check-in throughput >= 20 % of ping", ratio >= THROUGHPUT_RATIO_TARGET,
                      f"{checkin['rps']:.0f} / {ping['rps']:.0f} req/s = {ratio:.1%}")
        common.target(f"{kind}: check-in p99 < {P99_TARGET_MS:g} ms", checkin["p99"] < P99_TARGET_MS,
                      f"p99 {checkin['p99']:.1f} ms (p50 {checkin['p50']:.1f} ms)")
    if len(results) > 1:
        best = max(results, key=lambda k: results[k][1]["rps"])
        print(f"\nfaster check-in server in this run: {best}")
    return common.exit_code()


if __name__ == "__main__":
    sys.exit(main())
