"""Time records that hold: on-behalf reasons, timesheet scope, CSV cells, lateness per shift, breaks,
effective-dated rosters and rates."""

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine

from attendance.models import CheckIn
from config.errors import DomainError
from organizations.dates import local_datetime
from staff import services
from staff.models import PastRate, Staff


def url(tail):
    return f"/api/staff/acme/{tail}"


def test_an_on_behalf_clock_without_a_reason_answers_reason_required(owner_client, worker_staff):
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = owner_client.post(url(f"staff/{worker_staff.pk}/clock-in/"), body, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "reason_required", response.json()
    assert not CheckIn.objects.exists()


def test_timesheet_pages_and_csv_answer_404_for_someone_elses_or_another_hotels_staff_id(
        client, worker, owner, worker_staff, colleague_staff, other_org):
    stranger = Staff.objects.create(organization=other_org, first_name="Otto")
    client.force_login(worker)
    for path in ("/hotel/acme/timesheet/", "/hotel/acme/timesheet.csv"):
        assert client.get(f"{path}?staff_id={worker_staff.pk}").status_code == 200
        assert client.get(f"{path}?staff_id={colleague_staff.pk}").status_code == 404  # someone else's
        assert client.get(f"{path}?staff_id={stranger.pk}").status_code == 404
    client.force_login(owner)
    for path in ("/hotel/acme/timesheet/", "/hotel/acme/timesheet.csv"):
        assert client.get(f"{path}?staff_id={colleague_staff.pk}").status_code == 200
        assert client.get(f"{path}?staff_id={stranger.pk}").status_code == 404  # another hotel's
    assert client.get(f"/api/staff/acme/timesheet/?staff_id={stranger.pk}").status_code == 404  # as the API


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+1+2", "-2+3", "@SUM(A1)", "\t=1+2", "\r=1+2", "\tplain"])
def test_the_csv_neutralises_every_formula_lead(client, owner, hotel, name):
    Staff.objects.create(organization=hotel, first_name=name, last_name="X", hourly_rate=Decimal("1.00"))
    client.force_login(owner)
    body = client.get("/hotel/acme/timesheet.csv?start=2025-01-01&end=2025-01-31").content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    (cell,) = [row[1] for row in rows[1:-1]]
    assert cell == "'" + name


# --- the hotel's day: lateness per shift, breaks, effective-dated rosters and rates --------------

MONDAY = date(2025, 11, 17)


def at(hotel, day: date, hhmm: str) -> datetime:
    return local_datetime(day, time.fromisoformat(hhmm), hotel.tz)


def roster(staff, weekdays, start="09:00", end="17:00", **kwargs):
    services.staff_shifts_set(staff=staff, shifts=[
        {"weekday": d, "start_time": time.fromisoformat(start), "end_time": time.fromisoformat(end)} for d in weekdays],
        **kwargs)


def work(hotel, staff, day, *spans):
    for start, end in spans:
        services.staff_clock_in(staff=staff, at=at(hotel, day, start))
        services.staff_clock_out(staff=staff, at=at(hotel, day, end))


def sheet(client, staff, start, end):
    response = client.get(f"/api/staff/acme/timesheet/?start={start}&end={end}&staff_id={staff.pk}")
    assert response.status_code == 200, response.json()
    (entry,) = response.json()["staff"]
    return entry


def hours_from_rows(staff) -> Decimal:
    seconds = sum(r.duration.total_seconds() for r in CheckIn.objects.filter(attendee_id=staff.pk))
    return (Decimal(seconds) / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_a_return_from_lunch_or_an_evening_event_is_a_break_not_a_late_arrival(hotel, worker_staff, owner_client):
    roster(worker_staff, range(7))
    tuesday = MONDAY + timedelta(days=1)
    work(hotel, worker_staff, MONDAY, ("09:00", "13:00"), ("14:00", "17:00"), ("20:00", "21:00"))
    work(hotel, worker_staff, tuesday, ("09:00", "13:00"), ("14:00", "17:00"))
    entry = sheet(owner_client, worker_staff, MONDAY, tuesday)
    assert (entry["late_arrivals"], entry["late_minutes"], entry["early_leaves"], entry["half_days"]) == (0, 0, 0, 0)
    assert entry["sessions"] == 5 and entry["breaks"] == 3
    assert entry["break_hours"] == "5.00"  # 13-14 and 17-20 on Monday, 13-14 on Tuesday
    assert Decimal(entry["hours_worked"]) == hours_from_rows(worker_staff) == Decimal("15.00")  # unpaid breaks
    monday = entry["days"][0]
    assert (monday["kind"], monday["late_minutes"], monday["early_leave_minutes"]) == ("full_day", 0, 0)
    assert [(b["start"], b["end"], b["minutes"]) for b in monday["breaks"]] == [("13:00", "14:00", 60),
                                                                               ("17:00", "20:00", 180)]

    hotel.settings = {"staff": {"paid_breaks": True}}
    hotel.save()
    paid = sheet(owner_client, worker_staff, MONDAY, tuesday)
    assert paid["hours_worked"] == "20.00" and paid["break_hours"] == "5.00"  # 15 h on the clock + 5 h of breaks
    assert paid["pay"] == "250.00"  # 20 h × 12.50


def test_lateness_is_judged_at_the_first_clock_in_and_early_leave_at_the_last_clock_out(
        hotel, worker_staff, owner_client):
    roster(worker_staff, range(7))
    work(hotel, worker_staff, MONDAY, ("09:30", "12:00"), ("13:00", "16:00"))
    entry = sheet(owner_client, worker_staff, MONDAY, MONDAY)
    (day,) = entry["days"]
    assert (day["late_minutes"], day["early_leave_minutes"]) == (30, 60)
    assert (entry["late_arrivals"], entry["late_minutes"], entry["early_leaves"]) == (1, 30, 1)
    assert day["kind"] == "half_day_morning" and entry["half_days"] == 1  # 5.5 h of 8, judged once for the day


def test_past_timesheets_keep_the_roster_and_the_rate_that_applied(hotel, worker_staff, owner_client):
    roster(worker_staff, range(7))  # every day 09-17 (a first roster applies from always)
    november = (date(2025, 11, 1), date(2025, 11, 30))
    for offset in range(0, 28, 3):
        work(hotel, worker_staff, date(2025, 11, 1) + timedelta(days=offset), ("09:00", "18:30"))
    before = sheet(owner_client, worker_staff, *november)
    assert before["scheduled_hours"] == "240.00" and before["hours_worked"] == "95.00"  # 30 × 8, 10 × 9.5

    with time_machine.travel(at(hotel, date(2025, 12, 8), "11:00")):
        roster(worker_staff, range(5), "10:00", "14:00")  # from today: weekdays 10-14
        services.staff_rate_set(staff=worker_staff, hourly_rate=Decimal("20.00"))
        work(hotel, worker_staff, date(2025, 12, 8), ("10:00", "10:30"))
    after = sheet(owner_client, worker_staff, *november)
    assert after == before  # nothing of November moved: hours, schedule, overtime, rate, pay
    assert after["pay"] == "1187.50"  # 95 h × 12.50

    december = sheet(owner_client, worker_staff, date(2025, 12, 1), date(2025, 12, 14))
    # 1-7 Dec: every day 8 h; 8-14 Dec: weekdays 4 h
    assert december["scheduled_hours"] == str(Decimal(7 * 8 + 5 * 4)) + ".00"
    assert december["hourly_rate"] == "20.00" and december["pay"] == "10.00"  # 0.5 h at the new rate
    assert PastRate.objects.get(staff=worker_staff).until == date(2025, 12, 7)


def test_a_rate_change_cannot_reach_back_before_the_last_one_nor_into_the_future(hotel, worker_staff, owner_client):
    with time_machine.travel(at(hotel, date(2025, 12, 8), "10:00")):
        services.staff_rate_set(staff=worker_staff, hourly_rate=Decimal("13.00"), effective_from=date(2025, 12, 1))
        for effective_from, code in ((date(2025, 11, 30), "rate_backdated"), (date(2025, 12, 9), "rate_in_future")):
            with pytest.raises(DomainError) as refused:
                services.staff_rate_set(staff=worker_staff, hourly_rate=Decimal("14.00"), effective_from=effective_from)
            assert refused.value.code == code
        services.staff_rate_set(staff=worker_staff, hourly_rate=Decimal("14.00"))  # today: fine
    assert [(r.hourly_rate, r.until) for r in PastRate.objects.filter(staff=worker_staff)] == [
        (Decimal("12.50"), date(2025, 11, 30)), (Decimal("13.00"), date(2025, 12, 7))]
    worker_staff.refresh_from_db()
    assert worker_staff.hourly_rate == Decimal("14.00")


def test_the_shifts_api_replaces_the_roster_from_a_day_and_shows_the_current_one(hotel, worker_staff, owner_client):
    roster(worker_staff, range(7))
    work(hotel, worker_staff, MONDAY, ("09:00", "17:00"))
    response = owner_client.put(f"/api/staff/acme/staff/{worker_staff.pk}/shifts/", {
        "effective_from": "2025-11-18", "shifts": [{"weekday": 0, "start_time": "12:00", "end_time": "16:00"}],
    }, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["shifts"] == [{"weekday": 0, "start_time": "12:00", "end_time": "16:00"}]
    entry = sheet(owner_client, worker_staff, MONDAY, MONDAY + timedelta(days=7))
    assert entry["scheduled_hours"] == "12.00"  # Monday 17th under the old roster (8 h), Monday 24th the new (4 h)


def test_a_forgotten_clock_out_is_closed_at_its_expected_time_by_the_next_press(hotel, worker_staff, worker_client,
                                                                                 owner_client):
    roster(worker_staff, range(7))
    opened = services.staff_clock_in(staff=worker_staff, at=at(hotel, MONDAY, "08:58")).check_in
    wednesday = MONDAY + timedelta(days=2)
    with time_machine.travel(at(hotel, wednesday, "09:02"), tick=False):  # the job has not run since Monday
        response = worker_client.post("/api/staff/acme/clock/", format="json")
    assert response.status_code == 200 and response.json()["is_on_duty"] is True
    assert response.json()["clock_time"] == "2025-11-19T08:02:00.000Z"
    opened.refresh_from_db()
    assert opened.checked_out_at == opened.expected_checkout_at == at(hotel, MONDAY, "17:30")  # shift end + grace
    assert opened.auto_closed and opened.kind == "full_day"
    rows = CheckIn.objects.filter(attendee_id=worker_staff.pk).order_by("checked_in_at")
    assert [(r.checked_in_at, r.checked_out_at) for r in rows] == [
        (at(hotel, MONDAY, "08:58"), at(hotel, MONDAY, "17:30")), (at(hotel, wednesday, "09:02"), None)]
    monday = sheet(owner_client, worker_staff, MONDAY, MONDAY)
    assert monday["hours_worked"] == "8.53" and opened.duration == timedelta(hours=8, minutes=32)  # not 2 days
    assert monday["auto_closed"] == 1
    worker_staff.refresh_from_db()
    assert worker_staff.is_on_duty and worker_staff.session_check_in_id == rows[1].pk
