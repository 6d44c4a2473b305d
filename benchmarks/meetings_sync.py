"""One Meet sync round over 500 active classes × 30 participants, against the local fake Meet server.

    .venv/bin/python benchmarks/meetings_sync.py [--classes 500] [--participants 30] [--workers 2] [--latency-ms 0]

PostgreSQL database att_bench_meetings (created if missing; DATABASE_URL overrides). The fake Meet
API runs in its own process; `--workers` processes (like a Celery worker with --concurrency 2) each
sync their share of the active class sessions through the real google-api-python-client and the
real service (meetings.services.class_session_sync). A second round shows the idempotent re-sync.
`--latency-ms` makes the fake server wait that long before each answer, as Google's API and the
network do (the local server answers in well under a millisecond).
Target: a round well inside the 3-minute interval (< 60 s).
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/att_bench_meetings")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

TARGET_SECONDS = 60
SLUG = "bench-meet-academy"


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def class_start(now: datetime) -> datetime:
    return (now - timedelta(minutes=30)).replace(second=0, microsecond=0)


def serve_fake_meet(classes: int, participants: int, start: datetime, ready, port_value, stop, latency: float = 0.0) -> None:
    """Child process: build the Meet data for every class and serve it until told to stop."""
    from meetings.tests.fake_meet import FakeMeet

    fake = FakeMeet(default_page_size=100)
    fake.latency = latency
    for c in range(classes):
        record = fake.add_record(space=f"spaces/bench-{c}", start=start - timedelta(minutes=2))
        fake.add_participant(record, user=f"users/t{c}", display_name=f"Teacher {c}",
                             sessions=[(start - timedelta(minutes=2), None)])
        for p in range(participants - 1):
            s = c * (participants - 1) + p
            join = start + timedelta(seconds=(s * 37) % 300)
            if p % 5 == 0:  # dropped and rejoined; second device overlapping
                fake.add_participant(record, user=f"users/s{s}", display_name=f"Student {s}", sessions=[
                    (join, join + timedelta(minutes=10)), (join + timedelta(minutes=12), None),
                    (join + timedelta(minutes=5), join + timedelta(minutes=15)),
                ])
            elif p % 7 == 0:
                fake.add_participant(record, kind="anonymous", display_name=f"Guest {s}", sessions=[(join, join + timedelta(minutes=8))])
            else:
                fake.add_participant(record, user=f"users/s{s}", display_name=f"Student {s}", sessions=[(join, None)])
    fake.start()
    port_value.value = fake.server.server_address[1]
    ready.set()
    stop.wait()
    fake.stop()


def seed(classes: int, participants: int, start: datetime) -> list[int]:
    from django.core.management import call_command
    from django.db import transaction

    from meetings import conf, services
    from meetings.models import ClassSession, Family, ScheduledClass, SessionStatus, Student, Teacher
    from organizations.models import Organization

    call_command("migrate", verbosity=0)
    Organization.objects.filter(slug=SLUG).delete()
    with transaction.atomic():
        org = Organization.objects.create(name="Bench Meet Academy", slug=SLUG, time_zone="America/New_York")
        services.google_credential_store(organization=org, info={"token": "bench"}, scopes=[conf.MEET_READONLY_SCOPE])
        families = Family.objects.bulk_create([Family(organization=org, name=f"Family {i}", rate_cents=3000) for i in range(classes * 3)])
        teachers = Teacher.objects.bulk_create([
            Teacher(organization=org, first_name=f"Teacher {c}", google_user_id=f"users/t{c}", pay_rate_cents=2500)
            for c in range(classes)
        ])
        per_class = participants - 1
        students = Student.objects.bulk_create([
            Student(organization=org, family=families[s // 10], first_name=f"Student {s}", google_user_id=f"users/s{s}")
            for s in range(classes * per_class)
        ], batch_size=2000)
        scheduled = ScheduledClass.objects.bulk_create([
            ScheduledClass(organization=org, title=f"Class {c}", teacher=teachers[c], starts_at=start, duration_minutes=90,
                           meet_space_name=f"spaces/bench-{c}")
            for c in range(classes)
        ])
        through = ScheduledClass.students.through
        through.objects.bulk_create([
            through(scheduledclass_id=scheduled[c].pk, student_id=students[c * per_class + p].pk)
            for c in range(classes) for p in range(per_class)
        ], batch_size=5000)
        sessions = ClassSession.objects.bulk_create([
            ClassSession(organization=org, scheduled_class=sc, status=SessionStatus.ACTIVE, started_at=start) for sc in scheduled
        ])
    return [s.pk for s in sessions]


def worker(session_ids: list[int], queue) -> None:
    """One worker process: sync its share of class sessions, report per-class seconds and calls."""
    import django

    django.setup()
    from meetings import services
    from meetings.meet import MeetClient, credentials_from_info
    from meetings.models import ClassSession, GoogleCredential

    credential = GoogleCredential.objects.get(organization__slug=SLUG)
    timings, calls, logs = [], 0, 0
    for session_id in session_ids:
        started = time.perf_counter()
        # One client per class, as the Celery task builds one per run.
        client = MeetClient(credentials_from_info(credential.authorized_user_info, credential.scopes))
        result = services.class_session_sync(class_session=ClassSession(pk=session_id), trigger="bench", client=client)
        timings.append(time.perf_counter() - started)
        calls += client.calls
        logs += result.logs_created + result.logs_updated
    queue.put((timings, calls, logs))


def sync_round(session_ids: list[int], workers: int) -> dict:
    from django.db import connections

    connections.close_all()
    queue = multiprocessing.Queue()
    shares = [session_ids[i::workers] for i in range(workers)]
    started = time.perf_counter()
    procs = [multiprocessing.Process(target=worker, args=(share, queue)) for share in shares]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    timings = sorted(t for r in results for t in r[0])
    return {
        "seconds": elapsed, "classes": len(timings), "http_calls": sum(r[1] for r in results), "logs_written": sum(r[2] for r in results),
        "p50_ms": statistics.median(timings) * 1000, "p99_ms": timings[int(len(timings) * 0.99) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--classes", type=int, default=500)
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="the fake Meet server's wait before each answer")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    start = class_start(datetime.now(UTC))
    ready, stop, port = multiprocessing.Event(), multiprocessing.Event(), multiprocessing.Value("i", 0)
    server = multiprocessing.Process(
        target=serve_fake_meet, args=(args.classes, args.participants, start, ready, port, stop, args.latency_ms / 1000), daemon=True
    )
    server.start()
    try:
        ready.wait(120)
        os.environ["GOOGLE_MEET_API_ENDPOINT"] = f"http://127.0.0.1:{port.value}/"
        django.setup()

        from attendance.models import CheckIn
        from meetings import conf
        from meetings.models import AttendanceLog, ClassAttendance

        t0 = time.perf_counter()
        session_ids = seed(args.classes, args.participants, start)
        print(f"seeded {args.classes} active classes x {args.participants} participants in {time.perf_counter() - t0:.1f}s "
              f"(fake Meet on port {port.value}, answering after {args.latency_ms:g} ms, {os.cpu_count()} CPUs, "
              f"{args.workers} worker processes, MEETINGS_PARALLEL_CALLS={conf.PARALLEL_CALLS})")
        for label in ("first round (all new)", "second round (re-sync)"):
            r = sync_round(session_ids, args.workers)
            print(f"{label}: {r['classes']} classes in {r['seconds']:.1f}s = {r['classes'] / r['seconds']:.1f} classes/s, "
                  f"{r['http_calls']} Meet API calls ({r['http_calls'] / r['seconds']:.0f}/s), {r['logs_written']} logs written; "
                  f"per class p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms; target < {TARGET_SECONDS}s: "
                  f"{'PASS' if r['seconds'] < TARGET_SECONDS else 'FAIL'}")
        from meetings.models import ClassSession, SessionStatus

        # Every class ends at once (the worst case of the completion job): the final fetch also
        # records one engine session per person through attendance.services.session_record.
        ClassSession.objects.filter(pk__in=session_ids).update(status=SessionStatus.COMPLETED)
        r = sync_round(session_ids, args.workers)
        print(f"final fetch of all {r['classes']} classes at once (+ engine sessions): {r['seconds']:.1f}s, "
              f"per class p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms")
        print(f"rows: {AttendanceLog.objects.filter(organization__slug=SLUG).count()} attendance logs, "
              f"{ClassAttendance.objects.filter(organization__slug=SLUG).count()} per-person attendances, "
              f"{CheckIn.objects.filter(organization__slug=SLUG).count()} engine sessions")
    finally:
        stop.set()
        server.join(10)


if __name__ == "__main__":
    main()
