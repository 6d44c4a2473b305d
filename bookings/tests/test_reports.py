"""Every report against a hand-computed fixture (numbers worked out in the comments)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bookings import customer_reports, selectors
from bookings.tests import factories as f

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=ZoneInfo("UTC"))
START, END = date(2026, 3, 2), date(2026, 3, 8)  # Monday .. Sunday, Europe/Madrid


@pytest.fixture
def week(org, other_org, studio):
    """Five classes in the week, one before and one after, and a class of another studio.

    c1 Yoga/A Mon 09:00 (places 10, Ines):  P1 att, P2 att 8' late, P3 no-show, P4 cancelled, P5 late-cancelled
    c2 Yoga/A Wed 18:00 (places 8, Ines+Jon): P1 att, P2 att 3', P3 att 12' late, P6 no-show
    c3 Spin/B Wed 18:00 (places 5, Jon):    P4 att, P5 att 20' late, P6 cancelled
    c4 Spin/B Sat 10:00 cancelled class:   P1 cancelled
    c7 Spin/B Sun 23:30 (places 5, Jon):    P2 att, P6 no-show
    c0 Jan 10: P6 attended (then lapsed); c5 Mon 9 March: P1 attended (outside the period)
    """
    a, b = f.venue(org, "A", 10), f.venue(org, "B", 5)
    yoga, spin = f.class_type(org, "Yoga"), f.class_type(org, "Spin", duration=45)
    ines, jon, _kai = f.instructor(org, "Ines"), f.instructor(org, "Jon"), f.instructor(org, "Kai")
    p = {i: f.customer(org, f"P{i}") for i in range(1, 7)}
    gold = f.plan(org, "Gold")
    f.membership(org, p[1], gold, started_on=date(2026, 1, 1))
    f.membership(org, p[5], gold, started_on=date(2026, 3, 1))
    f.membership(org, p[3], gold, started_on=date(2025, 1, 1), ended_on=date(2026, 2, 28))
    day = lambda d, h, m=0: f.local(org, date(2026, 3, d), h, m)  # noqa: E731
    c1 = f.fitness_class(org, yoga, a, day(2, 9), instructors=[ines])
    c2 = f.fitness_class(org, yoga, a, day(4, 18), instructors=[ines, jon], capacity=8)
    c3 = f.fitness_class(org, spin, b, day(4, 18), instructors=[jon])
    c4 = f.fitness_class(org, spin, b, day(7, 10), instructors=[jon], cancelled_at=day(6, 10))
    c7 = f.fitness_class(org, spin, b, day(8, 23, 30), instructors=[jon])
    c0 = f.fitness_class(org, yoga, a, f.local(org, date(2026, 1, 10), 10), instructors=[ines])
    c5 = f.fitness_class(org, yoga, a, day(9, 9), instructors=[ines])
    B = f.booking  # noqa: N806
    B(c1, p[1], "attended", "membership")
    B(c1, p[2], "attended", "drop_in", amount_paid_pennies=1200, minutes_late=8, was_late=True)
    B(c1, p[3], "no_show", "drop_in", amount_paid_pennies=1200)
    B(c1, p[4], "cancelled", "drop_in", amount_paid_pennies=1200, refunded_pennies=1200)
    B(c1, p[5], "late_cancelled", "package", amount_paid_pennies=1000)
    B(c2, p[1], "attended", "membership")
    B(c2, p[2], "attended", "package", amount_paid_pennies=1000, minutes_late=3)
    B(c2, p[3], "attended", "drop_in", amount_paid_pennies=1500, minutes_late=12, was_late=True)
    B(c2, p[6], "no_show", "free")
    B(c3, p[4], "attended", "drop_in", amount_paid_pennies=900)
    B(c3, p[5], "attended", "membership", minutes_late=20, was_late=True)
    B(c3, p[6], "cancelled", "drop_in", amount_paid_pennies=900, refunded_pennies=900)
    B(c4, p[1], "cancelled", "drop_in", amount_paid_pennies=800, refunded_pennies=800)
    B(c7, p[2], "attended", "free")
    B(c7, p[6], "no_show", "drop_in", amount_paid_pennies=900)
    B(c0, p[6], "attended", "free")
    B(c5, p[1], "attended", "membership")
    # Another studio's class in the same week must never show up.
    oc = f.fitness_class(other_org, f.class_type(other_org, "Yoga"), f.venue(other_org, "A", 10), day(4, 18))
    B(oc, f.customer(other_org, "Q"), "attended", "drop_in", amount_paid_pennies=5000)
    return {"p": p, "classes": (c1, c2, c3, c4, c7), "ines": ines, "jon": jon}


def kw(org):
    return {"organization": org, "start": START, "end": END}


def test_statistics(org, week):
    # 15 bookings: 8 attended, 3 no-shows, 3 cancelled, 1 late-cancelled; settled 12;
    # held classes c1 c2 c3 c7 -> 8 / 4 = 2.0 a class.
    assert selectors.statistics(**kw(org), now=NOW) == {
        "period": {"start": "2026-03-02", "end": "2026-03-08"},
        "total_bookings": 15, "registered": 0, "attended": 8, "no_shows": 3, "cancellations": 3,
        "late_cancellations": 1, "attendance_rate": 66.7, "no_show_rate": 25.0, "classes_held": 4,
        "average_class_size": 2.0,
    }


def test_statistics_counts_only_started_classes_as_held(org, week):
    # On Wednesday 4 March at noon (UTC) only c1 has started.
    stats = selectors.statistics(**kw(org), now=datetime(2026, 3, 4, 12, tzinfo=ZoneInfo("UTC")))
    assert stats["classes_held"] == 1 and stats["average_class_size"] == 8.0


def test_capacity(org, week):
    # Spin/B: c3 + c7, 10 places, bookings 2 + 2, attended 2 + 1.  Yoga/A: c1 + c2, 18 places, 4 + 4, 2 + 3.
    rows = selectors.capacity(**kw(org), now=NOW)["rows"]
    assert [{k: r[k] for k in ("class_type", "venue", "classes", "places", "bookings", "attended",
                               "attendance_rate", "utilisation", "booked_utilisation")} for r in rows] == [
        {"class_type": "Spin", "venue": "B", "classes": 2, "places": 10, "bookings": 4, "attended": 3,
         "attendance_rate": 75.0, "utilisation": 30.0, "booked_utilisation": 40.0},
        {"class_type": "Yoga", "venue": "A", "classes": 2, "places": 18, "bookings": 8, "attended": 5,
         "attendance_rate": 62.5, "utilisation": 27.8, "booked_utilisation": 44.4},
    ]


def test_late_arrivals(org, week):
    # Late (past 5 grace minutes): 8, 12 and 20 minutes -> 3 of 8, average 40 / 3.
    report = selectors.late_arrivals(**kw(org))
    assert (report["attended"], report["late"], report["late_rate"], report["average_minutes_late"]) == (8, 3, 37.5, 13.3)
    assert [b["bookings"] for b in report["minutes_late_buckets"]] == [4, 1, 1, 1, 1]
    assert report["by_class_type"] == [
        {"class_type_id": week["classes"][2].class_type_id, "class_type": "Spin", "attended": 3, "late": 1,
         "late_rate": 33.3, "average_minutes_late": 20.0, "max_minutes_late": 20},
        {"class_type_id": week["classes"][0].class_type_id, "class_type": "Yoga", "attended": 5, "late": 2,
         "late_rate": 40.0, "average_minutes_late": 10.0, "max_minutes_late": 12},
    ]


def test_daily_weekly_monthly(org, week):
    days = selectors.timeline(**kw(org), granularity="day")["rows"]
    assert [(r["period_start"], r["total_bookings"], r["attended"], r["no_shows"], r["cancellations"],
             r["late_cancellations"], r["attendance_rate"]) for r in days] == [
        ("2026-03-02", 5, 2, 1, 1, 1, 50.0),
        ("2026-03-03", 0, 0, 0, 0, 0, None),
        ("2026-03-04", 7, 5, 1, 1, 0, 83.3),
        ("2026-03-05", 0, 0, 0, 0, 0, None),
        ("2026-03-06", 0, 0, 0, 0, 0, None),
        ("2026-03-07", 1, 0, 0, 1, 0, None),
        ("2026-03-08", 2, 1, 1, 0, 0, 50.0),  # Sunday 23:30 local is 22:30 UTC: still Sunday
    ]
    [weekly] = selectors.timeline(**kw(org), granularity="week")["rows"]
    assert (weekly["period_start"], weekly["total_bookings"], weekly["attended"], weekly["no_show_rate"]) == (
        "2026-03-02", 15, 8, 25.0)
    [monthly] = selectors.timeline(**kw(org), granularity="month")["rows"]
    assert (monthly["period_start"], monthly["total_bookings"]) == ("2026-03-01", 15)


def test_instructor_performance(org, week):
    # Ines: c1 c2, 18 places, 5 attended, no-shows 2 of 8 settled.  Jon: c2 c3 c7, 18 places, 6 attended,
    # no-shows 2 of 8 settled (c3's cancelled booking is not settled).  Kai taught nothing.
    rows = selectors.instructor_performance(**kw(org), now=NOW)["rows"]
    assert [{k: r[k] for k in ("instructor", "classes_taught", "attended", "average_attendance", "places",
                               "utilisation", "no_shows", "no_show_rate")} for r in rows] == [
        {"instructor": "Ines", "classes_taught": 2, "attended": 5, "average_attendance": 2.5, "places": 18,
         "utilisation": 27.8, "no_shows": 2, "no_show_rate": 25.0},
        {"instructor": "Jon", "classes_taught": 3, "attended": 6, "average_attendance": 2.0, "places": 18,
         "utilisation": 33.3, "no_shows": 2, "no_show_rate": 25.0},
        {"instructor": "Kai", "classes_taught": 0, "attended": 0, "average_attendance": None, "places": 0,
         "utilisation": None, "no_shows": 0, "no_show_rate": None},
    ]


def test_revenue_by_method(org, week):
    report = selectors.revenue(**kw(org))
    assert report["rows"] == [
        {"method": "membership", "bookings": 3, "paid_pennies": 0, "refunded_pennies": 0, "net_pennies": 0},
        {"method": "drop_in", "bookings": 5, "paid_pennies": 8600, "refunded_pennies": 2900, "net_pennies": 5700},
        {"method": "free", "bookings": 2, "paid_pennies": 0, "refunded_pennies": 0, "net_pennies": 0},
        {"method": "package", "bookings": 2, "paid_pennies": 2000, "refunded_pennies": 0, "net_pennies": 2000},
    ]
    assert report["total"] == {"bookings": 12, "paid_pennies": 10600, "refunded_pennies": 2900, "net_pennies": 7700}


def test_peak_hours(org, week):
    report = selectors.peak_hours(**kw(org))
    assert report["cells"] == [
        {"weekday": 1, "hour": 9, "bookings": 4, "attended": 2},
        {"weekday": 3, "hour": 18, "bookings": 6, "attended": 5},
        {"weekday": 7, "hour": 23, "bookings": 2, "attended": 1},
    ]
    assert report["attended"][2][18] == 5 and report["busiest"]["weekday"] == 3 and report["max_attended"] == 5


def test_engagement(org, week):
    # Not-cancelled bookings: P1 2 (2 attended), P2 3 (3), P3 2 (1), P4 1 (1), P5 2 (1), P6 2 (0).
    report = customer_reports.engagement(**kw(org))
    assert (report["active_customers"], report["bookings"], report["bookings_per_customer"]) == (6, 12, 2.0)
    assert [(b["attended"], b["customers"]) for b in report["frequency_bands"]] == [
        ("0", 1), ("1", 3), ("2-3", 2), ("4-7", 0), ("8+", 0)]
    assert report["lapsed_customers"] == 1
    assert report["lapsed"] == [{"customer_id": week["p"][6].pk, "name": "P6 Test", "last_attended": "2026-01-10"}]
    assert customer_reports.engagement(**kw(org), lapsed_days=60)["lapsed_customers"] == 0


def test_customer_history(org, week):
    report = customer_reports.customer_history(organization=org, customer=week["p"][2])
    assert [(b["class_type"], b["status"], b["minutes_late"]) for b in report["bookings"]] == [
        ("Spin", "attended", 0), ("Yoga", "attended", 3), ("Yoga", "attended", 8)]
    assert report["bookings"][1]["instructors"] == ["Ines", "Jon"]
    assert report["summary"] == {"total_bookings": 3, "attended": 3, "no_shows": 0, "cancellations": 0,
                                 "late_cancellations": 0, "registered": 0, "late_arrivals": 1,
                                 "attendance_rate": 100.0, "no_show_rate": 0.0}


def test_all_attendances_filtered(org, week, django_assert_max_num_queries):
    p = week["p"]
    rows = selectors.attendances(**kw(org), filters={"status": "attended", "was_late": True})
    with django_assert_max_num_queries(3):
        shaped = selectors.attendance_rows(org, list(rows))
    assert [(r["customer"], r["class_type"], r["minutes_late"], r["membership_status"]) for r in shaped] == [
        ("P2 Test", "Yoga", 8, "none"), ("P3 Test", "Yoga", 12, "none"), ("P5 Test", "Spin", 20, "active")]
    assert shaped[0]["starts_at"] == "2026-03-02T09:00:00+01:00"
    jon_rows = selectors.attendances(**kw(org), filters={"instructor": week["jon"].pk, "customer": p[6].pk})
    assert sorted(b.status for b in jon_rows) == ["cancelled", "no_show", "no_show"]


def test_day_boundaries_across_the_spring_dst_change(org, studio):
    """Madrid springs forward on Sunday 29 March 2026 (a 23-hour day)."""
    a, yoga, person = f.venue(org, "A", 10), f.class_type(org, "Yoga"), f.customer(org, "D")
    just_after_midnight = f.fitness_class(org, yoga, a, f.local(org, date(2026, 3, 29), 0, 30))  # 23:30 UTC on the 28th
    late_evening = f.fitness_class(org, yoga, a, f.local(org, date(2026, 3, 29), 23, 30))  # 21:30 UTC
    next_day = f.fitness_class(org, yoga, a, f.local(org, date(2026, 3, 30), 0, 15))  # 22:15 UTC on the 29th
    assert just_after_midnight.starts_at.day == 28 and next_day.starts_at.day == 29
    for cls in (just_after_midnight, late_evening, next_day):
        f.booking(cls, person, "attended")
    rows = selectors.timeline(organization=org, start=date(2026, 3, 28), end=date(2026, 3, 30))["rows"]
    assert [(r["period_start"], r["attended"]) for r in rows] == [("2026-03-28", 0), ("2026-03-29", 2), ("2026-03-30", 1)]
    assert selectors.statistics(organization=org, start=date(2026, 3, 29), end=date(2026, 3, 29),
                                now=NOW + timedelta(days=30))["attended"] == 2
    hours = {(c["weekday"], c["hour"]) for c in selectors.peak_hours(organization=org, start=date(2026, 3, 29),
                                                                      end=date(2026, 3, 30))["cells"]}
    assert hours == {(7, 0), (7, 23), (1, 0)}
