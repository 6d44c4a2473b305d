"""Shifts, auto clock-out at shift end + grace, and timesheets in the hotel's time zone."""

import csv
import io
from datetime import date, datetime, time, timedelta

import time_machine

from attendance import services as engine
from attendance.models import CheckIn, Kind
from organizations.dates import local_datetime
from realtime.tests.helpers import deliver_outbox
from staff import services
from staff.tasks import auto_checkout, auto_checkout_all
from staff.tests.helpers import clock_events

MONDAY = date(2025, 11, 17)


def shifts(staff, *rows):
    services.staff_shifts_set(staff=staff, shifts=[
        {"weekday": d, "start_time": time.fromisoformat(a), "end_time": time.fromisoformat(b)} for d, a, b in rows])


def at(hotel, day: date, hhmm: str) -> datetime:
    return local_datetime(day, time.fromisoformat(hhmm), hotel.tz)


def test_late_arrival_and_early_leave_use_the_grace_period(hotel, worker_staff):
    shifts(worker_staff, (0, "09:00", "17:00"))
    on_time = services.staff_clock_in(staff=worker_staff, at=at(hotel, MONDAY, "09:08"))  # within 10 min grace
    assert on_time.check_in.late_minutes == 0
    services.staff_clock_out(staff=worker_staff, at=at(hotel, MONDAY, "16:55"))
    next_monday = MONDAY + timedelta(days=7)
    late = services.staff_clock_in(staff=worker_staff, at=at(hotel, next_monday, "09:25"))
    row = services.staff_clock_out(staff=worker_staff, at=at(hotel, next_monday, "16:30")).check_in
    late.check_in.refresh_from_db()
    assert late.check_in.late_minutes == 25
    assert row.early_leave_minutes == 30 and row.kind == Kind.FULL_DAY


def test_forgotten_clock_out_is_closed_at_shift_end_plus_grace_and_mirrored(listen,
        hotel, worker_staff, django_capture_on_commit_callbacks):
    shifts(worker_staff, (0, "09:00", "17:00"))
    opened = services.staff_clock_in(staff=worker_staff, at=at(hotel, MONDAY, "08:58")).check_in
    assert opened.expected_checkout_at == at(hotel, MONDAY, "17:30")  # default grace: 30 min
    deliver_outbox()  # the clock-in's event goes out before the screen listens
    drain = listen("hotel-acme")
    with time_machine.travel(at(hotel, MONDAY, "17:29"), tick=False):
        assert auto_checkout.delay(hotel.pk).get() == 0
    with time_machine.travel(at(hotel, MONDAY, "17:31"), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert auto_checkout_all() == 1  # one hotel queued (run at once: tasks are eager in tests)
        deliver_outbox()
        events = clock_events(drain())  # (inside the travel: the in-memory layer expires messages by clock)
    opened.refresh_from_db()
    worker_staff.refresh_from_db()
    assert opened.auto_closed and opened.checked_out_at == at(hotel, MONDAY, "17:30")
    assert not worker_staff.is_on_duty and worker_staff.last_clock_out == at(hotel, MONDAY, "17:30")
    (event,) = events
    assert event["action"] == "clock_out" and event["clock_time"] == "2025-11-17T16:30:00.000Z"


def test_the_engines_own_auto_checkout_ends_duty(hotel, worker_staff,
                                                                     django_capture_on_commit_callbacks):
    hotel.settings = {"staff": {"auto_checkout_grace_minutes": 5}}
    hotel.save()
    shifts(worker_staff, (0, "22:00", "06:00"))  # overnight
    opened = services.staff_clock_in(staff=worker_staff, at=at(hotel, MONDAY, "21:55")).check_in
    assert opened.expected_checkout_at == at(hotel, MONDAY + timedelta(days=1), "06:05")
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.checkout_expired(organization=hotel, before=at(hotel, MONDAY + timedelta(days=1), "07:00")) == 1
    worker_staff.refresh_from_db()
    assert not worker_staff.is_on_duty and not worker_staff.session_active


def test_without_a_shift_a_session_is_capped(hotel, worker_staff):
    opened = services.staff_clock_in(staff=worker_staff, at=at(hotel, MONDAY, "10:00")).check_in
    assert opened.expected_checkout_at == at(hotel, MONDAY, "10:00") + timedelta(hours=16)


def test_on_duty_and_last_clock_times_are_the_engines_session_by_any_route(hotel, worker_staff, owner):
    """Nothing is mirrored: a session closed by a manager's correction is off duty at once."""
    from attendance.models import CorrectionKind

    opened = services.staff_clock_in(staff=worker_staff, at=at(hotel, MONDAY, "10:00")).check_in
    worker_staff.refresh_from_db()
    assert worker_staff.is_on_duty and worker_staff.last_clock_in == at(hotel, MONDAY, "10:00")
    assert worker_staff.last_clock_out is None
    correction = engine.correction_submit(organization=hotel, attendee=worker_staff, kind=CorrectionKind.MISSING_CHECK_OUT,
                                          reason="forgot", check_in=opened, proposed_checked_out_at=at(hotel, MONDAY, "18:00"))
    engine.correction_approve(correction=correction, actor=owner)
    worker_staff = type(worker_staff).objects.get(pk=worker_staff.pk)
    assert not worker_staff.is_on_duty and worker_staff.last_clock_out == at(hotel, MONDAY, "18:00")


def _week(hotel, staff):
    """Mon 09-17 shift: Mon on time to 17:00, Tue late 25 min, Wed half day, Thu 2 h overtime, Fri forgot."""
    shifts(staff, *[(d, "09:00", "17:00") for d in range(5)])
    plan = [("09:00", "17:00"), ("09:25", "17:00"), ("09:00", "13:00"), ("09:00", "19:00"), ("09:00", None)]
    for offset, (start, end) in enumerate(plan):
        day = MONDAY + timedelta(days=offset)
        services.staff_clock_in(staff=staff, at=at(hotel, day, start))
        if end:
            services.staff_clock_out(staff=staff, at=at(hotel, day, end))
    services.staff_auto_checkout(organization=hotel, now=at(hotel, MONDAY + timedelta(days=5), "00:00"))


def test_timesheet_counts_hours_overtime_half_days_late_and_auto_closed(hotel, worker_staff, colleague_staff,
                                                                        owner_client, django_assert_max_num_queries):
    _week(hotel, worker_staff)
    with django_assert_max_num_queries(12):
        response = owner_client.get("/api/staff/acme/timesheet/?start=2025-11-17&end=2025-11-23")
    body = response.json()
    mine = next(s for s in body["staff"] if s["staff_id"] == worker_staff.pk)
    # 8 + 7h35 + 4 + 10 + 8h30 (auto-closed at 17:30) = 38h05
    assert mine["hours_worked"] == "38.08"
    assert mine["scheduled_hours"] == "40.00"
    assert mine["overtime_hours"] == "2.50"  # Thursday's 2 h, Friday's 30 min of grace
    assert (mine["half_days"], mine["late_arrivals"], mine["late_minutes"], mine["auto_closed"]) == (1, 1, 25, 1)
    assert mine["days_worked"] == 5 and mine["pay"] == "476.00"  # 38.08 h × 12.50
    assert body["totals"]["hours_worked"] == "38.08" and body["totals"]["sessions"] == 5
    other = next(s for s in body["staff"] if s["staff_id"] == colleague_staff.pk)
    assert other["hours_worked"] == "0.00"


def test_timesheet_csv_and_scope(hotel, worker_staff, colleague_staff, owner_client, worker_client, colleague_client):
    _week(hotel, worker_staff)
    response = owner_client.get("/api/staff/acme/timesheet.csv?start=2025-11-17&end=2025-11-23")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "timesheet-acme-2025-11-17-2025-11-23.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["Last name"] for r in rows] == ["Colleague", "Worker", ""]
    assert rows[1]["Hours worked"] == "38.08" and rows[1]["Auto-closed sessions"] == "1" and rows[2]["First name"] == "TOTAL"

    own = worker_client.get("/api/staff/acme/timesheet/?start=2025-11-17&end=2025-11-23").json()
    assert [s["staff_id"] for s in own["staff"]] == [worker_staff.pk]  # staff see only themselves
    assert len(own["staff"][0]["days"]) == 5 and own["staff"][0]["days"][4]["sessions"][0]["auto_closed"] is True
    peek = colleague_client.get(f"/api/staff/acme/timesheet/?staff_id={worker_staff.pk}")
    assert peek.status_code == 404
    bad = owner_client.get("/api/staff/acme/timesheet/?start=2025-11-23&end=2025-11-17")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def test_overnight_shift_belongs_to_the_day_it_starts_across_the_dst_change(hotel, worker_staff, owner_client):
    # Madrid leaves summer time on Sunday 2025-10-26 at 03:00 → 02:00: that night has 9 hours, not 8.
    shifts(worker_staff, (5, "22:00", "06:00"))  # Saturday night
    saturday = date(2025, 10, 25)
    services.staff_clock_in(staff=worker_staff, at=at(hotel, saturday, "22:00"))
    services.staff_clock_out(staff=worker_staff, at=at(hotel, saturday + timedelta(days=1), "06:00"))
    body = owner_client.get(f"/api/staff/acme/timesheet/?start=2025-10-25&end=2025-10-25&staff_id={worker_staff.pk}").json()
    (entry,) = body["staff"]
    assert entry["hours_worked"] == "9.00" and entry["scheduled_hours"] == "9.00" and entry["overtime_hours"] == "0.00"
    assert entry["days"][0]["date"] == "2025-10-25"
    row = CheckIn.objects.get(attendee_id=worker_staff.pk)
    assert row.kind == Kind.FULL_DAY and row.late_minutes == 0
    sunday = owner_client.get("/api/staff/acme/timesheet/?start=2025-10-26&end=2025-10-26").json()
    assert sunday["totals"]["hours_worked"] == "0.00"


def test_staff_with_no_schedule_get_overtime_past_the_standard_day(hotel, worker_staff, owner_client):
    services.staff_clock_in(staff=worker_staff, at=at(hotel, MONDAY, "08:00"))
    services.staff_clock_out(staff=worker_staff, at=at(hotel, MONDAY, "18:00"))
    body = owner_client.get("/api/staff/acme/timesheet/?start=2025-11-17&end=2025-11-17").json()
    mine = next(s for s in body["staff"] if s["staff_id"] == worker_staff.pk)
    assert (mine["hours_worked"], mine["overtime_hours"], mine["scheduled_hours"]) == ("10.00", "2.00", "0.00")
