"""Benchmark: the statistics, capacity and peak-hours reports over 1 M bookings on PostgreSQL.

Data (INSERT ... SELECT generate_series, then VACUUM ANALYZE): one studio (Europe/London) with 5 000
customers, 8 venues (20-40 places), 4 class types, 6 instructors, and two years of classes
(2025-01-01 .. 2026-12-31, 55 a day, about 40 k classes) holding 20-30 bookings each: about
1 M bookings. Past classes' bookings are attended (~75 %), no-show, late-cancelled or cancelled;
future ones registered or cancelled; ~20 % of arrivals are late. A second, small studio shares
the tables so every query has to filter by organization.

Measured: each report (bookings.selectors.statistics / capacity / peak_hours) for a month
(2026-06-01..30) and a quarter (2026-04-01..06-30), 7 runs each after one warm-up; p50 and max.
The year 2025 is printed for information. Every SQL statement of a report is then run under
EXPLAIN (ANALYZE, BUFFERS) to show the indexes used. Finally the same reports run as an
ordinary database role with row-level security active (the production set-up).
Target: < 300 ms (p50) for each report over the month and the quarter.

    .venv/bin/python benchmarks/bookings_reports.py [--quick] [--keep]

--quick (or BENCH_QUICK=1) builds ~100 k bookings (73 days of classes from 2026-04-01); --keep reuses
data left by an earlier run of the same size (--quick: April to mid-June 2026 only).
"""

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/att_bench_bookings")
import common  # noqa: E402

TARGET_MS = 300.0
SLUG = "bench-studio"
BOOKING_TABLES = [  # children first
    "bookings_waitlistentry", "bookings_booking", "bookings_bookingseries", "bookings_classpackage",
    "bookings_customermembership", "bookings_membershipplan", "bookings_fitnessclass_instructors",
    "bookings_fitnessclass", "bookings_classtype", "bookings_instructor", "bookings_venue", "bookings_studio",
]


def wipe(slug: str) -> None:
    from organizations.models import Organization

    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        return
    for table in BOOKING_TABLES:
        if table == "bookings_fitnessclass_instructors":
            common.sql(
                "DELETE FROM bookings_fitnessclass_instructors WHERE fitnessclass_id IN "
                "(SELECT id FROM bookings_fitnessclass WHERE organization_id = %s)", [org.pk])
        else:
            common.sql(f"DELETE FROM {table} WHERE organization_id = %s", [org.pk])


def build(slug: str, days: int, per_day: int, customers: int, first_day: date):
    from bookings.models import ClassType, Instructor, Studio, Venue

    wipe(slug)
    org = common.fresh_organization(slug, time_zone="Europe/London")
    Studio.objects.create(organization=org)
    with common.stopwatch(f"{customers} customers"):
        lo, _ = common.insert_members(org, customers)
    venues = [Venue.objects.create(organization=org, name=f"Room {i}", capacity=20 + 3 * i).pk for i in range(8)]
    types = [ClassType.objects.create(organization=org, name=n, duration_minutes=m, drop_in_price_pennies=p).pk
             for n, m, p in (("Yoga", 60, 1400), ("Pilates", 50, 2200), ("Spin", 45, 1200), ("HIIT", 30, 1000))]
    teachers = [Instructor.objects.create(organization=org, name=f"Instructor {i}").pk for i in range(6)]
    with common.stopwatch(f"{days * per_day} classes"):
        common.sql(
            """
            INSERT INTO bookings_fitnessclass (organization_id, class_type_id, venue_id, starts_at, ends_at, capacity_override)
            SELECT %(org)s, (%(types)s::bigint[])[1 + (d + s) %% 4], (%(venues)s::bigint[])[1 + s %% 8], t.start,
                   t.start + interval '50 minutes', NULL
            FROM generate_series(0, %(days)s - 1) AS d, generate_series(0, %(per_day)s - 1) AS s,
                 LATERAL (SELECT ((%(first)s::date + d) + make_interval(hours => 6 + (s * 16) / %(per_day)s,
                          mins => (s %% 2) * 30)) AT TIME ZONE 'Europe/London' AS start) AS t
            """,
            {"org": org.pk, "types": types, "venues": venues, "days": days, "per_day": per_day,
             "first": first_day.isoformat()},
        )
        common.sql(
            """
            INSERT INTO bookings_fitnessclass_instructors (fitnessclass_id, instructor_id)
            SELECT c.id, (%(teachers)s::bigint[])[1 + c.id %% 6] FROM bookings_fitnessclass c WHERE c.organization_id = %(org)s
            UNION ALL
            SELECT c.id, (%(teachers)s::bigint[])[1 + (c.id + 1) %% 6] FROM bookings_fitnessclass c
            WHERE c.organization_id = %(org)s AND c.id %% 10 = 0
            """,
            {"org": org.pk, "teachers": teachers},
        )
    ids = common.sql_value("SELECT array_agg(id ORDER BY id) FROM bookings_fitnessclass WHERE organization_id = %s", [org.pk])
    chunk = max(1, len(ids) // 10)
    total = 0
    t0 = time.perf_counter()
    for start in range(0, len(ids), chunk):
        lo_id, hi_id = ids[start], ids[min(len(ids), start + chunk) - 1]
        total += common.sql(
            """
            INSERT INTO bookings_booking (
                organization_id, fitness_class_id, customer_id, status, method, source, booked_at,
                cancelled_at, checked_in_at, minutes_late, was_late, amount_paid_pennies, refunded_pennies,
                promoted_from_waitlist)
            SELECT %(org)s, c.id, %(lo)s + ((c.id * 37 + i * 101) %% %(customers)s), b.status, b.method, 'web',
                   c.starts_at - interval '2 days',
                   CASE WHEN b.status IN ('cancelled', 'late_cancelled') THEN c.starts_at - interval '1 day' END,
                   CASE WHEN b.status = 'attended' THEN c.starts_at + b.late * interval '1 minute' END,
                   b.late, b.late > 5,
                   CASE WHEN b.method = 'drop_in' THEN 1200 WHEN b.method = 'package' THEN 1000 ELSE 0 END,
                   CASE WHEN b.status = 'cancelled' AND b.method = 'drop_in' THEN 1200 ELSE 0 END,
                   false
            FROM bookings_fitnessclass c
            CROSS JOIN LATERAL generate_series(1, 20 + (c.id * 7) %% 11) AS i
            CROSS JOIN LATERAL (SELECT ((c.id * 131 + i * 17) %% 100) AS h) AS r
            CROSS JOIN LATERAL (SELECT
                CASE WHEN c.starts_at > %(now)s THEN (CASE WHEN r.h < 90 THEN 'registered' ELSE 'cancelled' END)
                     WHEN r.h < 75 THEN 'attended' WHEN r.h < 85 THEN 'no_show'
                     WHEN r.h < 91 THEN 'late_cancelled' ELSE 'cancelled' END AS status,
                (ARRAY['membership', 'membership', 'drop_in', 'package', 'free'])[1 + (c.id + i) %% 5] AS method,
                CASE WHEN r.h < 75 AND (i * 13) %% 5 = 0 THEN ((i * 7) %% 25)::int ELSE 0 END AS late) AS b
            WHERE c.organization_id = %(org)s AND c.id BETWEEN %(lo_id)s AND %(hi_id)s
            """,
            {"org": org.pk, "lo": lo, "customers": customers, "lo_id": lo_id, "hi_id": hi_id,
             "now": "2026-07-01T00:00:00Z"},
        )
        common.progress(f"{total:,} bookings ({time.perf_counter() - t0:.0f} s)")
    return org, total


def small_neighbour():
    """A second studio in the same tables (so the organization filter matters)."""
    from bookings.tests import factories as f

    wipe("bench-neighbour")
    other = common.fresh_organization("bench-neighbour", time_zone="Europe/Madrid")
    cls = f.fitness_class(other, f.class_type(other), f.venue(other, capacity=30),
                          f.local(other, date(2026, 6, 10), 18))
    for i in range(20):
        f.booking(cls, f.customer(other, f"N{i}"), "attended")


def timed(fn, runs: int) -> dict:
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return common.summary_ms(samples)


def explain(fn) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    for query in ctx.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or "bookings_studio" in sql:
            continue
        print(f"   SQL: {sql[:220]}{'…' if len(sql) > 220 else ''}")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
            for (line,) in cursor.fetchall():
                print(f"     {line}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.quick = args.quick or common.QUICK  # run_all.py --quick sets BENCH_QUICK=1
    common.header("bookings reports over 1 M bookings")
    common.setup_django()

    from datetime import datetime, timezone

    from django.db import connection

    from bookings import rls, selectors
    from organizations.models import Organization

    days = 73 if args.quick else 730
    first_day = date(2026, 4, 1) if args.quick else date(2025, 1, 1)
    org = Organization.objects.filter(slug=SLUG).first()
    expected_classes = days * 55
    existing = common.sql_value("SELECT count(*) FROM bookings_fitnessclass WHERE organization_id = %s",
                                [org.pk]) if org else 0
    if args.keep and existing == expected_classes:
        total = common.sql_value("SELECT count(*) FROM bookings_booking WHERE organization_id = %s", [org.pk])
        common.progress(f"reusing {total:,} bookings")
    else:
        with common.stopwatch("data generation"):
            org, total = build(SLUG, days, 55, 5000, first_day)
            small_neighbour()
        with common.stopwatch("VACUUM ANALYZE (what autovacuum does after a bulk load)"):
            for table in ("bookings_booking", "bookings_fitnessclass", "bookings_fitnessclass_instructors",
                          "attendance_member"):
                common.sql(f"VACUUM ANALYZE {table}")
    print(f"   {total:,} bookings in {expected_classes:,} classes", flush=True)

    now = datetime(2026, 7, 1, tzinfo=timezone.utc)
    periods = {"month": (date(2026, 6, 1), date(2026, 6, 30)), "quarter": (date(2026, 4, 1), date(2026, 6, 30))}
    if not args.quick:
        periods["year (info)"] = (date(2025, 1, 1), date(2025, 12, 31))
    reports = {
        "statistics": lambda s, e: selectors.statistics(organization=org, start=s, end=e, now=now),
        "capacity": lambda s, e: selectors.capacity(organization=org, start=s, end=e, now=now),
        "peak_hours": lambda s, e: selectors.peak_hours(organization=org, start=s, end=e),
    }
    runs = 3 if args.quick else 7
    results = {}
    for name, report in reports.items():
        for label, (s, e) in periods.items():
            stats = timed(lambda report=report, s=s, e=e: report(s, e), runs)
            results[(name, label)] = stats
            print(f"   {name:<11} {label:<12} p50 {stats['p50']:7.1f} ms  max {stats['max']:7.1f} ms", flush=True)

    print("== EXPLAIN (month)", flush=True)
    month = periods["month"]
    for name, report in reports.items():
        print(f"-- {name}", flush=True)
        explain(lambda report=report: report(*month))

    print("== as an ordinary role with row-level security (production set-up)", flush=True)
    role = "bookings_bench_app"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"SET ROLE {role}")
    try:
        with rls.organization_context(org):
            for name, report in reports.items():
                for label in ("month", "quarter"):
                    stats = timed(lambda report=report, label=label: report(*periods[label]), runs)
                    results[(name, f"{label} (RLS)")] = stats
                    print(f"   {name:<11} {label + ' (RLS)':<14} p50 {stats['p50']:7.1f} ms  max {stats['max']:7.1f} ms",
                          flush=True)
            check = selectors.statistics(organization=org, start=date(2026, 6, 1), end=date(2026, 6, 30), now=now)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    print(f"   (month statistics under RLS: {check['total_bookings']:,} bookings, {check['attendance_rate']} % attended)")

    for (name, label), stats in results.items():
        if "info" in label:
            continue
        common.target(f"bookings {name} {label}", stats["p50"] < TARGET_MS,
                      f"p50 {stats['p50']:.1f} ms (max {stats['max']:.1f} ms), target < {TARGET_MS:.0f} ms")
    return common.exit_code()


if __name__ == "__main__":
    sys.exit(main())
