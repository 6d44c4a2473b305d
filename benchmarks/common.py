"""Shared helpers for the benchmarks: a dedicated PostgreSQL database, Django set-up, timing and
the PASS/FAIL lines that benchmarks/run_all.py collects.

Every benchmark imports this module first. It points DATABASE_URL at a dedicated database
(default `att_bench_engine`, created if missing; override with BENCH_DATABASE_URL) and REDIS_URL at
Redis db 6 unless they are already set, then runs the migrations.
"""

import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/att_bench_engine"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0", "false") or "--quick" in sys.argv

_results: list[tuple[str, bool]] = []


def bench_env() -> dict[str, str]:
    """The environment variables every benchmark process (and the servers it starts) uses."""
    return {
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL,
    }


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of `url` if it does not exist."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(*, migrate: bool = True) -> None:
    """Point Django at the benchmark database, set it up and migrate it."""
    env = bench_env()
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    ensure_database(env["DATABASE_URL"])
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def progress(message: str) -> None:
    print(f"  .. {message}", flush=True)


@contextmanager
def stopwatch(label: str):
    """Print how long the block took (for data generation steps)."""
    t0 = time.perf_counter()
    yield
    progress(f"{label}: {time.perf_counter() - t0:.1f} s")


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of `values` (pct in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(samples: list[float]) -> dict[str, float]:
    """min / median / p99 / max of durations given in seconds, in milliseconds."""
    return {
        "min": min(samples) * 1000,
        "p50": statistics.median(samples) * 1000,
        "p99": percentile(samples, 99) * 1000,
        "max": max(samples) * 1000,
    }


def target(name: str, passed: bool, detail: str) -> bool:
    """Print one target line: `TARGET <PASS|FAIL> <name>: <detail>` (run_all.py collects these)."""
    _results.append((name, passed))
    print(f"TARGET {'PASS' if passed else 'FAIL'} {name}: {detail}", flush=True)
    return passed


def exit_code() -> int:
    return 0 if all(passed for _, passed in _results) else 1


def header(title: str) -> None:
    print(f"== {title}{' (quick mode)' if QUICK else ''}", flush=True)
    print(f"   database {bench_env()['DATABASE_URL']}, {os.cpu_count()} CPUs", flush=True)


# --- data helpers (need setup_django() first) ---------------------------------------------------


def sql(statement: str, params=None) -> int:
    """Run one SQL statement on the default connection; return its row count."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def sql_value(statement: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
        return row[0] if row else None


ORG_TABLES = (
    "attendance_refusal",
    "attendance_correction",
    "attendance_monthlyrollup",
    "attendance_weeklyshift",
    "attendance_checkin",
    "attendance_member",
)


def fresh_organization(slug: str, *, time_zone: str = "Europe/Madrid", settings: dict | None = None):
    """Return the benchmark organization `slug` (created or updated) with its engine rows deleted (raw SQL)."""
    from organizations.models import Organization

    organization, _ = Organization.objects.update_or_create(
        slug=slug, defaults={"name": f"Benchmark {slug}", "time_zone": time_zone, "settings": settings or {}}
    )
    # The organization row itself is kept: other apps' tables (which may be mid-development) refer to it.
    for table in ORG_TABLES:
        sql(f"DELETE FROM {table} WHERE organization_id = %s", [organization.pk])
    return organization


def insert_members(organization, count: int) -> tuple[int, int]:
    """Insert `count` active members with one INSERT ... SELECT generate_series; return (min id, max id).

    The ids are contiguous (one statement, nothing else inserting into the table).
    """
    sql(
        """
        INSERT INTO attendance_member (
            organization_id, attendance_enabled, total_visits, visits_this_month,
            first_name, last_name, email, phone, status, qr_token, rfid_tag, created_at)
        SELECT %s, true, 0, 0, 'Bench', 'Member ' || g, '', '', 'active', %s || '-' || g, '', now()
        FROM generate_series(1, %s) AS g
        """,
        [organization.pk, f"bench-{organization.slug}", count],
    )
    lo = sql_value("SELECT min(id) FROM attendance_member WHERE organization_id = %s", [organization.pk])
    hi = sql_value("SELECT max(id) FROM attendance_member WHERE organization_id = %s", [organization.pk])
    if hi - lo + 1 != count:
        raise RuntimeError(f"member ids are not contiguous: {lo}..{hi} for {count} rows")
    return lo, hi


def member_content_type_id() -> int:
    from django.contrib.contenttypes.models import ContentType

    from attendance.models import Member

    return ContentType.objects.get_for_model(Member).pk


def analyze() -> None:
    for table in ("attendance_checkin", "attendance_member", "attendance_monthlyrollup"):
        sql(f"ANALYZE {table}")


def build_rollups(organization, ct: int) -> None:
    """Rebuild the monthly rollups and the members' counters of `organization` from its check-ins
    with one INSERT ... SELECT ... GROUP BY and one UPDATE (what services.recalculate_stats computes)."""
    params = {"org": organization.pk, "ct": ct, "tz": organization.time_zone}
    sql("DELETE FROM attendance_monthlyrollup WHERE organization_id = %(org)s", params)
    sql(
        """
        INSERT INTO attendance_monthlyrollup (
            organization_id, attendee_type_id, attendee_id, month, visits, seconds_present, days_present, kinds)
        SELECT %(org)s, %(ct)s, attendee_id, date_trunc('month', checked_in_at AT TIME ZONE %(tz)s)::date,
               count(*), coalesce(sum(extract(epoch FROM duration)), 0)::bigint,
               count(DISTINCT (checked_in_at AT TIME ZONE %(tz)s)::date), jsonb_build_object('visit', count(*))
        FROM attendance_checkin
        WHERE organization_id = %(org)s
        GROUP BY attendee_id, date_trunc('month', checked_in_at AT TIME ZONE %(tz)s)
        """,
        params,
    )
    sql(
        """
        UPDATE attendance_member m
        SET total_visits = a.visits, first_visit_at = a.first, last_visit_at = a.last,
            visits_month = date_trunc('month', now() AT TIME ZONE %(tz)s)::date,
            visits_this_month = a.this_month
        FROM (
            SELECT attendee_id, count(*) AS visits, min(checked_in_at) AS first, max(checked_in_at) AS last,
                   count(*) FILTER (WHERE date_trunc('month', checked_in_at AT TIME ZONE %(tz)s)
                                          = date_trunc('month', now() AT TIME ZONE %(tz)s)) AS this_month
            FROM attendance_checkin WHERE organization_id = %(org)s GROUP BY attendee_id
        ) AS a
        WHERE m.id = a.attendee_id AND m.organization_id = %(org)s
        """,
        params,
    )


# --- production servers for the HTTP benchmarks --------------------------------------------------

HOST = "127.0.0.1"
SERVER_SECRET_KEY = "benchmark-only-secret-key-" + "x" * 40


def server_env(kind: str, settings_module: str = "config.settings") -> dict[str, str]:
    """Production settings for a benchmark server of `kind` ("gunicorn" or "uvicorn")."""
    env = dict(os.environ)
    env.update(bench_env())
    env.update(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": SERVER_SECRET_KEY,
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            # Persistent connections under gunicorn's sync workers (one thread each). Under ASGI Django
            # runs each request's sync code in a fresh thread, so a persistent connection would be
            # opened per request and never reused: there a pool hands connections from one to the next.
            "DB_CONN_MAX_AGE": "600" if kind == "gunicorn" else "0",
            "DB_POOL_MAX_SIZE": "0" if kind == "gunicorn" else "8",
            "DJANGO_SETTINGS_MODULE": settings_module,
        }
    )
    return env


def server_command(kind: str, workers: int, port: int) -> list[str]:
    venv_bin = Path(sys.executable).parent
    if kind == "gunicorn":
        return [
            str(venv_bin / "gunicorn"), "config.wsgi:application", "--bind", f"{HOST}:{port}",
            "--workers", str(workers), "--worker-class", "sync", "--backlog", "256", "--log-level", "warning",
        ]
    return [
        str(venv_bin / "uvicorn"), "config.asgi:application", "--host", HOST, "--port", str(port),
        "--workers", str(workers), "--no-access-log", "--log-level", "warning", "--lifespan", "off",
    ]


def start_server(
    kind: str, workers: int, port: int, log_path: Path, settings_module: str = "config.settings"
) -> "subprocess.Popen":
    """Start a production server in its own process group; return once /api/ping answers."""
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        server_command(kind, workers, port), cwd=ROOT, env=server_env(kind, settings_module), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    url = f"http://{HOST}:{port}/api/ping"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"{kind} did not answer {url} within 60 s; see {log_path}")


def stop_server(proc: "subprocess.Popen") -> None:
    """Stop a server started by start_server (its whole process group: master and workers)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
