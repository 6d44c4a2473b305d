"""The monitoring API: sync triggers, attendance logs, roles and tenancy, the status JSON."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from meetings import services, sessions
from meetings.conf import MEET_READONLY_SCOPE
from meetings.meet import MeetUnavailable
from meetings.models import AttendanceLog, ClassSession, ScheduledClass, SessionStatus, SyncAttempt, Teacher
from meetings.tests.conftest import at
from organizations.models import Organization, Role
from tests.fixtures import client_for, make_user


@pytest.fixture
def desk(academy):
    return client_for(make_user("desk", academy, Role.RECEPTIONIST))


@pytest.fixture
def class_with_meet_data(fake_meet, math_class):
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    fake_meet.add_participant(record, user="users/100", display_name="Tara", sessions=[(at(15), at(16))])
    fake_meet.add_participant(record, user="users/201", display_name="Sofia", sessions=[(at(15, 5), at(15, 50))])
    fake_meet.add_participant(record, kind="anonymous", display_name="Visitor", sessions=[(at(15, 10), at(15, 20))])
    return math_class


@pytest.mark.django_db
def test_sync_participants_fetches_now(desk, meet_credentials, class_with_meet_data):
    with time_machine.travel(at(16, 30), tick=False):
        response = desk.post(f"/api/v1/monitoring/sync-participants/{class_with_meet_data.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["data_state"], body["outcome"]) == ("completed", "final", "success")
    assert (body["conference_records"], body["logs_created"], body["logs_updated"]) == (1, 3, 0)
    assert sorted((a["person_type"], a["seconds"]) for a in body["attendance"]) == [("student", 2700), ("teacher", 3600)]

    with time_machine.travel(at(16, 31), tick=False):
        again = desk.post(f"/api/v1/monitoring/sync-participants/{class_with_meet_data.pk}").json()
    assert (again["logs_created"], again["logs_updated"]) == (0, 0)
    assert AttendanceLog.objects.count() == 3


@pytest.mark.django_db
def test_sync_participants_errors(desk, academy, class_with_meet_data, fake_meet, outsider_client):
    with time_machine.travel(at(14), tick=False):
        response = desk.post(f"/api/v1/monitoring/sync-participants/{class_with_meet_data.pk}")
    assert (response.status_code, response.json()["code"]) == (409, "class_not_started")

    with time_machine.travel(at(15, 30), tick=False):
        response = desk.post(f"/api/v1/monitoring/sync-participants/{class_with_meet_data.pk}")
    assert response.status_code == 503
    assert response.json()["code"] == "meet_no_credentials"
    assert SyncAttempt.objects.get().outcome == "no_access"

    services.google_credential_store(organization=academy, info={"token": "t"}, scopes=[MEET_READONLY_SCOPE])
    fake_meet.fail_next(500, path_contains="/v2/conferenceRecords")
    with time_machine.travel(at(15, 31), tick=False):
        response = desk.post(f"/api/v1/monitoring/sync-participants/{class_with_meet_data.pk}")
    assert (response.status_code, response.json()["code"]) == (502, "meet_temporarily_unavailable")

    assert desk.post("/api/v1/monitoring/sync-participants/999999").status_code == 404
    # Another tenant's class answers 404 too.
    response = outsider_client.post(f"/api/v1/monitoring/sync-participants/{class_with_meet_data.pk}")
    assert response.status_code == 404


@pytest.mark.django_db
def test_sync_all_active_starts_due_classes_and_fetches_them(
    desk, meet_credentials, class_with_meet_data, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(15, 30), tick=False), django_capture_on_commit_callbacks(execute=True):
        response = desk.post("/api/v1/monitoring/sync-all-active")
    assert response.status_code == 202
    session = ClassSession.objects.get()
    assert response.json() == {"queued": 1, "class_session_ids": [session.pk]}
    assert session.status == SessionStatus.ACTIVE
    # The queued task ran (eagerly in tests): the ongoing teacher and the finished student are in.
    assert AttendanceLog.objects.filter(class_session=session).count() == 3


@pytest.mark.django_db
def test_attendance_logs_by_session_and_by_email(desk, meet_credentials, class_with_meet_data, django_assert_max_num_queries):
    with time_machine.travel(at(16, 30), tick=False):
        desk.post(f"/api/v1/monitoring/sync-participants/{class_with_meet_data.pk}")
    session = ClassSession.objects.get()
    with django_assert_max_num_queries(8):
        response = desk.get(f"/api/v1/monitoring/attendance-logs?session_id={session.pk}")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["person_type"], r["person_name"], r["duration_seconds"]) for r in rows] == [
        ("teacher", "Tara Teach", 3600), ("student", "Sofia Garcia", 2700), ("other", "", 600),
    ]
    assert rows[2]["participant_kind"] == "anonymous" and rows[2]["display_name"] == "Visitor"
    assert rows[0]["session_name"].startswith("conferenceRecords/")

    rows = desk.get("/api/v1/monitoring/attendance-logs?user_email=SOFIA@example.com").json()["results"]
    assert [r["person_name"] for r in rows] == ["Sofia Garcia"]
    response = desk.get("/api/v1/monitoring/attendance-logs?user_email=not-an-email")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


@pytest.mark.django_db
def test_teachers_see_only_their_own_classes(academy, meet_credentials, class_with_meet_data, teacher, desk):
    with time_machine.travel(at(16, 30), tick=False):
        desk.post(f"/api/v1/monitoring/sync-participants/{class_with_meet_data.pk}")
    tara_login = make_user("tara", academy, Role.STAFF)
    Teacher.objects.filter(pk=teacher.pk).update(user=tara_login)
    other_teacher = Teacher.objects.create(organization=academy, first_name="Otto", user=make_user("otto", academy, Role.STAFF))
    ScheduledClass.objects.create(organization=academy, title="Other", teacher=other_teacher, starts_at=at(15), meet_space_name="spaces/o")

    assert len(client_for(tara_login).get("/api/v1/monitoring/attendance-logs").json()["results"]) == 3
    assert client_for(other_teacher.user).get("/api/v1/monitoring/attendance-logs").json()["results"] == []
    response = client_for(make_user("parent", academy, Role.MEMBER)).get("/api/v1/monitoring/attendance-logs")
    assert response.status_code == 403


@pytest.mark.django_db
def test_tenancy_of_logs(desk, meet_credentials, class_with_meet_data, outsider):
    with time_machine.travel(at(16, 30), tick=False):
        desk.post(f"/api/v1/monitoring/sync-participants/{class_with_meet_data.pk}")
    session = ClassSession.objects.get()
    other = Organization.objects.get(slug="other")
    assert outsider.memberships.get().organization == other
    rows = client_for(outsider).get(f"/api/v1/monitoring/attendance-logs?session_id={session.pk}").json()["results"]
    assert rows == []
    response = client_for(outsider).get("/api/v1/monitoring/attendance-logs?org=bright-test")
    assert response.status_code == 404


@pytest.mark.django_db
def test_status_json_reports_access_failures_and_waiting_classes(desk, academy, math_class, fake_meet):
    from django.core.management import call_command

    call_command("setup_periodic_tasks")
    now = timezone.now()
    ScheduledClass.objects.filter(pk=math_class.pk).update(starts_at=now - timedelta(hours=2))
    session = sessions.class_session_for_sync(scheduled_class=ScheduledClass.objects.get(pk=math_class.pk))
    with pytest.raises(MeetUnavailable):
        services.class_session_sync(class_session=session)
    body = desk.get("/api/v1/monitoring/status").json()
    assert body["meet_access"]["ok"] is False
    assert "no Google credentials" in body["meet_access"]["message"]
    assert [j["every_seconds"] for j in body["jobs"]] == [120, 180, 600]
    assert all(j["installed"] and j["enabled"] for j in body["jobs"])
    assert body["recent_failures"][0]["outcome"] == "no_access"
    assert [c["title"] for c in body["classes_waiting_for_data"]] == ["Algebra"]
