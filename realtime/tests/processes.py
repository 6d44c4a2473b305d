"""Real processes for the fault tests: a Redis of our own (killed, frozen, restarted) and log waits."""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

# Ports for the tests' own redis-server (never the shared Redis): REALTIME_TEST_REDIS_PORTS="8390-8399"
# picks another range, so that test runs sharing a machine do not probe each other's ports.
_first, _last = (int(p) for p in os.environ.get("REALTIME_TEST_REDIS_PORTS", "8460-8479").split("-"))
REDIS_PORTS = range(_first, _last + 1)


def free_port(ports) -> int:
    """The first port of `ports` nothing listens on. Under pytest-xdist each worker probes its own
    share of the range: two workers probing the same port at once would both start a Redis there, one
    of them would fail to bind, and its test would then kill a Redis that is not the one it uses."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        ports = ports[int(worker[2:])::int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))]
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {ports}")


class RedisProcess:
    """`redis-server` on a port of REDIS_PORTS, with an append-only file (fsync always), so what
    it held survives a kill -9 and a restart, as a production broker's would."""

    def __init__(self, directory: Path):
        if not shutil.which("redis-server"):
            pytest.skip("redis-server is not installed")
        self.directory = directory
        self.port = free_port(REDIS_PORTS)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisProcess":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: socket.socket().connect_ex(("127.0.0.1", self.port)) == 0, 10, "redis to listen")
        time.sleep(0.1)
        if self.process.poll() is not None:
            raise AssertionError(f"redis-server exited ({self.process.returncode}): port {self.port} is someone else's")
        return self

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.thaw()
            self.kill()


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def wait_for_log(path: Path, text: str, timeout: float, *, after: int = 0, process=None) -> int:
    """Wait until `text` appears in the file at `path` past offset `after`; return the file's length.
    With `process`, fail at once if it exited."""
    found = {}

    def seen():
        content = path.read_text(errors="replace") if path.exists() else ""
        found["length"] = len(content)
        if process is not None and process.poll() is not None and text not in content[after:]:
            tail = content[-600:]
            raise AssertionError(f"the process exited ({process.returncode}) before {text!r}; log ends: {tail}")
        return text in content[after:]

    wait_until(seen, timeout, f"{text!r} in {path.name}")
    return found["length"]


def child_env(**overrides) -> dict:
    env = {**os.environ, **overrides}
    env.pop("DJANGO_ENV", None)
    return env
