"""Staff clock fan-out: from a clock request to the event received on 1, 100 and 1,000 WebSocket
clients of the hotel, through the outbox and the relay (`manage.py relay`, woken by PostgreSQL's
NOTIFY) over the Redis channel layer, on real uvicorn processes (1 and 2 workers).

    .venv/bin/python benchmarks/staff_ws_fanout.py [--quick]

Database: att_bench_staff (override BENCH_DATABASE_URL); Redis db 5 (BENCH_REDIS_URL). For each
server set-up and client count: open the clients (display key, `?key=`), then make CLOCKS clock
requests one after another (POST /api/staff/<hotel>/clock/ with a token) and time, for every client,
from just before the request to the moment its socket delivers that `clock-status-updated` event.
Prints p50/p99/max, failed handshakes and lost events. Targets: p99 < 100 ms at 1,000 clients,
< 50 ms at 100; 0 failed handshakes and 0 lost events everywhere.
"""

import asyncio
import gc
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/att_bench_staff")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import uvloop  # noqa: E402 - the client side runs on uvloop too, as uvicorn's server does

_ports = [int(p) for p in os.environ.get("BENCH_PORTS", "8101,8102,8103").split(",")]
PORTS = dict(zip((1, 2), _ports))
# Where the clock requests go. "gunicorn" (default): a gunicorn of 2 sync workers on the third port,
# as production serves HTTP (README, Operations: gunicorn for HTTP, uvicorn for /ws/), so a request
# never waits in the event loop that is writing an event or a heartbeat to 1,000 sockets.
# "uvicorn": the same uvicorn that holds the sockets, as `make run` serves everything.
HTTP = os.environ.get("BENCH_HTTP", "gunicorn")
HTTP_PORT = _ports[2] if len(_ports) > 2 else 8103
CLIENT_COUNTS = [1, 100, 1000]
CLOCKS = 10 if common.QUICK else 30
EVENT_TIMEOUT = 5.0
HANDSHAKE_CONCURRENCY = 50
SLUG = "bench-staff-hotel"
WS_IMPL = os.environ.get("BENCH_WS_IMPL", "auto")  # uvicorn --ws: auto, websockets, websockets-sansio, wsproto
# permessage-deflate costs a zlib compress per client per event (and a decompress in each client)
# to save a few bytes on a 300-byte JSON message; uvicorn enables it by default, scripts/run.sh
# turns it off, and so does this benchmark unless BENCH_WS_DEFLATE=true.
WS_DEFLATE = os.environ.get("BENCH_WS_DEFLATE", "false").lower() in ("1", "true", "yes")
DB_POOL = os.environ.get("BENCH_DB_POOL", "8")  # DB_POOL_MAX_SIZE per uvicorn worker; 0: a connection per request
WORKER_SETUPS = [int(w) for w in os.environ.get("BENCH_WORKERS", "1,2").split(",")]
if os.environ.get("BENCH_CLIENTS"):
    CLIENT_COUNTS = [int(c) for c in os.environ["BENCH_CLIENTS"].split(",")]


def prepare() -> tuple[str, str]:
    """Create the hotel, one staff member with a token, and a display key; return (token, display key)."""
    from rest_framework.authtoken.models import Token

    from organizations.models import DeviceKey, DeviceKind, Membership, User
    from staff.models import Staff

    hotel = common.fresh_organization(SLUG, time_zone="Europe/Lisbon", settings={"duplicate_scan_seconds": 0})
    Staff.objects.filter(organization=hotel).delete()
    user, _ = User.objects.get_or_create(username="bench-staff-clock")
    Membership.objects.get_or_create(organization=hotel, user=user, defaults={"role": "staff"})
    Staff.objects.create(organization=hotel, user=user, first_name="Bench", last_name="Clock", department="Front desk")
    token, _ = Token.objects.get_or_create(user=user)
    raw_key = "dk_bench-staff-fanout-display"
    DeviceKey.objects.update_or_create(
        key_hash=DeviceKey.hash_key(raw_key),
        defaults={"organization": hotel, "name": "Bench TV", "kind": DeviceKind.DISPLAY, "prefix": raw_key[:10]},
    )
    return token.key, raw_key


def start_server(workers: int) -> subprocess.Popen:
    port = PORTS[workers]
    env = {**os.environ, **common.bench_env(), "DJANGO_DEBUG": "false", "LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "config.settings", "DB_POOL_MAX_SIZE": DB_POOL}
    proc = subprocess.Popen(
        [str(common.ROOT / ".venv/bin/uvicorn"), "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log", "--ws", WS_IMPL,
         "--ws-per-message-deflate", "true" if WS_DEFLATE else "false"],
        cwd=common.ROOT, env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        stop_server(proc)
        raise RuntimeError(f"uvicorn on port {port} did not start")
    time.sleep(1.0 * workers)  # let every worker import Django
    return proc


stop_server = common.stop_server


def start_relay() -> subprocess.Popen:
    """The outbox relay, its own process as in production (the servers record, it delivers)."""
    env = {**os.environ, **common.bench_env(), "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.Popen([sys.executable, "manage.py", "relay"], cwd=common.ROOT, env=env, start_new_session=True)


async def run_scenario(port: int, http_port: int, clients: int, token: str, display_key: str) -> dict:
    import requests
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/hotel/{SLUG}/?key={display_key}"
    origin = f"http://127.0.0.1:{port}"
    sockets, failed = [], 0
    gate = asyncio.Semaphore(HANDSHAKE_CONCURRENCY)

    async def open_one():
        nonlocal failed
        async with gate:
            try:
                ws = await websockets.connect(url, origin=origin, open_timeout=20, ping_interval=None,
                                              max_queue=None)
                sockets.append(ws)
            except Exception:
                failed += 1

    await asyncio.gather(*(open_one() for _ in range(clients)))
    received: list[dict[str, float]] = [dict() for _ in sockets]  # per client: clock_time -> receive time
    arrivals: dict[str, int] = {}
    everyone = asyncio.Event()  # set when every client has the current event (no polling: the client
    # process shares the two cores with the server, so it must stay as idle as it can)

    async def reader(index, ws):
        try:
            async for raw in ws:
                now = time.perf_counter()
                message = json.loads(raw)
                if message.get("event") == "clock-status-updated":
                    clock_time = message["data"]["clock_time"]
                    if clock_time in received[index]:
                        continue  # a repeat (delivery is at least once): the client dedupes it
                    received[index][clock_time] = now
                    arrivals[clock_time] = arrivals.get(clock_time, 0) + 1
                    if arrivals[clock_time] == len(sockets):
                        everyone.set()
        except Exception:
            pass

    readers = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(sockets)]
    await asyncio.sleep(0.5)  # every group_add has settled
    session = requests.Session()
    # One unmeasured clock first: the server's first request after start opens connections and fills caches.
    warm = await asyncio.to_thread(
        session.post, f"http://127.0.0.1:{http_port}/api/staff/{SLUG}/clock/", headers={"Authorization": f"Token {token}"}, timeout=10
    )
    warm.raise_for_status()
    everyone.clear()
    await asyncio.sleep(0.5)
    # The load generator's own garbage collector would stall every socket it reads for tens of ms
    # with 1,000 of them open; those pauses are the client's, not the server's, so it is off here.
    gc.collect()
    gc.disable()
    latencies, firsts, lost = [], [], 0
    requests_s, after_response = [], []  # the clock request alone; its response → the event on a screen
    for _ in range(CLOCKS):
        everyone.clear()
        started = time.perf_counter()
        response = await asyncio.to_thread(
            session.post, f"http://127.0.0.1:{http_port}/api/staff/{SLUG}/clock/",
            headers={"Authorization": f"Token {token}"}, timeout=10,
        )
        response.raise_for_status()
        answered = time.perf_counter()
        clock_time = response.json()["clock_time"]
        if arrivals.get(clock_time, 0) < len(sockets):
            try:
                await asyncio.wait_for(everyone.wait(), EVENT_TIMEOUT)
            except TimeoutError:
                pass
        arrived = [r[clock_time] - started for r in received if clock_time in r]
        lost += len(received) - len(arrived)
        latencies.extend(arrived)
        requests_s.append(answered - started)
        after_response.extend(r[clock_time] - answered for r in received if clock_time in r)
        if arrived:
            firsts.append(min(arrived))
        await asyncio.sleep(0.05)
    gc.enable()
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return {"latencies": latencies, "firsts": firsts, "failed": failed, "lost": lost, "connected": len(sockets),
            "requests": requests_s, "after_response": after_response}


def main() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    common.header("staff: clock → WebSocket fan-out")
    common.setup_django()
    from django.conf import settings

    layer = settings.CHANNEL_LAYERS["default"]
    print(f"   channel layer {layer['BACKEND']} config {json.dumps({k: v for k, v in layer['CONFIG'].items() if k != 'hosts'})}"
          f" on {common.bench_env()['REDIS_URL']}; DB_POOL_MAX_SIZE={DB_POOL}; uvicorn --ws {WS_IMPL} --ws-per-message-deflate {str(WS_DEFLATE).lower()}; clocks to {HTTP}"
          f"{f' (2 sync workers, port {HTTP_PORT})' if HTTP == 'gunicorn' else ' (the sockets server)'}; {CLOCKS} clocks per scenario", flush=True)
    token, display_key = prepare()
    results = {}
    relay = start_relay()
    http = common.start_server("gunicorn", 2, HTTP_PORT, Path("/tmp") / f"staff_ws_fanout_gunicorn_{HTTP_PORT}.log") \
        if HTTP == "gunicorn" else None
    for workers in WORKER_SETUPS:
        server = start_server(workers)
        try:
            for clients in CLIENT_COUNTS:
                outcome = uvloop.run(run_scenario(PORTS[workers], HTTP_PORT if http else PORTS[workers], clients, token, display_key))
                results[(workers, clients)] = outcome
                s = common.summary_ms(outcome["latencies"]) if outcome["latencies"] else {"p50": float("nan"), "p99": float("nan"), "max": float("nan")}
                print(f"   workers={workers} clients={clients:5d}: p50 {s['p50']:7.1f} ms  p99 {s['p99']:7.1f} ms  "
                      f"max {s['max']:7.1f} ms  first client p50 {common.summary_ms(outcome['firsts'])['p50'] if outcome['firsts'] else float('nan'):6.1f} ms  samples {len(outcome['latencies'])}  failed handshakes {outcome['failed']}  "
                      f"lost events {outcome['lost']}", flush=True)
                if outcome["requests"] and outcome["after_response"]:
                    r, a = common.summary_ms(outcome["requests"]), common.summary_ms(outcome["after_response"])
                    print(f"      of which the clock request p50 {r['p50']:7.1f} ms p99 {r['p99']:7.1f} ms; "
                          f"response → event (outbox, relay, layer, socket) p50 {a['p50']:7.1f} ms p99 {a['p99']:7.1f} ms",
                          flush=True)
        finally:
            stop_server(server)
    stop_server(relay)
    if http:
        stop_server(http)
    for (workers, clients), outcome in results.items():
        common.target(f"staff fan-out w{workers} c{clients} handshakes", outcome["failed"] == 0,
                      f"{outcome['failed']} failed of {clients}")
        common.target(f"staff fan-out w{workers} c{clients} events", outcome["lost"] == 0,
                      f"{outcome['lost']} lost of {clients * CLOCKS}")
    at_1000 = [common.percentile(r["latencies"], 99) for (w, c), r in results.items() if c == 1000 and r["latencies"]]
    if not at_1000:
        return common.exit_code()
    best = min(at_1000)
    common.target("staff fan-out p99 at 1000 clients", best * 1000 < 100, f"best p99 {best * 1000:.1f} ms (target < 100 ms)")
    at_100 = [common.percentile(r["latencies"], 99) for (w, c), r in results.items() if c == 100 and r["latencies"]]
    if at_100:
        common.target("staff fan-out p99 at 100 clients", min(at_100) * 1000 < 50,
                      f"best p99 {min(at_100) * 1000:.1f} ms (target < 50 ms)")
    return common.exit_code()


if __name__ == "__main__":
    sys.exit(main())
