"""The Celery worker survives its broker: a real Redis killed and restarted, and frozen, under a
running worker that holds an unacknowledged task. The worker goes on and runs later tasks.

The worker runs as `make run` starts it (`--without-gossip --without-mingle`, and the settings'
CELERY_WORKER_ENABLE_REMOTE_CONTROL=False): with a broadcast queue open, Celery 5.7 and kombu's
Redis transport die on a lost connection with "Unrecoverable error: AttributeError('NoneType'
object has no attribute 'hostname')" (docs/adr-001-outbox.md); this test then fails.
"""

import subprocess
import sys
import time

import pytest
from celery import Celery

from realtime.tests.processes import RedisProcess, child_env, wait_for_log


@pytest.fixture
def redis_server(tmp_path):
    server = RedisProcess(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def worker(redis_server, tmp_path):
    log = tmp_path / "worker.log"
    env = child_env(REDIS_URL=redis_server.url, CELERY_BROKER_URL=redis_server.url,
                    DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=1",
             "-Q", "default", "--without-gossip", "--without-mingle"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    try:
        wait_for_log(log, "ready.", 60)
        yield process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def send(redis_server, *args, countdown=None):
    client = Celery(broker=redis_server.url)
    try:
        return client.send_task("celery.accumulate", args=args, queue="default", countdown=countdown).id
    finally:
        client.close()


def test_the_worker_survives_redis_killed_and_restarted_with_an_unacked_task(redis_server, worker):
    process, log = worker
    held = send(redis_server, "held", countdown=300)  # reserved by the worker, not acknowledged
    mark = wait_for_log(log, f"{held}] received", 30)

    redis_server.kill()
    mark = wait_for_log(log, "Connection to broker lost", 30, after=mark, process=process)
    time.sleep(2)  # the worker retries while Redis is away
    assert process.poll() is None, log.read_text()[-2000:]
    redis_server.start()
    mark = wait_for_log(log, "Connected to redis", 60, after=mark, process=process)

    after = send(redis_server, "after the restart")
    wait_for_log(log, f"{after}] succeeded", 30, after=mark, process=process)
    assert process.poll() is None, "the worker exited"
    text = log.read_text()
    assert "Unrecoverable error" not in text and "AttributeError" not in text


def test_the_worker_survives_a_frozen_redis(redis_server, worker):
    process, log = worker
    held = send(redis_server, "held", countdown=300)
    mark = wait_for_log(log, f"{held}] received", 30)

    redis_server.freeze()
    time.sleep(8)  # longer than a broker heartbeat round
    redis_server.thaw()

    after = send(redis_server, "after the freeze")
    wait_for_log(log, f"{after}] succeeded", 60, after=mark, process=process)
    assert process.poll() is None, "the worker exited"
    assert "Unrecoverable error" not in log.read_text()
