"""The rules of docs/meetings.md, each driven through the jobs, the admin, the API or the command,
against the local fake Meet server through the real Google client."""

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import Client

from attendance.models import MonthlyRollup
from bookings import tasks as bookings_tasks
from meetings import conf, selectors, services, sessions, tasks
from meetings.models import (
    AttendanceLog,
    ClassAttendance,
    ClassSession,
    DataState,
    ParticipantLink,
    ScheduledClass,
    SessionStatus,
)
from meetings.tests.conftest import at
from organizations.models import Organization, Role, User
from tests.fixtures import make_user

pytestmark = pytest.mark.django_db


def completed(scheduled_class, *, completed_at):
    return ClassSession.objects.create(organization=scheduled_class.organization, scheduled_class=scheduled_class,
                                       status=SessionStatus.COMPLETED, completed_at=completed_at)


# --- 8. the retry window counts from the class; empty fetches back off ------------------------------


def test_a_class_synced_by_hand_long_after_it_ended_is_not_retried(meet_credentials, math_class, fake_meet):
    """The class ended on 10 March at 16:00; someone syncs it by hand on the 18th (Meet has nothing)."""
    with time_machine.travel(at(9, day=18), tick=False):
        session = sessions.class_session_for_sync(scheduled_class=math_class)
        services.class_session_sync(class_session=session, trigger="manual")
    assert session.completed_at == at(9, day=18)
    for day in (18, 19, 24):
        assert not sessions.sessions_due_for_retry(now=at(10, day=day)).exists()
    assert not selectors.classes_waiting_for_data(organization=math_class.organization, now=at(10, day=18)).exists()
    # Inside the window (until 17 March 16:00, the class's end + 7 days) the same class would be due.
    ClassSession.objects.filter(pk=session.pk).update(next_retry_at=None)
    assert sessions.sessions_due_for_retry(now=at(15, 59, day=17)).get() == session
    assert not sessions.sessions_due_for_retry(now=at(16, 0, 1, day=17)).exists()


def test_an_empty_fetch_of_an_ended_class_backs_off(meet_credentials, math_class, fake_meet):
    """Meet has no record yet for a class that ended at 16:00: waits of 1, 2, 4 minutes (base 60 s)."""
    session = completed(math_class, completed_at=at(16))
    fetched = []
    for now in (at(16, 1), at(16, 1, 30), at(16, 2), at(16, 3), at(16, 4)):
        if sessions.sessions_due_for_retry(now=now).filter(pk=session.pk).exists():
            services.class_session_sync(class_session=session, trigger="retry", now=now)
            fetched.append(now)
    assert fetched == [at(16, 1), at(16, 2), at(16, 4)]
    session.refresh_from_db()
    assert (session.data_state, session.consecutive_failures, session.next_retry_at) == (DataState.NONE, 3, at(16, 8))
    # Once Meet has the record, the fetch is final and the count resets.
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    fake_meet.add_participant(record, user="users/201", sessions=[(at(15), at(15, 30))])
    services.class_session_sync(class_session=session, trigger="retry", now=at(16, 4))
    session.refresh_from_db()
    assert (session.data_state, session.consecutive_failures, session.next_retry_at) == (DataState.FINAL, 0, None)


# --- 9. a guest's name is linked within the class unless widened explicitly --------------------------


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123456"))
    return client


def _class_with_phone_guest(academy, teacher, fake_meet, day):
    scheduled = ScheduledClass.objects.create(organization=academy, title=f"Class {day}", teacher=teacher,
                                              starts_at=at(15, day=day), meet_space_name=f"spaces/c{day}")
    record = fake_meet.add_record(space=f"spaces/c{day}", start=at(15, day=day), end=at(16, day=day))
    fake_meet.add_participant(record, kind="phone", display_name="+1 555-***-**12",
                              sessions=[(at(15, day=day), at(15, 30, day=day))])
    session = completed(scheduled, completed_at=at(16, day=day))
    services.class_session_sync(class_session=session, now=at(16, 5, day=day))
    return session


def test_linking_a_phone_guest_links_that_class_only_unless_widened_after_a_preview(
    admin_client, fake_meet, meet_credentials, academy, teacher, student
):
    first, second = (_class_with_phone_guest(academy, teacher, fake_meet, day) for day in (10, 11))
    log = AttendanceLog.objects.get(class_session=first)
    page = " ".join(admin_client.get(f"/admin/meetings/attendancelog/{log.pk}/link/").content.decode().split())
    assert "links 1 log(s) of this class" in page and "would link 2 log(s) in 2 class(es)" in page

    assert admin_client.post(f"/admin/meetings/attendancelog/{log.pk}/link/", {"student": student.pk}).status_code == 302
    billed = {a.class_session_id: a.seconds for a in ClassAttendance.objects.filter(student=student)}
    assert billed == {first.pk: 1800}  # the other class's "+1 555-***-**12" is someone else
    # A later fetch of the other class still leaves its guest unmatched.
    services.class_session_sync(class_session=second, trigger="retry", now=at(17, day=11))
    assert AttendanceLog.objects.get(class_session=second).student is None

    # The wider choice is explicit, and the preview said what it would do.
    assert sum(ClassAttendance.objects.filter(student=student).values_list("seconds", flat=True)) == 1800
    other = AttendanceLog.objects.get(class_session=second)
    admin_client.post(f"/admin/meetings/attendancelog/{other.pk}/link/", {"student": student.pk, "scope": "organization"})
    assert sorted(ClassAttendance.objects.filter(student=student).values_list("seconds", flat=True)) == [1800, 1800]
    assert ParticipantLink.objects.filter(class_session__isnull=True).count() == 1


def test_the_service_refuses_an_organization_wide_guest_link_by_default(academy, math_class, student):
    with pytest.raises(services.MeetError) as error:
        services.participant_link_create(organization=academy, participant_kind="phone", identity="Guest", student=student)
    assert error.value.code == "link_needs_class"
    assert not ParticipantLink.objects.exists()


# --- 10. the OAuth command and the status page say what to do ------------------------------------------


def test_setup_google_oauth_explains_a_missing_or_malformed_file(academy, tmp_path):
    cases = {
        tmp_path / "missing.json": "Cannot read",
        tmp_path / "broken.json": "is not valid JSON",
        tmp_path / "partial.json": "lacks client_secret, refresh_token",
    }
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "partial.json").write_text(json.dumps({"client_id": "x"}))
    for path, problem in cases.items():
        with pytest.raises(CommandError) as error:
            call_command("setup_google_oauth", "--meet", "--org", academy.slug, "--from-authorized-user", str(path))
        assert problem in str(error.value) and "run without --from-authorized-user" in str(error.value)
    with pytest.raises(CommandError) as error:
        call_command("setup_google_oauth", "--meet", "--org", academy.slug, "--client-secrets", str(tmp_path / "none.json"))
    assert "Cannot read the OAuth client file" in str(error.value) and "Desktop app" in str(error.value)


def test_every_not_available_state_names_the_fixing_command(academy, math_class, fake_meet):
    desk = Client()
    desk.force_login(make_user("desk", academy, Role.RECEPTIONIST))
    command = "manage.py setup_google_oauth --meet --org bright-test"

    def access():
        return desk.get("/api/v1/monitoring/status").json()["meet_access"]

    assert not access()["ok"] and command in access()["message"]  # no credentials
    services.google_credential_store(organization=academy, info={"token": "t"}, scopes=["openid"])
    assert "lacks the Meet scope" in access()["message"] and command in access()["message"]
    services.google_credential_store(organization=academy, info={"token": "t"}, scopes=[conf.MEET_READONLY_SCOPE])
    fake_meet.require_token = "another-token"  # Google refuses the token: the last fetch had no access
    session = completed(math_class, completed_at=at(16))
    with pytest.raises(services.MeetUnavailable):
        services.class_session_sync(class_session=session, now=at(16, 1))
    state = access()
    assert not state["ok"] and command in state["message"] and state["fix"] == command


# --- billing and the engine count a class in the same local month -----------------------------------


def test_a_class_across_a_month_edge_is_billed_in_the_month_the_engine_counts_it(
    academy, teacher, student, family, meet_credentials, fake_meet
):
    """New York, a class 23:30-00:30 on 31 January: the teacher joins at 23:30 (January), the student
    at 00:10 (February). Billing, payroll and the engine's monthly rollups agree per person and month."""
    starts = datetime(2026, 2, 1, 4, 30, tzinfo=UTC)  # 23:30 on 31 January in New York
    scheduled = ScheduledClass.objects.create(organization=academy, title="Late", teacher=teacher, starts_at=starts,
                                              meet_space_name="spaces/late")
    record = fake_meet.add_record(space="spaces/late", start=starts, end=starts + timedelta(hours=1))
    fake_meet.add_participant(record, user="users/100", sessions=[(starts, starts + timedelta(hours=1))])
    fake_meet.add_participant(record, user="users/201", sessions=[(starts + timedelta(minutes=40), starts + timedelta(hours=1))])
    session = completed(scheduled, completed_at=starts + timedelta(hours=1))
    services.class_session_sync(class_session=session, now=starts + timedelta(hours=1, minutes=5))

    def billed(month):
        pay = selectors.teacher_payroll(organization=academy, year=2026, month=month)["teachers"][0]["seconds"]
        bill = selectors.family_billing(organization=academy, year=2026, month=month)["families"][0]["students"][0]["seconds"]
        return {"teacher": pay, "student": bill}

    def rolled_up(month):
        rows = MonthlyRollup.objects.filter(organization=academy, month=datetime(2026, month, 1).date())
        seconds = {(r.attendee_type.model, r.attendee_id): r.seconds_present for r in rows}
        return {"teacher": seconds.get(("teacher", teacher.pk), 0), "student": seconds.get(("student", student.pk), 0)}

    assert billed(1) == rolled_up(1) == {"teacher": 3600, "student": 0}
    assert billed(2) == rolled_up(2) == {"teacher": 0, "student": 1200}


# --- jobs: named transient errors, one organization's failure stays its own --------------------------


def test_tasks_retry_on_named_transient_errors_only():
    for task in (tasks.advance_organization_sessions, tasks.sync_class_session, bookings_tasks.mark_organization_no_shows):
        assert Exception not in task.autoretry_for and OperationalError in task.autoretry_for


def test_one_organizations_failing_fetch_never_stops_the_others(meet_credentials, math_class, fake_meet, teacher, caplog):
    other = Organization.objects.create(name="Second Academy", slug="second", time_zone="Europe/Madrid")
    services.google_credential_store(organization=other, info={"token": "test-token"}, scopes=[conf.MEET_READONLY_SCOPE])
    other_teacher = type(teacher).objects.create(organization=other, first_name="Oto", google_user_id="users/900")
    other_class = ScheduledClass.objects.create(organization=other, title="Other", teacher=other_teacher,
                                                starts_at=at(15), meet_space_name="spaces/other")
    mine = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    fake_meet.add_participant(mine, user="users/100", sessions=[(at(15), at(16))])
    record = fake_meet.add_record(space="spaces/other", start=at(15), end=at(16))
    fake_meet.add_participant(record, user="users/900", sessions=[(at(15), at(16))])
    # The first organization's class: Meet answers 503 to every call on its record, beyond every retry.
    fake_meet.fail_next(503, times=50, path_contains=f"/{mine}/participants")
    first, second = completed(math_class, completed_at=at(16)), completed(other_class, completed_at=at(16))
    assert first.pk < second.pk
    with time_machine.travel(at(16, 5), tick=False), caplog.at_level(logging.ERROR, logger="config.jobs"):
        assert tasks.retry_missing_data() == 1  # the second class's fetch was queued and ran
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.data_state == DataState.FINAL and first.data_state == DataState.FAILED
    assert any("sync_class_session could not run" in r.getMessage() for r in caplog.records)


# --- 11. class times in the admin are the academy's --------------------------------------------------


@pytest.mark.parametrize(("day", "utc_hour"), [("2026-01-13", 15), ("2026-03-10", 14)])  # EST, then EDT
def test_admin_enters_and_shows_class_times_in_the_academys_time_zone(admin_client, academy, teacher, day, utc_hour):
    added = admin_client.post("/admin/meetings/scheduledclass/add/", {
        "organization": academy.pk, "title": "Algebra", "teacher": teacher.pk, "starts_at_0": day, "starts_at_1": "10:00",
        "duration_minutes": 60, "meet_space_name": "spaces/a",
    })
    assert added.status_code == 302, added.content.decode()[:2000]
    scheduled = ScheduledClass.objects.get()
    assert scheduled.starts_at == datetime.fromisoformat(day).replace(hour=utc_hour, tzinfo=UTC)
    change = admin_client.get(f"/admin/meetings/scheduledclass/{scheduled.pk}/change/").content.decode()
    assert 'value="10:00:00"' in change and "Times in America/New_York" in change
    listing = admin_client.get("/admin/meetings/scheduledclass/").content.decode()
    assert f"{day} 10:00 E" in listing  # EST or EDT
