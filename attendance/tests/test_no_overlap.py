"""One person, one place, one time: no attendee's sessions overlap, whatever the way in (engine API,
recorded sessions, the hotel's on-behalf clock, corrections, offline batches, admin). A refusal is
409 `overlaps_session` naming the other session; PostgreSQL also refuses it in the database."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from attendance import services
from attendance.exceptions import Refused
from attendance.models import CheckIn, Member, Refusal
from staff.models import Staff
from tests.fixtures import make_user

pytestmark = pytest.mark.django_db


NOW = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def visit(client, member, start, end):
    """A closed visit recorded through the engine's API."""
    opened = client.post("/api/v1/check-ins/", {"attendee_id": member.pk, "at": start.isoformat()}, format="json")
    assert opened.status_code == 201, opened.json()
    closed = client.post("/api/v1/check-outs/", {"attendee_id": member.pk, "at": end.isoformat()}, format="json")
    assert closed.status_code == 200, closed.json()
    return opened.json()["id"]


def assert_overlaps(body, session_id, start, end):
    assert body["code"] == "overlaps_session", body
    assert body["session"] == {"id": session_id, "checked_in_at": start.isoformat(),
                               "checked_out_at": end.isoformat() if end else None}
    assert f"#{session_id}" in body["detail"]


def no_two_overlap(member_pk):
    """Recomputed from the rows: sorted by start, each session ends before the next one starts."""
    rows = list(CheckIn.objects.filter(attendee_id=member_pk).exclude(checked_out_at=F("checked_in_at"))
                .order_by("checked_in_at").values_list("checked_in_at", "checked_out_at"))
    for (_, end), (next_start, _) in zip(rows, rows[1:], strict=False):
        assert end is not None and end <= next_start, rows


def test_a_back_dated_check_in_inside_a_recorded_session_is_refused_naming_it(owner_client, member):
    first = visit(owner_client, member, hours_ago(5), hours_ago(3))
    inside = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk, "at": hours_ago(4).isoformat()},
                               format="json")
    assert inside.status_code == 409
    assert_overlaps(inside.json(), first, hours_ago(5), hours_ago(3))
    assert Refusal.objects.filter(code="overlaps_session", attendee_id=member.pk).count() == 1  # a refusal is recorded

    # An open session runs to infinity: one opened before a later visit overlaps that visit too.
    before = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk, "at": hours_ago(6).isoformat()},
                               format="json")
    assert before.status_code == 409
    assert before.json()["session"]["id"] == first
    # Touching is not overlapping: [5 h ago, 3 h ago) then a visit from 3 h ago.
    visit(owner_client, member, hours_ago(3), hours_ago(2))
    assert CheckIn.objects.filter(attendee_id=member.pk).count() == 2
    member.refresh_from_db()
    assert member.total_visits == 2
    no_two_overlap(member.pk)


def test_recorded_sessions_may_not_overlap_an_open_or_a_closed_one(org, member):
    open_row = services.check_in(organization=org, attendee=member, at=hours_ago(2)).check_in
    with pytest.raises(Refused) as refused:
        services.session_record(organization=org, attendee=member, checked_in_at=hours_ago(1.5),
                                checked_out_at=hours_ago(1), source="meet", external_id="call-1")
    assert refused.value.code == "overlaps_session" and refused.value.extra["session"]["id"] == open_row.pk
    recorded = services.session_record(organization=org, attendee=member, checked_in_at=hours_ago(5),
                                       checked_out_at=hours_ago(4), source="meet", external_id="call-2").check_in
    # A call that went on may grow, but not into the session that followed.
    with pytest.raises(Refused):
        services.session_record(organization=org, attendee=member, checked_in_at=hours_ago(5),
                                checked_out_at=hours_ago(1.9), source="meet", external_id="call-2")
    grown = services.session_record(organization=org, attendee=member, checked_in_at=hours_ago(5),
                                    checked_out_at=hours_ago(2), source="meet", external_id="call-2").check_in
    assert grown.pk == recorded.pk and grown.duration == timedelta(hours=3)
    no_two_overlap(member.pk)


def test_the_hotels_on_behalf_back_dated_clock_in_goes_through_the_same_rule(owner_client, org, worker):
    staff = Staff.objects.create(organization=org, user=worker, first_name="Wanda")
    morning = services.check_in(organization=org, attendee=staff, at=hours_ago(6), source="staff").check_in
    services.check_out(organization=org, check_in=morning, at=hours_ago(4.5))
    response = owner_client.post(f"/api/staff/acme/staff/{staff.pk}/clock-in/",
                                 {"reason": "forgot to clock", "at": hours_ago(5).isoformat()}, format="json")
    assert response.status_code == 409, response.json()
    assert_overlaps(response.json(), morning.pk, hours_ago(6), hours_ago(4.5))
    assert CheckIn.objects.filter(attendee_id=staff.pk).count() == 1


def submit_and_approve(client, **body):
    submitted = client.post("/api/v1/corrections/", {"reason": "fix", **body}, format="json")
    assert submitted.status_code == 201, submitted.json()
    return client.post(f"/api/v1/corrections/{submitted.json()['id']}/approve/", {}, format="json")


def test_corrections_that_would_overlap_are_refused_and_change_nothing(owner_client, member):
    early = visit(owner_client, member, hours_ago(8), hours_ago(7))
    late = visit(owner_client, member, hours_ago(4), hours_ago(3))
    missing = submit_and_approve(owner_client, attendee_id=member.pk, kind="missing_check_in",
                                 proposed_checked_in_at=hours_ago(7.5).isoformat(),
                                 proposed_checked_out_at=hours_ago(6).isoformat())
    assert missing.status_code == 409
    assert_overlaps(missing.json(), early, hours_ago(8), hours_ago(7))
    wrong = submit_and_approve(owner_client, attendee_id=member.pk, kind="wrong_time", check_in_id=late,
                               proposed_checked_in_at=hours_ago(7.5).isoformat())
    assert wrong.status_code == 409
    assert_overlaps(wrong.json(), early, hours_ago(8), hours_ago(7))
    assert list(CheckIn.objects.filter(attendee_id=member.pk).order_by("checked_in_at")
                .values_list("checked_in_at", "checked_out_at")) == [(hours_ago(8), hours_ago(7)), (hours_ago(4), hours_ago(3))]
    # Moving it next to the other one is fine.
    moved = submit_and_approve(owner_client, attendee_id=member.pk, kind="wrong_time", check_in_id=late,
                               proposed_checked_in_at=hours_ago(7).isoformat())
    assert moved.status_code == 200, moved.json()
    no_two_overlap(member.pk)


def test_an_offline_check_in_inside_a_recorded_session_is_refused_per_item(org, member):
    first = services.check_in(organization=org, attendee=member, at=hours_ago(5)).check_in
    services.check_out(organization=org, check_in=first, at=hours_ago(3))
    results = services.record_bulk(organization=org, device=None, items=[
        {"action": "check_in", "attendee": member, "at": hours_ago(4), "event_id": "e1"},
    ])
    assert results[0]["status"] == "refused" and results[0]["code"] == "overlaps_session", results
    assert CheckIn.objects.filter(attendee_id=member.pk).count() == 1


def test_admin_edits_may_not_make_sessions_overlap(client, org, member):
    admin_user = make_user("boss", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    early = services.check_in(organization=org, attendee=member, at=hours_ago(8)).check_in
    services.check_out(organization=org, check_in=early, at=hours_ago(7))
    late = services.check_in(organization=org, attendee=member, at=hours_ago(4)).check_in
    services.check_out(organization=org, check_in=late, at=hours_ago(3))
    page = client.get(reverse("admin:attendance_checkin_change", args=[late.pk]))
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:  # the form as shown, split date/time widgets included
        value = form[name].value()
        widget = form.fields[name].widget
        if hasattr(widget, "decompress"):
            for i, part in enumerate(widget.decompress(value)):
                data[f"{name}_{i}"] = "" if part is None else str(part)
        elif value is not None:
            data[name] = value
    start, end = (timezone.localtime(t, org.tz) for t in (hours_ago(7.5), hours_ago(3)))
    data.update({"checked_in_at_0": start.date().isoformat(), "checked_in_at_1": start.strftime("%H:%M:%S"),
                 "checked_out_at_0": end.date().isoformat(), "checked_out_at_1": end.strftime("%H:%M:%S")})
    response = client.post(reverse("admin:attendance_checkin_change", args=[late.pk]), data)
    assert response.status_code == 200  # the form again, with the error
    assert f"overlap session #{early.pk}" in response.content.decode()
    late.refresh_from_db()
    assert late.checked_in_at == hours_ago(4)


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="exclusion constraints are PostgreSQL's; CI runs this on PostgreSQL")
def test_postgresql_refuses_overlapping_rows_written_past_the_service(org, member):
    ct = ContentType.objects.get_for_model(Member)
    CheckIn.objects.create(organization=org, attendee_type=ct, attendee_id=member.pk,
                           checked_in_at=hours_ago(5), checked_out_at=hours_ago(3))
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(organization=org, attendee_type=ct, attendee_id=member.pk,
                               checked_in_at=hours_ago(4), checked_out_at=hours_ago(2))
    with pytest.raises(IntegrityError), transaction.atomic():  # an open one runs to infinity
        CheckIn.objects.create(organization=org, attendee_type=ct, attendee_id=member.pk, checked_in_at=hours_ago(6))
    CheckIn.objects.create(organization=org, attendee_type=ct, attendee_id=member.pk,
                           checked_in_at=hours_ago(3), checked_out_at=hours_ago(2))  # touching is fine
    CheckIn.objects.create(organization=org, attendee_type=ct, attendee_id=member.pk + 1000,
                           checked_in_at=hours_ago(4), checked_out_at=hours_ago(2))  # someone else
