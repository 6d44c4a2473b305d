"""Live events through faults: clock continuously while Redis is killed and frozen, Pusher stops and
slows, the relay and the Celery worker are killed; then count what every screen and Pusher got.

    .venv/bin/python benchmarks/realtime_faults.py [--quick]

Real processes: a Redis of its own (port 6415, append-only file; the channel layer, the cache and
the Celery broker), uvicorn (port 8205), `manage.py relay`, a Celery worker, and a Pusher-protocol
server that checks signatures (staff/tests/pusher_server.py, port 6515); BENCH_FAULT_PORTS="redis,http,pusher"
chooses other ports. Database att_bench_realtime (BENCH_DATABASE_URL). SCREENS WebSocket clients on /ws/hotel/<hotel>/ follow static/js/live.js's
rule: "Live" while the relay's heartbeat is at most interval + 1.5 s old, otherwise they reopen
the socket; they note when they would re-fetch their snapshot (every (re)connect, heartbeats
resuming after a silence, a sequence gap after the consumer's hello).

Prints: clocks sent (and the slowest clock requests, with the fault running then), events
delivered / lost / duplicated (before dedupe) / out of order (after dedupe) for the screens and for
Pusher, events a screen missed on the wire but showed through a snapshot re-fetch (Redis pub/sub
drops what is published while a subscriber reconnects: the heartbeat rule exists for that), and
the longest time a screen showed "Live" while a clock committed more than interval + margin ago
was neither delivered nor re-fetched. Targets: 0 lost, 0 out of order, 0 s Live while stale,
every clock request under 1 s, the worker alive.
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/att_bench_realtime")
REDIS_PORT, HTTP_PORT, PUSHER_PORT = (int(p) for p in os.environ.get("BENCH_FAULT_PORTS", "6415,8205,6515").split(","))
os.environ.setdefault("BENCH_REDIS_URL", f"redis://127.0.0.1:{REDIS_PORT}/0")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

SLUG = "bench-realtime-hotel"
SCREENS = 10 if common.QUICK else 20
PHASE = 4.0 if common.QUICK else 8.0  # seconds of each fault and of each quiet stretch
CLOCK_EVERY = 0.2
HEARTBEAT, MARGIN = 2.0, 1.5
VAR = common.ROOT / "var" / "bench-realtime"


def prepare() -> tuple[str, str]:
    from rest_framework.authtoken.models import Token

    from organizations.models import DeviceKey, DeviceKind, Membership, User
    from realtime.models import OutboxChannel, OutboxEvent
    from staff.models import Staff

    hotel = common.fresh_organization(SLUG, time_zone="Europe/Lisbon", settings={"duplicate_scan_seconds": 0})
    OutboxEvent.objects.all().delete()
    OutboxChannel.objects.all().delete()
    Staff.objects.filter(organization=hotel).delete()
    user, _ = User.objects.get_or_create(username="bench-realtime-clock")
    Membership.objects.get_or_create(organization=hotel, user=user, defaults={"role": "staff"})
    Staff.objects.create(organization=hotel, user=user, first_name="Fault", last_name="Clock")
    token, _ = Token.objects.get_or_create(user=user)
    raw_key = "dk_bench-realtime-display"
    DeviceKey.objects.update_or_create(
        key_hash=DeviceKey.hash_key(raw_key),
        defaults={"organization": hotel, "name": "Fault TV", "kind": DeviceKind.DISPLAY, "prefix": raw_key[:10]},
    )
    return token.key, raw_key


class Processes:
    """The real parts, each restartable; Redis keeps its data in an append-only file."""

    def __init__(self, pusher):
        VAR.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, **common.bench_env(), "DJANGO_SETTINGS_MODULE": "config.settings",
                    "LOG_LEVEL": "WARNING", "DJANGO_DEBUG": "false", "CELERY_BROKER_URL": common.bench_env()["REDIS_URL"],
                    "PUSHER_APP_ID": pusher.app_id, "PUSHER_KEY": pusher.key, "PUSHER_SECRET": pusher.secret,
                    "PUSHER_HOST": "127.0.0.1", "PUSHER_PORT": str(PUSHER_PORT), "PUSHER_SSL": "false"}
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        commands = {
            "redis": ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--dir", str(VAR),
                      "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            "web": [str(common.ROOT / ".venv/bin/uvicorn"), "config.asgi:application", "--host", "127.0.0.1",
                    "--port", str(HTTP_PORT), "--log-level", "warning", "--no-access-log"],
            "relay": [sys.executable, "manage.py", "relay"],
            "worker": [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=1",
                       "-Q", "default,meetings", "--without-mingle", "--without-gossip"],
        }
        log = open(VAR / f"{name}.log", "a")
        self.procs[name] = subprocess.Popen(commands[name], cwd=common.ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        if name in ("redis", "web"):
            port = REDIS_PORT if name == "redis" else HTTP_PORT
            deadline = time.monotonic() + 30
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start")
                time.sleep(0.1)

    def signal(self, name: str, sig: int) -> None:
        os.killpg(self.procs[name].pid, sig)
        if sig == signal.SIGKILL:
            self.procs[name].wait()

    def alive(self, name: str) -> bool:
        return self.procs[name].poll() is None

    def stop_all(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is None:
                if name == "redis":
                    os.killpg(proc.pid, signal.SIGCONT)
                common.stop_server(proc)


class Screen:
    """A screen as static/js/live.js runs it: it records what arrives and when it would re-fetch
    its snapshot (a resync): on every (re)connect, when heartbeats resume after a silence, and on
    a sequence gap (the consumer's hello gives the baseline)."""

    def __init__(self):
        self.events: list[tuple[str, int, str, float]] = []  # (event_id, sequence, clock_time, arrival)
        self.beats: list[float] = []
        self.reconnects: list[float] = []
        self.resyncs: list[float] = []

    async def run(self, url: str, origin: str, stop: asyncio.Event) -> None:
        import websockets

        while not stop.is_set():
            try:
                async with websockets.connect(url, origin=origin, open_timeout=5, ping_interval=None) as ws:
                    now = time.monotonic()
                    self.reconnects.append(now)
                    self.resyncs.append(now)
                    last, top = now, None
                    while not stop.is_set():
                        timeout = max(0.05, last + HEARTBEAT + MARGIN - time.monotonic())
                        try:
                            raw = await asyncio.wait_for(ws.recv(), timeout)
                        except TimeoutError:
                            break  # stale: reopen, as static/js/live.js does
                        now = time.monotonic()
                        message = json.loads(raw)
                        data = message["data"]
                        if message["event"] == "hello":
                            top = data["sequence"]
                        elif message["event"] == "heartbeat":
                            if self.beats and now - self.beats[-1] > HEARTBEAT + MARGIN:
                                self.resyncs.append(now)  # heartbeats resumed
                            self.beats.append(now)
                            last = now
                        elif message["event"] == "clock-status-updated":
                            if top is not None and data["sequence"] > top + 1:
                                self.resyncs.append(now)  # a gap
                            top = max(top or 0, data["sequence"])
                            self.events.append((data["event_id"], data["sequence"], data["clock_time"], now))
            except Exception:
                pass
            self.reconnects.append(time.monotonic())
            await asyncio.sleep(0.5)

    def live_at(self, t: float) -> bool:
        return any(b <= t < b + HEARTBEAT + MARGIN for b in self.beats)

    def caught_up(self, committed: float, clock_time: str, end: float) -> float:
        """When this screen showed the clock: its arrival, or the first resync after its commit."""
        arrived = next((at for _, _, c, at in self.events if c == clock_time), end)
        resynced = next((t for t in self.resyncs if t >= committed), end)
        return min(arrived, resynced)


def count(arrivals: list[tuple[str, int]]) -> tuple[int, int, int]:
    """(distinct, duplicated, out of order after dedupe) of (event_id, sequence) in arrival order."""
    seen, duplicated, out_of_order, top = set(), 0, 0, 0
    for event_id, sequence in arrivals:
        if event_id in seen:
            duplicated += 1
            continue
        seen.add(event_id)
        if sequence < top:
            out_of_order += 1
        top = max(top, sequence)
    return len(seen), duplicated, out_of_order


async def scenario(procs: Processes, pusher_box: dict, token: str, display_key: str) -> dict:
    import requests

    stop = asyncio.Event()
    screens = [Screen() for _ in range(SCREENS)]
    url = f"ws://127.0.0.1:{HTTP_PORT}/ws/hotel/{SLUG}/?key={display_key}"
    tasks = [asyncio.create_task(s.run(url, f"http://127.0.0.1:{HTTP_PORT}", stop)) for s in screens]
    await asyncio.sleep(HEARTBEAT + 1)
    clocks: list[tuple[str, float, float]] = []  # (clock_time, started, answered)
    errors: list[str] = []
    clocking = threading.Event()
    clocking.set()

    def clock_loop():
        session = requests.Session()
        while clocking.is_set():
            started = time.monotonic()
            try:
                response = session.post(f"http://127.0.0.1:{HTTP_PORT}/api/staff/{SLUG}/clock/",
                                        headers={"Authorization": f"Token {token}"}, timeout=10)
                if response.status_code == 200:
                    clocks.append((response.json()["clock_time"], started, time.monotonic()))
                else:
                    errors.append(f"{response.status_code} {response.text[:80]}")
            except Exception as exc:
                errors.append(repr(exc))
            time.sleep(max(0.0, CLOCK_EVERY - (time.monotonic() - started)))

    clocker = threading.Thread(target=clock_loop, daemon=True)
    clocker.start()

    phases = [("normal", time.monotonic())]

    async def phase(label, start_fault, end_fault):
        await asyncio.sleep(PHASE)
        common.progress(label)
        phases.append((label, time.monotonic()))
        start_fault()
        await asyncio.sleep(PHASE)
        end_fault()
        phases.append(("after: " + label, time.monotonic()))

    await phase("Redis killed (SIGKILL), then restarted", lambda: procs.signal("redis", signal.SIGKILL),
                lambda: procs.start("redis"))
    await phase("Redis frozen (SIGSTOP), then thawed", lambda: procs.signal("redis", signal.SIGSTOP),
                lambda: procs.signal("redis", signal.SIGCONT))
    await phase("Pusher stopped, then back", lambda: pusher_box["stop"](), lambda: pusher_box["start"]())
    await phase("Pusher slow (1 s per answer), then fast", lambda: setattr(pusher_box["server"], "delay", 1.0),
                lambda: setattr(pusher_box["server"], "delay", 0.0))
    await phase("relay killed (SIGKILL) mid-stream, then restarted", lambda: procs.signal("relay", signal.SIGKILL),
                lambda: procs.start("relay"))
    await phase("Celery worker killed (SIGKILL), then restarted", lambda: procs.signal("worker", signal.SIGKILL),
                lambda: procs.start("worker"))
    await asyncio.sleep(PHASE)
    clocking.clear()
    clocker.join()
    await asyncio.sleep(3 * HEARTBEAT)  # the last events drain
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"screens": screens, "clocks": clocks, "errors": errors, "end": time.monotonic(), "phases": phases}


def phase_at(phases: list[tuple[str, float]], t: float) -> str:
    return ([label for label, began in phases if began <= t] or ["normal"])[-1]


def live_while_stale(screen: Screen, clocks: list[tuple[str, float, float]], end: float) -> float:
    """The longest time the screen showed Live while a clock committed more than the heartbeat
    allowance ago was neither delivered nor covered by a snapshot re-fetch."""
    worst = 0.0
    for clock_time, _, committed in clocks:
        t, until, live_for = committed + HEARTBEAT + MARGIN, screen.caught_up(committed, clock_time, end), 0.0
        while t < until:
            live_for = live_for + 0.05 if screen.live_at(t) else 0.0
            worst = max(worst, live_for)
            t += 0.05
    return worst


def main() -> int:
    common.header("realtime: events through Redis, Pusher, relay and worker faults")
    common.setup_django()
    from staff.tests.pusher_server import PusherServer

    box = {}

    def start_pusher():
        server = PusherServer(port=PUSHER_PORT, app_id="4242", key="bench-key", secret="bench-secret")
        box["server"] = server.__enter__()
        box.setdefault("all", []).append(server)

    def stop_pusher():
        box["server"].__exit__(None, None, None)

    box["start"], box["stop"] = start_pusher, stop_pusher
    start_pusher()
    procs = Processes(box["server"])
    try:
        procs.start("redis")
        token, display_key = prepare()  # (saving a device key clears it from the Redis cache)
        for name in ("web", "relay", "worker"):
            procs.start(name)
        time.sleep(3)
        outcome = asyncio.run(scenario(procs, box, token, display_key))
        worker_alive = procs.alive("worker")
    finally:
        procs.stop_all()
        stop_pusher()

    clocks, screens = outcome["clocks"], outcome["screens"]
    sent = len(clocks)
    slowest = max((answered - started for _, started, answered in clocks), default=0.0)
    end = outcome["end"]
    lost = resynced = duplicated = out_of_order = delivered = 0
    for screen in screens:
        distinct, dup, ooo = count([(e, s) for e, s, _, _ in screen.events])
        delivered += distinct
        duplicated += dup
        out_of_order += ooo
        mine = {c for _, _, c, _ in screen.events}
        for clock_time, _, committed in clocks:
            if clock_time in mine:
                continue
            if screen.caught_up(committed, clock_time, end) < end:
                resynced += 1  # missed on the wire, shown through the snapshot re-fetch
            else:
                lost += 1
    pusher_arrivals = [(e["data"]["event_id"], e["data"]["sequence"]) for s in box["all"] for e in s.events
                       if e["name"] == "clock-status-updated"]
    p_distinct, p_dup, p_ooo = count(pusher_arrivals)
    stale = max((live_while_stale(s, clocks, end) for s in screens), default=0.0)
    slow = sorted(((answered - started, phase_at(outcome["phases"], started)) for _, started, answered in clocks),
                  reverse=True)[:3]

    print(f"   {SCREENS} screens, {sent} clocks sent ({len(outcome['errors'])} failed requests), slowest clock request {slowest * 1000:.0f} ms")
    print(f"   screens: delivered {delivered} of {sent * SCREENS}, lost {lost}, missed but re-fetched {resynced}, "
          f"duplicated (before dedupe) {duplicated}, out of order (after dedupe) {out_of_order}")
    print(f"   Pusher:  delivered {p_distinct} of {sent}, lost {sent - p_distinct}, duplicated (before dedupe) {p_dup}, "
          f"out of order (after dedupe) {p_ooo}")
    print(f"   longest 'Live' while stale (an event committed over {HEARTBEAT + MARGIN:.1f} s ago missing): {stale:.2f} s")
    print(f"   Celery worker alive at the end (after the Redis kill and its own): {worker_alive}")
    print("   slowest clock requests: " + ", ".join(f"{d * 1000:.0f} ms ({p})" for d, p in slow))
    if outcome["errors"]:
        print(f"   first failed requests: {outcome['errors'][:3]}")
    common.target("realtime faults: no event lost (screens)", lost == 0, f"{lost} lost")
    common.target("realtime faults: no event lost (Pusher)", p_distinct == sent, f"{sent - p_distinct} lost")
    common.target("realtime faults: in order after dedupe", out_of_order == 0 and p_ooo == 0,
                  f"{out_of_order} on screens, {p_ooo} on Pusher")
    common.target("realtime faults: no Live while stale", stale == 0, f"{stale:.2f} s")
    common.target("realtime faults: every clock under 1 s", slowest < 1.0 and not outcome["errors"],
                  f"slowest {slowest * 1000:.0f} ms, {len(outcome['errors'])} failed")
    common.target("realtime faults: the worker survives", worker_alive, "alive" if worker_alive else "exited")
    return common.exit_code()


if __name__ == "__main__":
    sys.exit(main())
