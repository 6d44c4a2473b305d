"""The clock API: answers, codes, permissions and the audit log of on-behalf clocks."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from attendance.models import CheckIn, Refusal
from organizations.models import AuditLog
from staff.models import Staff
from tests.fixtures import client_for, make_user

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NOON = datetime(2025, 11, 22, 14, 30, tzinfo=UTC)


def url(slug, tail):
    return f"/api/staff/{slug}/{tail}"


@time_machine.travel(NOON, tick=False)
def test_clock_toggles_and_answers_the_documented_body(worker_client, worker_staff):
    first = worker_client.post(url("acme", "clock/"), format="json")
    assert first.status_code == 200
    assert first.json() == {"success": True, "is_on_duty": True, "clock_time": "2025-11-22T14:30:00.000Z"}
    worker_staff.refresh_from_db()
    assert worker_staff.is_on_duty and worker_staff.last_clock_in == NOON

    with time_machine.travel(NOON + timedelta(hours=8, milliseconds=250), tick=False):
        second = worker_client.post(url("acme", "clock/"), format="json")
    assert second.json() == {"success": True, "is_on_duty": False, "clock_time": "2025-11-22T22:30:00.250Z"}
    worker_staff.refresh_from_db()
    assert not worker_staff.is_on_duty and worker_staff.last_clock_out == NOON + timedelta(hours=8, milliseconds=250)
    row = CheckIn.objects.get(attendee_id=worker_staff.pk)
    assert (row.source, row.method, row.duration) == ("staff", "web", timedelta(hours=8, milliseconds=250))


def test_explicit_clock_in_and_out_refuse_a_no_op_with_a_code(worker_client, worker_staff):
    refused_out = worker_client.post(url("acme", "clock-out/"))
    assert refused_out.status_code == 409
    assert refused_out.json()["code"] == "not_on_duty"

    ok = worker_client.post(url("acme", "clock-in/"), {"method": "kiosk"}, format="json")
    assert ok.status_code == 200 and ok.json()["is_on_duty"] is True
    again = worker_client.post(url("acme", "clock-in/"))
    assert again.status_code == 409
    assert again.json()["code"] == "already_on_duty"
    # The engine refused it under the staff row's lock, with the staff channel's policy's code.
    assert list(Refusal.objects.filter(attendee_id=worker_staff.pk).values_list("code", flat=True)) == ["already_on_duty"]

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)):
        out = worker_client.post(url("acme", "clock-out/"))
    assert out.status_code == 200 and out.json()["is_on_duty"] is False
    assert CheckIn.objects.get(attendee_id=worker_staff.pk).method == "kiosk"


def test_bad_method_is_a_400_with_a_code(worker_client, worker_staff):
    response = worker_client.post(url("acme", "clock/"), {"method": "telepathy"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("tail", ["clock/", "clock-in/", "clock-out/", "me/"])
def test_a_member_of_the_hotel_who_is_not_staff_gets_404(owner_client, worker_staff, tail):
    call = owner_client.get if tail == "me/" else owner_client.post
    response = call(url("acme", tail))
    assert response.status_code == 404
    assert response.json()["code"] == "not_staff"


@pytest.mark.parametrize("slug", ["other", "no-such-hotel"])
def test_another_or_unknown_hotel_is_404(worker_client, worker_staff, other_org, slug):
    response = worker_client.post(url(slug, "clock/"))
    assert response.status_code == 404
    assert not CheckIn.objects.exists()


def test_outsider_gets_404_everywhere(outsider_client, worker_staff):
    for path in ("clock/", "board/", "timesheet/", "staff/"):
        assert outsider_client.get(url("acme", path)).status_code in (404, 405)
    assert outsider_client.post(url("acme", f"staff/{worker_staff.pk}/clock-in/"), {"reason": "x"}).status_code == 404


def test_anonymous_is_401(worker_staff):
    from rest_framework.test import APIClient

    assert APIClient().post(url("acme", "clock/")).status_code in (401, 403)


def test_manager_clocks_in_and_out_on_behalf_with_an_audit_record(owner_client, owner, worker_staff):
    missing = owner_client.post(url("acme", f"staff/{worker_staff.pk}/clock-in/"), {}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "reason_required"  # as documented

    started = datetime.now(UTC) - timedelta(hours=2)
    response = owner_client.post(url("acme", f"staff/{worker_staff.pk}/clock-in/"),
                                 {"reason": "Forgot her badge", "at": started.isoformat()}, format="json")
    assert response.status_code == 200 and response.json()["is_on_duty"] is True
    worker_staff.refresh_from_db()
    assert worker_staff.is_on_duty and abs(worker_staff.last_clock_in - started) < timedelta(seconds=1)
    log = AuditLog.objects.get(action="staff.clock_in_on_behalf")
    assert (log.actor, log.reason, log.object_id) == (owner, "Forgot her badge", str(worker_staff.pk))

    out = owner_client.post(url("acme", f"staff/{worker_staff.pk}/clock-out/"), {"reason": "Left sick"}, format="json")
    assert out.status_code == 200 and out.json()["is_on_duty"] is False
    assert AuditLog.objects.get(action="staff.clock_out_on_behalf").reason == "Left sick"
    again = owner_client.post(url("acme", f"staff/{worker_staff.pk}/clock-out/"), {"reason": "x"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "not_on_duty"


def test_on_behalf_needs_a_manager_and_a_staff_member_of_this_hotel(colleague_client, owner_client, worker_staff, other_org):
    assert colleague_client.post(url("acme", f"staff/{worker_staff.pk}/clock-in/"), {"reason": "x"}).status_code == 403
    stranger = Staff.objects.create(organization=other_org, first_name="Sam", last_name="Stranger")
    response = owner_client.post(url("acme", f"staff/{stranger.pk}/clock-in/"), {"reason": "x"}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "staff_not_found"
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    late = owner_client.post(url("acme", f"staff/{worker_staff.pk}/clock-in/"), {"reason": "x", "at": future}, format="json")
    assert late.status_code == 400


def test_inactive_staff_cannot_clock_in(worker_client, worker_staff):
    worker_staff.is_active = False
    worker_staff.save()
    response = worker_client.post(url("acme", "clock/"))
    assert response.status_code == 409 and response.json()["code"] == "attendee_inactive"


def test_me_and_staff_list(worker_client, colleague_client, worker_staff, colleague_staff):
    me = worker_client.get(url("acme", "me/")).json()
    assert me["staff_id"] == worker_staff.pk and me["is_on_duty"] is False and me["last_clock_in"] is None
    worker_client.post(url("acme", "clock/"))
    people = colleague_client.get(url("acme", "staff/")).json()
    assert {p["staff_id"]: p["is_on_duty"] for p in people} == {worker_staff.pk: True, colleague_staff.pk: False}
    assert ISO_Z.match(next(p for p in people if p["is_on_duty"])["last_clock_in"])


def test_shifts_are_read_by_workers_and_replaced_by_managers(owner_client, worker_client, worker_staff):
    body = {"shifts": [{"weekday": 0, "start_time": "22:00", "end_time": "06:00"},
                       {"weekday": 1, "start_time": "09:00", "end_time": "17:00"}]}
    assert worker_client.put(url("acme", f"staff/{worker_staff.pk}/shifts/"), body, format="json").status_code == 403
    response = owner_client.put(url("acme", f"staff/{worker_staff.pk}/shifts/"), body, format="json")
    assert response.status_code == 200
    assert worker_client.get(url("acme", f"staff/{worker_staff.pk}/shifts/")).json() == {"staff_id": worker_staff.pk, **body}
    duplicate = {"shifts": [body["shifts"][0], body["shifts"][0]]}
    bad = owner_client.put(url("acme", f"staff/{worker_staff.pk}/shifts/"), duplicate, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "duplicate_weekday"
    assert AuditLog.objects.filter(action="staff.shifts_set").count() == 1


def test_board_snapshot_for_members_and_display_keys(colleague_client, worker_client, worker_staff, colleague_staff,
                                                      hotel, kiosk, django_assert_max_num_queries):
    from organizations.services import device_key_create

    worker_client.post(url("acme", "clock/"))
    with django_assert_max_num_queries(8):
        snapshot = colleague_client.get(url("acme", "board/")).json()
    assert [p["staff_id"] for p in snapshot["on_duty"]] == [worker_staff.pk]
    assert ISO_Z.match(snapshot["on_duty"][0]["since"])
    assert {d["department"]: (d["on_duty"], d["total"]) for d in snapshot["departments"]} == {
        "Housekeeping": (1, 1), "Front desk": (0, 1)}
    assert snapshot["totals"] == {"on_duty": 1, "staff": 2}
    assert snapshot["recent"][0]["action"] == "clock_in" and snapshot["recent"][0]["staff_id"] == worker_staff.pk

    _, display_key = device_key_create(organization=hotel, name="Lobby TV", kind="display")
    from rest_framework.test import APIClient

    tv = APIClient()
    tv.credentials(HTTP_AUTHORIZATION=f"Device {display_key}")
    assert tv.get(url("acme", "board/")).json()["totals"]["on_duty"] == 1
    assert tv.get(url("other", "board/")).status_code == 404
    assert tv.post(url("acme", "clock/")).status_code == 403  # a screen cannot clock anybody
    assert kiosk.get(url("acme", "board/")).status_code == 403  # a kiosk key is not a display


def test_board_query_count_does_not_grow_with_staff(colleague_client, hotel, django_assert_max_num_queries):
    for i in range(40):
        user = make_user(f"s{i}", hotel, "staff")
        staff = Staff.objects.create(organization=hotel, user=user, first_name=f"S{i}", department=f"D{i % 4}")
        client_for(user).post(url("acme", "clock/"))
    with django_assert_max_num_queries(8):
        snapshot = colleague_client.get(url("acme", "board/")).json()
    assert snapshot["totals"]["on_duty"] == 40 and len(snapshot["recent"]) == 20
    assert staff.pk in [p["staff_id"] for p in snapshot["on_duty"]]


def test_a_retried_clock_with_the_same_idempotency_key_clocks_once(worker_client, colleague_client, worker_staff,
                                                                   colleague_staff):
    first = worker_client.post(url("acme", "clock/"), HTTP_IDEMPOTENCY_KEY="tap-1")
    retry = worker_client.post(url("acme", "clock/"), HTTP_IDEMPOTENCY_KEY="tap-1")
    assert first.json() == retry.json() and retry.json()["is_on_duty"] is True
    assert retry["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    # Another person's app choosing the same key is not answered with someone else's clock.
    assert colleague_client.post(url("acme", "clock/"), HTTP_IDEMPOTENCY_KEY="tap-1").json()["is_on_duty"] is True

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)):
        out = worker_client.post(url("acme", "clock/"), HTTP_IDEMPOTENCY_KEY="tap-2")
        out_retry = worker_client.post(url("acme", "clock/"), HTTP_IDEMPOTENCY_KEY="tap-2")
        other_path = worker_client.post(url("acme", "clock-out/"), HTTP_IDEMPOTENCY_KEY="tap-2")
    assert out.json()["is_on_duty"] is False and out_retry.json() == out.json()
    # The key is bound to its request: the same key on another path is refused, not answered.
    assert other_path.status_code == 422 and other_path.json()["code"] == "idempotency_key_reused"
    assert CheckIn.objects.filter(attendee_id=worker_staff.pk).count() == 1
    worker_staff.refresh_from_db()
    assert not worker_staff.is_on_duty


def test_clocking_runs_a_bounded_number_of_queries(worker_client, worker_staff, django_assert_max_num_queries):
    # A clock is a toggle: its decision and the check-in each read the open session after their lock.
    with django_assert_max_num_queries(22):
        assert worker_client.post(url("acme", "clock/")).status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)), django_assert_max_num_queries(22):
        assert worker_client.post(url("acme", "clock/")).status_code == 200


# --- pages ----------------------------------------------------------------------------------------


def test_board_page_for_a_tv_key_a_member_and_nobody_else(client, hotel, worker, outsider, worker_staff):
    from organizations.services import device_key_create

    _, display_key = device_key_create(organization=hotel, name="TV", kind="display")
    _, kiosk_key = device_key_create(organization=hotel, name="Kiosk", kind="kiosk")
    tv = client.get(f"/hotel/acme/board/?key={display_key}")
    assert tv.status_code == 200 and b'"displayKey": "' + display_key.encode() in tv.content
    assert b'class="navbar"' not in tv.content
    assert client.get(f"/hotel/acme/board/?key={kiosk_key}").status_code == 404
    assert client.get("/hotel/other/board/?key=" + display_key).status_code == 404
    assert client.get("/hotel/acme/board/").status_code == 302  # to the login page
    client.force_login(outsider)
    assert client.get("/hotel/acme/board/").status_code == 404
    client.force_login(worker)
    page = client.get("/hotel/acme/board/")
    assert page.status_code == 200 and b'id="clock-button"' in page.content


def test_staff_page_button_and_timesheet_pages(client, hotel, worker, owner, worker_staff):
    client.force_login(worker)
    page = client.get("/hotel/acme/")
    assert b'class="btn clock-button green"' in page.content and b">Clock In</button>" in page.content
    client.post(url("acme", "clock/"))
    page = client.get("/hotel/acme/")
    assert b'class="btn clock-button red"' in page.content and b">Clock Out</button>" in page.content
    assert client.get("/hotel/acme/timesheet/").status_code == 200
    client.force_login(owner)
    assert b'id="clock-button"' not in client.get("/hotel/acme/").content  # the owner is not staff here
    sheet = client.get("/hotel/acme/timesheet/?start=2025-01-01&end=2025-01-31")
    assert sheet.status_code == 200 and b"Wanda" in sheet.content
    csv_file = client.get("/hotel/acme/timesheet.csv?start=2025-01-01&end=2025-01-31")
    assert csv_file["Content-Type"].startswith("text/csv") and b"Wanda" in csv_file.content
    assert client.get("/hotel/acme/timesheet/?start=2025-02-01&end=2025-01-01").status_code == 400
