"""Benchmark: attendance.selectors.dashboard for a 30-day period at 100 k and 1 M check-ins of history.

Data shape (one organization per size, Europe/Madrid, in the same check-in table):
  * 2,500 active members; 500 check-ins every local day (a busy gym: each member visits about
    six times a month), between 06:00 and 22:00 local time with a peak in the afternoon
    (triangular distribution), each 30-120 minutes long and checked out. A day's 500 visitors are
    500 different members (a block of consecutive members starting at a random one each day), so
    nobody has two sessions on one day and no sessions of one member overlap (PostgreSQL's
    `no_overlapping_sessions` constraint refuses overlaps);
  * the history ends yesterday and reaches back 200 days (100 k rows) or 2,000 days, about 5.5
    years (1 M rows): the same members at the same daily rate, only a longer past. So the 30-day
    period holds ~15,000 check-ins in both cases and a dashboard whose cost follows the period, not
    the history, takes the same time at both sizes;
  * monthly rollups and the members' counters (total visits, first/last visit) built from the rows
    with one INSERT ... SELECT ... GROUP BY and one UPDATE (the same figures
    attendance.services.recalculate_stats computes; --recalculate uses the service instead);
  * rows generated with INSERT ... SELECT over generate_series, in chunks with progress output,
    then VACUUM ANALYZE. A dataset already in the database with the same shape and end date is
    reused (--rebuild forces a new one).

Measured: `dashboard(organization=org, start=yesterday - 29 days, end=yesterday)`, 3 warm-up calls
then 25 timed calls; query count; EXPLAIN (ANALYZE, BUFFERS) of the heaviest query.
Targets: median < 150 ms at each size, and the 1 M median <= 1.5 x the 100 k median.

    .venv/bin/python benchmarks/engine_dashboard.py [--quick] [--rebuild] [--recalculate]

--quick uses 20 k and 200 k rows (40 and 400 days) and 10 timed calls.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

MEMBERS = 2_500
PER_DAY = 500
PERIOD_DAYS = 30
TARGET_MS = 150.0
GROWTH_LIMIT = 1.5
CHUNK_DAYS = 100


def generate(organization, days: int, end_day, *, recalculate: bool) -> None:
    """Fill `organization` with PER_DAY check-ins a day for the `days` local days ending `end_day`."""
    ct = common.member_content_type_id()
    with common.stopwatch(f"{MEMBERS:,} members"):
        lo, _ = common.insert_members(organization, MEMBERS)
    first_day = end_day - timedelta(days=days - 1)
    done = 0
    t0 = time.perf_counter()
    while done < days:
        chunk = min(CHUNK_DAYS, days - done)
        chunk_start = first_day + timedelta(days=done)
        common.sql(
            """
            INSERT INTO attendance_checkin (
                organization_id, attendee_type_id, attendee_id, checked_in_at, checked_out_at, duration,
                method, source, kind, auto_closed, late_minutes, early_leave_minutes, location, notes,
                metadata, created_at)
            SELECT %(org)s, %(ct)s, %(lo)s + (days.first_member + i) %% %(members)s, s.at, s.at + s.dur, s.dur,
                   'qr_code', 'api', 'visit', false, 0, 0, '', '', '{}'::jsonb, s.at
            FROM (
                SELECT d, floor(random() * %(members)s)::int AS first_member
                FROM generate_series(%(start)s::date, %(start)s::date + %(n)s - 1, interval '1 day') AS d
                OFFSET 0
            ) AS days
            CROSS JOIN generate_series(1, %(per_day)s) AS i
            CROSS JOIN LATERAL (
                SELECT (days.d::date + make_interval(mins => (360 + floor(960 * (random() + random()) / 2))::int))
                           AT TIME ZONE %(tz)s AS at,
                       make_interval(mins => (30 + floor(random() * 90))::int) AS dur
            ) AS s
            """,
            {"org": organization.pk, "ct": ct, "lo": lo, "members": MEMBERS, "tz": organization.time_zone,
             "start": chunk_start, "n": chunk, "per_day": PER_DAY},
        )
        done += chunk
        rate = done * PER_DAY / (time.perf_counter() - t0)
        common.progress(f"{done * PER_DAY:,} / {days * PER_DAY:,} check-ins ({rate:,.0f} rows/s)")
    if recalculate:
        from attendance import services

        with common.stopwatch("attendance.services.recalculate_stats"):
            services.recalculate_stats(organization=organization)
    else:
        common.sql("ANALYZE attendance_checkin")  # fresh statistics, or the GROUP BY plans go badly wrong
        with common.stopwatch("monthly rollups and member counters (SQL)"):
            common.build_rollups(organization, ct)
    with common.stopwatch("VACUUM ANALYZE"):
        for table in ("attendance_checkin", "attendance_member", "attendance_monthlyrollup"):
            common.sql(f"VACUUM ANALYZE {table}")


def dataset(slug: str, rows: int, end_day, *, rebuild: bool, recalculate: bool):
    """Return the organization holding `rows` check-ins ending `end_day`, generating it if needed."""
    from organizations.models import Organization

    shape = {"rows": rows, "per_day": PER_DAY, "members": MEMBERS, "end": end_day.isoformat()}
    existing = Organization.objects.filter(slug=slug).first()
    if existing is not None and not rebuild and existing.option("bench_dataset") == shape:
        count = common.sql_value("SELECT count(*) FROM attendance_checkin WHERE organization_id = %s", [existing.pk])
        if count == rows:
            common.progress(f"{slug}: reusing {rows:,} check-ins already generated")
            return existing
    days = rows // PER_DAY
    common.progress(f"{slug}: generating {rows:,} check-ins over {days:,} days ({PER_DAY}/day, {MEMBERS:,} members)")
    organization = common.fresh_organization(slug, settings={})
    t0 = time.perf_counter()
    generate(organization, days, end_day, recalculate=recalculate)
    organization.settings = {"bench_dataset": shape}
    organization.save(update_fields=["settings"])
    common.progress(f"{slug}: ready in {time.perf_counter() - t0:.1f} s")
    return organization


def measure(organizations: dict, start, end, runs: int) -> dict:
    """Time dashboard() for each organization, interleaving the calls (A, B, A, B, ...) so that load
    from other processes on the machine weighs on every size alike."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from attendance.selectors import dashboard

    out = {}
    for key, organization in organizations.items():
        for _ in range(3):
            dashboard(organization=organization, start=start, end=end)
        out[key] = {"samples": []}
    for _ in range(runs):
        for key, organization in organizations.items():
            t0 = time.perf_counter()
            out[key]["result"] = dashboard(organization=organization, start=start, end=end)
            out[key]["samples"].append(time.perf_counter() - t0)
    for key, organization in organizations.items():
        with CaptureQueriesContext(connection) as captured:
            dashboard(organization=organization, start=start, end=end)
        out[key]["queries"] = captured.captured_queries
        out[key]["heaviest"] = max(captured.captured_queries, key=lambda q: float(q["time"]))
    return out


def explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 k and 200 k rows, 10 timed calls")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the data even if it is there")
    parser.add_argument("--recalculate", action="store_true", help="build rollups with services.recalculate_stats")
    args = parser.parse_args()
    sizes = [20_000, 200_000] if common.QUICK else [100_000, 1_000_000]
    runs = 10 if common.QUICK else 25

    common.header(f"dashboard() for {PERIOD_DAYS} days at {sizes[0]:,} and {sizes[1]:,} check-ins of history")
    common.setup_django()
    from zoneinfo import ZoneInfo

    from organizations.dates import local_today

    end = local_today(ZoneInfo("Europe/Madrid")) - timedelta(days=1)
    start = end - timedelta(days=PERIOD_DAYS - 1)
    organizations = {}
    for rows in sizes:
        slug = f"bench-dashboard-{rows // 1000}k"
        organizations[rows] = dataset(slug, rows, end, rebuild=args.rebuild, recalculate=args.recalculate)
    common.progress(f"timing {runs} calls per size, interleaved, load average {os.getloadavg()[0]:.1f}")
    results = measure(organizations, start, end, runs)
    measured = {}
    for rows in sizes:
        m = results[rows]
        stats = common.summary_ms(m["samples"])
        measured[rows] = stats
        totals = m["result"]["totals"]
        print(f"-- {rows:,} check-ins of history, period {start}..{end}: {totals['visits']:,} visits, "
              f"{totals['unique_attendees']:,} attendees, at risk {m['result']['at_risk']['count']}")
        print(f"   dashboard(): median {stats['p50']:.1f} ms, min {stats['min']:.1f} ms, p99 {stats['p99']:.1f} ms, "
              f"max {stats['max']:.1f} ms over {runs} calls; {len(m['queries'])} queries")
        for q in m["queries"]:
            print(f"     {float(q['time']) * 1000:6.1f} ms  {q['sql'][:110]}")
        print(f"   EXPLAIN (ANALYZE, BUFFERS) of the heaviest query ({float(m['heaviest']['time']) * 1000:.1f} ms):")
        for line in explain(m["heaviest"]["sql"]):
            print(f"     {line}")
    print(f"   load average after: {os.getloadavg()[0]:.1f}")
    small, large = (measured[s]["p50"] for s in sizes)
    for rows in sizes:
        common.target(f"dashboard at {rows:,} check-ins < {TARGET_MS:g} ms", measured[rows]["p50"] < TARGET_MS,
                      f"median {measured[rows]['p50']:.1f} ms")
    common.target(f"dashboard at {sizes[1]:,} <= {GROWTH_LIMIT}x the time at {sizes[0]:,}",
                  large <= GROWTH_LIMIT * small, f"{large:.1f} / {small:.1f} ms = {large / small:.2f}x")
    return common.exit_code()


if __name__ == "__main__":
    sys.exit(main())
