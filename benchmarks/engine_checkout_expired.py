"""Benchmark: attendance.services.checkout_expired over 100 k open sessions on PostgreSQL.

Data: one organization (Europe/Madrid) with 100 k active members, each with ONE open check-in
(the one-open-session constraint allows no more) that started 3-5 h ago and was expected to end
2 h after it started, so every session is overdue. The members' counters and each member's
monthly rollup (visits 1, days 1) are set as check_in() would have left them. Generated with
INSERT ... SELECT generate_series; then ANALYZE.

Measured: one call `checkout_expired(organization=org, before=now)` (default batch size), its
wall time, query count, and afterwards that no session is open, no member is checked in
(`session_active`, read from the open check-ins) and the rollups hold the closed seconds.
Target: < 5 s for 100 k sessions.

    .venv/bin/python benchmarks/engine_checkout_expired.py [--quick] [--sessions N]

--quick uses 10 k sessions and scales the target to 0.5 s.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

TARGET_SECONDS_PER_100K = 5.0


def build(organization, sessions: int, now) -> None:
    ct = common.member_content_type_id()
    with common.stopwatch(f"{sessions} members"):
        lo, hi = common.insert_members(organization, sessions)
    with common.stopwatch(f"{sessions} open check-ins"):
        common.sql(
            """
            INSERT INTO attendance_checkin (
                organization_id, attendee_type_id, attendee_id, checked_in_at, expected_checkout_at,
                method, source, kind, auto_closed, late_minutes, early_leave_minutes, location, notes,
                metadata, created_at)
            SELECT %(org)s, %(ct)s, m.id, t.at, t.at + interval '2 hours', 'qr_code', 'api', 'visit', false,
                   0, 0, '', '', '{}'::jsonb, t.at
            FROM attendance_member m
            CROSS JOIN LATERAL (
                SELECT %(now)s::timestamptz - interval '3 hours' - (m.id %% 120) * interval '1 minute' AS at
            ) t
            WHERE m.organization_id = %(org)s
            """,
            {"org": organization.pk, "ct": ct, "now": now},
        )
    common.analyze()  # fresh statistics, or the join below is planned for empty tables (minutes, not seconds)
    with common.stopwatch("members' counters and monthly rollups"):
        common.sql(
            """
            UPDATE attendance_member m
            SET total_visits = 1, first_visit_at = c.checked_in_at, last_visit_at = c.checked_in_at
            FROM attendance_checkin c
            WHERE c.organization_id = %(org)s AND c.attendee_type_id = %(ct)s AND c.attendee_id = m.id
              AND m.organization_id = %(org)s
            """,
            {"org": organization.pk, "ct": ct},
        )
        common.sql(
            """
            INSERT INTO attendance_monthlyrollup (
                organization_id, attendee_type_id, attendee_id, month, visits, seconds_present, days_present, kinds)
            SELECT %(org)s, %(ct)s, c.attendee_id,
                   date_trunc('month', c.checked_in_at AT TIME ZONE %(tz)s)::date, 1, 0, 1, '{"visit": 1}'::jsonb
            FROM attendance_checkin c
            WHERE c.organization_id = %(org)s
            """,
            {"org": organization.pk, "ct": ct, "tz": organization.time_zone},
        )
        common.analyze()
    common.progress(f"member ids {lo}..{hi}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 k sessions, target scaled to 0.5 s")
    parser.add_argument("--sessions", type=int, default=None)
    args = parser.parse_args()
    sessions = args.sessions or (10_000 if common.QUICK else 100_000)
    limit_seconds = TARGET_SECONDS_PER_100K * sessions / 100_000

    common.header(f"checkout_expired over {sessions:,} open sessions")
    common.setup_django()
    from django.db import connection
    from django.db.models import Sum
    from django.utils import timezone

    from attendance import services
    from attendance.models import CheckIn, Member, MonthlyRollup, with_open_session

    now = timezone.now().replace(microsecond=0)
    organization = common.fresh_organization("bench-expired")
    build(organization, sessions, now)

    queries = 0

    def count_queries(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    last_report = [time.perf_counter()]

    def report(closed: int) -> None:
        if time.perf_counter() - last_report[0] >= 1.0:
            common.progress(f"closed {closed:,}")
            last_report[0] = time.perf_counter()

    with connection.execute_wrapper(count_queries):
        t0 = time.perf_counter()
        closed = services.checkout_expired(organization=organization, before=now, progress=report)
        elapsed = time.perf_counter() - t0

    still_open = CheckIn.objects.filter(organization=organization, checked_out_at__isnull=True).count()
    active = sum(m.session_active for m in with_open_session(Member.objects.filter(organization=organization)))
    auto = CheckIn.objects.filter(organization=organization, auto_closed=True).count()
    seconds = MonthlyRollup.objects.filter(organization=organization).aggregate(s=Sum("seconds_present"))["s"] or 0
    print(f"closed {closed:,} sessions in {elapsed:.2f} s ({closed / elapsed:,.0f} sessions/s), {queries} queries")
    print(f"after: open sessions {still_open}, members still marked in {active}, auto_closed rows {auto:,}, "
          f"rollup seconds {seconds:,} (expected {sessions * 7200:,})")
    correct = closed == sessions and still_open == 0 and active == 0 and auto == sessions and seconds == sessions * 7200
    common.target("checkout_expired result is correct", correct, "every session closed, members and rollups updated")
    common.target(
        f"checkout_expired {sessions:,} sessions < {limit_seconds:g} s",
        elapsed < limit_seconds,
        f"{elapsed:.2f} s",
    )
    return common.exit_code()


if __name__ == "__main__":
    sys.exit(main())
