"""Clocking in outside one's weekly shift: the person is told in the clock answer, and the board flags it
(in the hotel's time zone, across the spring clock change)."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from staff import services

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")


def madrid(*args):
    return datetime(*args, tzinfo=MADRID)


@pytest.fixture
def shifts(worker_staff):
    # Every day 07:00-15:00: 29 March 2026 is a Sunday, the day Madrid springs forward at 02:00.
    return services.staff_shifts_set(staff=worker_staff, shifts=[
        {"weekday": day, "start_time": time(7), "end_time": time(15)} for day in range(7)
    ])


def clock_in(client, at):
    with time_machine.travel(at, tick=False):
        return client.post("/api/staff/acme/clock-in/", {"method": "web"}, format="json").json()


def board(client, at):
    with time_machine.travel(at, tick=False):
        return client.get("/api/staff/acme/board/").json()["on_duty"]


@pytest.mark.parametrize("day", [10, 29])  # an ordinary Tuesday, and the clock-change Sunday
def test_a_clock_in_two_hours_early_is_flagged_to_the_person_and_on_the_board(worker_client, colleague_client, shifts, day):
    answer = clock_in(worker_client, madrid(2026, 3, day, 5, 0))
    assert answer["is_on_duty"] is True
    assert answer["shift_warning"] == "Clocked in at 05:00, outside the shift 07:00–15:00."
    [person] = board(colleague_client, madrid(2026, 3, day, 5, 5))
    assert person["shift_warning"] == answer["shift_warning"]


@pytest.mark.parametrize("day", [10, 29])
def test_a_clock_in_within_half_an_hour_of_the_start_is_on_shift(worker_client, colleague_client, shifts, day):
    answer = clock_in(worker_client, madrid(2026, 3, day, 6, 40))
    assert answer["is_on_duty"] is True and "shift_warning" not in answer
    assert board(colleague_client, madrid(2026, 3, day, 6, 45))[0]["shift_warning"] is None


def test_nobody_without_a_schedule_is_flagged(worker_client, worker_staff):
    answer = clock_in(worker_client, madrid(2026, 3, 10, 3, 0))
    assert answer["is_on_duty"] is True and "shift_warning" not in answer
