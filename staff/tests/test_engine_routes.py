"""The hotel's channel policy holds on every route into the engine, not only on the staff clock:
who may clock whom (and when), with what reason and audit, what expected clock-out applies, and
who reads clock records — over HTTP with each role and with a device key."""

from datetime import UTC, datetime, time, timedelta

import pytest

from attendance.models import CheckIn, Refusal
from organizations.models import AuditLog, Role
from staff.models import Staff
from tests.fixtures import client_for, make_user

pytestmark = pytest.mark.django_db

ENGINE = "/api/v1"


@pytest.fixture
def carl(hotel):
    """A second staff member with the staff role: the worker's colleague."""
    user = make_user("carl", hotel, Role.STAFF)
    return Staff.objects.create(organization=hotel, user=user, first_name="Carl", last_name="Colleague")


def staff_ref(staff, **extra):
    return {"attendee_type": "staff", "attendee_id": staff.pk, **extra}


def ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def test_a_staff_member_records_only_their_own_clock_and_only_now(worker_client, worker_staff, carl):
    colleague = worker_client.post(f"{ENGINE}/check-ins/", staff_ref(carl), format="json")
    assert colleague.status_code == 403 and colleague.json()["code"] == "permission_denied"
    for path, body in [("toggle/", staff_ref(carl)), ("check-outs/", staff_ref(carl)),
                       ("check-ins/", staff_ref(worker_staff, at=ago(hours=3))),
                       ("check-ins/", staff_ref(worker_staff, expected_checkout_at=ago(hours=-40))),
                       ("toggle/", staff_ref(worker_staff, at=ago(hours=3)))]:
        response = worker_client.post(f"{ENGINE}/{path}", body, format="json")
        assert (path, response.status_code, response.json()["code"]) == (path, 403, "permission_denied")
    assert not CheckIn.objects.exists() and not Refusal.objects.exists()

    own = worker_client.post(f"{ENGINE}/check-ins/", staff_ref(worker_staff), format="json")
    assert own.status_code == 201
    # The hotel's expected clock-out applies (no shift: max_session_hours), so the job closes it.
    row = CheckIn.objects.get(pk=own.json()["id"])
    assert row.expected_checkout_at - row.checked_in_at == timedelta(hours=16)
    again = worker_client.post(f"{ENGINE}/check-ins/", staff_ref(worker_staff), format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_on_duty"  # the hotel's rule, not the gym's
    out = worker_client.post(f"{ENGINE}/check-ins/{row.pk}/check-out/", {}, format="json")
    assert out.status_code == 200 and out.json()["checked_out_at"]
    assert not AuditLog.objects.filter(action__startswith="staff.clock").exists()  # their own: nothing to audit


def test_a_receptionist_cannot_clock_a_colleague_either(colleague_client, worker_staff):
    for path in ("check-ins/", "toggle/", "check-outs/"):
        response = colleague_client.post(f"{ENGINE}/{path}", staff_ref(worker_staff, reason="covering"), format="json")
        assert (path, response.status_code) == (path, 403)
    assert not CheckIn.objects.exists()


def test_a_manager_records_for_anyone_back_dated_with_a_reason_kept_in_the_audit_log(owner_client, owner, worker_staff):
    at = ago(hours=3)
    missing = owner_client.post(f"{ENGINE}/check-ins/", staff_ref(worker_staff, at=at), format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "reason_required"
    assert not CheckIn.objects.exists() and not AuditLog.objects.exists()

    created = owner_client.post(f"{ENGINE}/check-ins/", staff_ref(worker_staff, at=at, reason="Forgot her badge"),
                                format="json")
    assert created.status_code == 201
    row = CheckIn.objects.get(pk=created.json()["id"])
    assert row.expected_checkout_at - row.checked_in_at == timedelta(hours=16)
    log = AuditLog.objects.get(action="staff.clock_in_on_behalf")
    assert (log.actor, log.reason, log.object_id, log.data["check_in_id"]) == (owner, "Forgot her badge",
                                                                               str(worker_staff.pk), row.pk)
    no_reason = owner_client.post(f"{ENGINE}/check-ins/{row.pk}/check-out/", {}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason_required"
    out = owner_client.post(f"{ENGINE}/check-ins/{row.pk}/check-out/", {"reason": "Left sick", "at": ago(hours=1)},
                            format="json")
    assert out.status_code == 200
    assert AuditLog.objects.get(action="staff.clock_out_on_behalf").reason == "Left sick"
    toggled = owner_client.post(f"{ENGINE}/toggle/", staff_ref(worker_staff, reason="Night audit"), format="json")
    assert toggled.status_code == 200 and toggled.json()["action"] == "check_in"
    assert AuditLog.objects.filter(action="staff.clock_in_on_behalf").count() == 2


def test_a_device_key_clocks_no_staff_member_and_a_batch_refuses_only_those_items(kiosk, worker_staff, member):
    response = kiosk.post(f"{ENGINE}/check-ins/", staff_ref(worker_staff), format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    batch = kiosk.post(f"{ENGINE}/check-ins/bulk/", {"items": [
        {"action": "check_in", **staff_ref(worker_staff), "at": ago(minutes=30), "event_id": "e1"},
        {"action": "check_in", "attendee_id": member.pk, "at": ago(minutes=20), "event_id": "e2"},
    ]}, format="json")
    assert batch.status_code == 200
    results = {r["event_id"]: (r["status"], r.get("code")) for r in batch.json()["results"]}
    assert results == {"e1": ("refused", "permission_denied"), "e2": ("recorded", None)}
    assert not CheckIn.objects.filter(attendee_id=worker_staff.pk, attendee_type__model="staff").exists()


def test_each_role_reads_the_clock_records_the_hotel_lets_it_read(owner_client, worker_client, colleague_client,
                                                                   kiosk, worker_staff, carl, member):
    for staff in (worker_staff, carl):
        client_for(staff.user).post("/api/staff/acme/clock/")
    kiosk.post(f"{ENGINE}/check-ins/", {"attendee_id": member.pk}, format="json")
    staff_rows = {row.attendee_id: row.pk for row in CheckIn.objects.filter(attendee_type__model="staff")}

    def listed(client):
        return {(r["attendee_type"], r["attendee_id"]) for r in client.get(f"{ENGINE}/check-ins/").json()["results"]}

    assert listed(owner_client) == {("staff", worker_staff.pk), ("staff", carl.pk), ("member", member.pk)}
    assert listed(worker_client) == {("staff", worker_staff.pk), ("member", member.pk)}
    assert listed(colleague_client) == {("member", member.pk)}  # a receptionist with no staff record
    assert listed(kiosk) == {("member", member.pk)}

    assert worker_client.get(f"{ENGINE}/history/staff/{worker_staff.pk}/").status_code == 200
    theirs = worker_client.get(f"{ENGINE}/history/staff/{carl.pk}/")
    assert theirs.status_code == 404 and theirs.json()["code"] == "attendee_not_found"
    assert colleague_client.get(f"{ENGINE}/history/staff/{carl.pk}/").status_code == 404
    assert owner_client.get(f"{ENGINE}/history/staff/{carl.pk}/").status_code == 200
    assert worker_client.get(f"{ENGINE}/check-ins/{staff_rows[carl.pk]}/").status_code == 404
    assert worker_client.post(f"{ENGINE}/check-ins/{staff_rows[carl.pk]}/check-out/", {}, format="json").status_code == 404

    client_for(carl.user).post("/api/staff/acme/clock-in/")  # refused: already on duty
    assert Refusal.objects.filter(attendee_id=carl.pk, code="already_on_duty").exists()
    assert worker_client.get(f"{ENGINE}/refusals/").json()["count"] == 0
    assert owner_client.get(f"{ENGINE}/refusals/").json()["count"] == 1


def test_a_session_opened_through_the_engine_gets_the_hotels_expected_clock_out(owner_client, worker_client,
                                                                                hotel, worker_staff):
    today = datetime.now(hotel.tz).date()
    shifts = [{"weekday": (today + timedelta(days=d)).weekday(), "start_time": "00:00", "end_time": "23:59"}
              for d in (-1, 0, 1)]
    assert owner_client.put(f"/api/staff/acme/staff/{worker_staff.pk}/shifts/", {"shifts": shifts},
                            format="json").status_code == 200
    response = worker_client.post(f"{ENGINE}/check-ins/", staff_ref(worker_staff), format="json")
    row = CheckIn.objects.get(pk=response.json()["id"])
    started_day = row.checked_in_at.astimezone(hotel.tz).date()
    shift_end = datetime.combine(started_day, time(23, 59), tzinfo=hotel.tz)
    assert row.expected_checkout_at == shift_end + timedelta(minutes=30)  # shift end + the hotel's grace


def test_last_clock_in_never_goes_back_when_an_earlier_session_is_entered(owner_client, worker_client, worker_staff):
    worker_client.post("/api/staff/acme/clock/")
    worker_client.post("/api/staff/acme/clock/")
    recent = worker_client.get("/api/staff/acme/me/").json()["last_clock_in"]
    # A manager enters a forgotten shift from two days ago, afterwards.
    assert owner_client.post(f"/api/staff/acme/staff/{worker_staff.pk}/clock-in/",
                             {"reason": "Paper sheet", "at": ago(days=2)}, format="json").status_code == 200
    assert owner_client.post(f"/api/staff/acme/staff/{worker_staff.pk}/clock-out/",
                             {"reason": "Paper sheet", "at": ago(days=2, hours=-8)}, format="json").status_code == 200
    assert worker_client.get("/api/staff/acme/me/").json()["last_clock_in"] == recent
    listed = {p["staff_id"]: p["last_clock_in"] for p in owner_client.get("/api/staff/acme/staff/").json()}
    assert listed[worker_staff.pk] == recent


def test_last_clock_in_follows_a_corrected_time(owner_client, worker_client, worker_staff):
    worker_client.post("/api/staff/acme/clock/")
    worker_client.post("/api/staff/acme/clock/")
    row = CheckIn.objects.get(attendee_id=worker_staff.pk, attendee_type__model="staff")
    started = (row.checked_in_at - timedelta(hours=1)).replace(microsecond=0)
    submitted = worker_client.post(f"{ENGINE}/corrections/", staff_ref(
        worker_staff, kind="wrong_time", check_in_id=row.pk, proposed_checked_in_at=started.isoformat(),
        reason="I started an hour earlier"), format="json")
    assert submitted.status_code == 201
    assert owner_client.post(f"{ENGINE}/corrections/{submitted.json()['id']}/approve/", {},
                             format="json").status_code == 200
    me = worker_client.get("/api/staff/acme/me/").json()
    assert datetime.fromisoformat(me["last_clock_in"]) == started


def test_a_staff_member_submits_corrections_of_their_own_records_only(worker_client, worker_staff, carl):
    response = worker_client.post(f"{ENGINE}/corrections/", staff_ref(
        carl, kind="missing_check_in", proposed_checked_in_at=ago(hours=5), proposed_checked_out_at=ago(hours=4),
        reason="He forgot"), format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_the_dashboard_names_only_the_staff_a_caller_may_read_about(owner_client, colleague_client, worker_staff,
                                                                     member, kiosk):
    client_for(worker_staff.user).post("/api/staff/acme/clock/")
    kiosk.post(f"{ENGINE}/check-ins/", {"attendee_id": member.pk}, format="json")

    def named(client):
        body = client.get(f"{ENGINE}/dashboard/").json()
        return body["totals"]["visits"], {(a["attendee_type"], a["attendee_id"]) for a in body["top_attendees"]}

    assert named(owner_client) == (2, {("staff", worker_staff.pk), ("member", member.pk)})
    assert named(colleague_client) == (2, {("member", member.pk)})  # the totals stay whole


def test_the_staff_clock_s_on_behalf_routes_follow_the_same_policy(worker_client, worker_staff, carl):
    for path, body in [(f"staff/{carl.pk}/clock-in/", {"reason": "covering"}),
                       (f"staff/{worker_staff.pk}/clock-in/", {"at": ago(hours=2)}),
                       (f"staff/{carl.pk}/clock-out/", {"reason": "covering"})]:
        response = worker_client.post(f"/api/staff/acme/{path}", body, format="json")
        assert (path, response.status_code, response.json()["code"]) == (path, 403, "permission_denied")
    assert not CheckIn.objects.exists()


def test_a_forgotten_clock_out_is_never_paid_until_the_press_by_any_route(worker_client, owner_client, worker_staff):
    import time_machine

    start = datetime(2025, 11, 17, 8, 0, tzinfo=UTC)  # no roster: expected after max_session_hours (16 h)
    with time_machine.travel(start, tick=False):
        assert worker_client.post("/api/staff/acme/clock-in/").status_code == 200
    with time_machine.travel(start + timedelta(days=2), tick=False):  # the job has not run since
        out = worker_client.post("/api/staff/acme/clock-out/")
    assert out.status_code == 200 and out.json()["clock_time"] == "2025-11-18T00:00:00.000Z"
    first = CheckIn.objects.get(attendee_id=worker_staff.pk, checked_in_at=start)
    assert first.auto_closed and first.duration == timedelta(hours=16)

    with time_machine.travel(start + timedelta(days=3), tick=False):
        opened = worker_client.post(f"{ENGINE}/check-ins/", staff_ref(worker_staff), format="json").json()
    with time_machine.travel(start + timedelta(days=5), tick=False):
        toggled = worker_client.post(f"{ENGINE}/toggle/", staff_ref(worker_staff), format="json")
    assert toggled.status_code == 200 and toggled.json()["action"] == "check_in"  # the press clocks in
    second = CheckIn.objects.get(pk=opened["id"])
    assert second.auto_closed and second.duration == timedelta(hours=16)

    # A manager who gives the time of the clock-out is taken at their word.
    with time_machine.travel(start + timedelta(days=7), tick=False):
        given = start + timedelta(days=5, hours=18)  # even past the expected clock-out
        out = owner_client.post(f"/api/staff/acme/staff/{worker_staff.pk}/clock-out/",
                                {"reason": "Stayed for the gala", "at": given.isoformat()}, format="json")
    assert out.status_code == 200
    third = CheckIn.objects.get(pk=toggled.json()["check_in"]["id"])
    assert third.checked_out_at == given and not third.auto_closed
