"""Admin linking of unmatched participants (remembered), and the status page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from attendance.models import CheckIn
from meetings import services
from meetings.models import AttendanceLog, ClassAttendance, ClassSession, ParticipantLink, ScheduledClass, SessionStatus
from meetings.tests.conftest import at
from organizations.models import Role, User
from tests.fixtures import make_user


def sync_completed(scheduled_class, now):
    session = ClassSession.objects.create(organization=scheduled_class.organization, scheduled_class=scheduled_class,
                                          status=SessionStatus.COMPLETED, completed_at=scheduled_class.ends_at)
    services.class_session_sync(class_session=session, now=now)
    return session


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123456"))
    return client


@pytest.mark.django_db
def test_linking_an_unmatched_participant_is_remembered(admin_client, fake_meet, meet_credentials, math_class, student2, academy):
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    # Leo joined from his brother's unknown Google account, then from a phone.
    fake_meet.add_participant(record, user="users/999", display_name="leo.gaming", sessions=[(at(15), at(15, 40))])
    fake_meet.add_participant(record, kind="phone", display_name="+1 555-***-**77", sessions=[(at(15, 30), at(15, 50))])
    session = sync_completed(math_class, at(16, 5))
    assert not ClassAttendance.objects.filter(student=student2).exists()

    changelist = admin_client.get("/admin/meetings/attendancelog/?matched=others")
    assert changelist.status_code == 200
    assert b"leo.gaming" in changelist.content and b"Link to a person" in changelist.content
    log = AttendanceLog.objects.get(google_user_id="users/999")
    page = admin_client.get(f"/admin/meetings/attendancelog/{log.pk}/link/")
    assert page.status_code == 200 and b"Link and remember" in page.content

    response = admin_client.post(f"/admin/meetings/attendancelog/{log.pk}/link/", {"student": student2.pk})
    assert response.status_code == 302
    phone = AttendanceLog.objects.get(participant_kind="phone")
    admin_client.post(f"/admin/meetings/attendancelog/{phone.pk}/link/", {"student": student2.pk})

    assert ParticipantLink.objects.filter(organization=academy).count() == 2
    # Union of 15:00-15:40 and 15:30-15:50: 50 minutes, recorded in the engine too.
    assert ClassAttendance.objects.get(class_session=session, student=student2).seconds == 3000
    assert CheckIn.objects.get(source="meetings", attendee_id=student2.pk).duration.total_seconds() == 3000

    # Next class: the same account is matched without anyone doing anything.
    later = ScheduledClass.objects.create(organization=academy, title="Geometry", teacher=math_class.teacher,
                                          starts_at=at(15, day=11), meet_space_name="spaces/geometry")
    record = fake_meet.add_record(space="spaces/geometry", start=at(15, day=11), end=at(16, day=11))
    fake_meet.add_participant(record, user="users/999", display_name="leo.gaming", sessions=[(at(15, day=11), at(15, 20, day=11))])
    second = sync_completed(later, at(16, 5, day=11))
    assert ClassAttendance.objects.get(class_session=second, student=student2).seconds == 1200


@pytest.mark.django_db
def test_link_form_needs_exactly_one_person(admin_client, fake_meet, meet_credentials, math_class, teacher, student):
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    fake_meet.add_participant(record, kind="anonymous", display_name="Someone", sessions=[(at(15), at(15, 10))])
    sync_completed(math_class, at(16, 5))
    log = AttendanceLog.objects.get()
    response = admin_client.post(f"/admin/meetings/attendancelog/{log.pk}/link/", {"teacher": teacher.pk, "student": student.pk})
    assert response.status_code == 200
    assert b"Choose exactly one teacher or one student." in response.content
    assert not ParticipantLink.objects.exists()


@pytest.mark.django_db
def test_admin_pages_render(admin_client, fake_meet, meet_credentials, math_class):
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    fake_meet.add_participant(record, user="users/201", sessions=[(at(15), at(15, 10))])
    sync_completed(math_class, at(16, 5))
    for model in ["family", "teacher", "student", "scheduledclass", "classsession", "attendancelog", "participantlink",
                  "classattendance", "syncattempt", "googlecredential"]:
        assert admin_client.get(f"/admin/meetings/{model}/").status_code == 200, model


@pytest.mark.django_db
def test_status_page_shows_jobs_access_failures_and_waiting_classes(academy, math_class, fake_meet, other_org):
    from django.core.management import call_command

    call_command("setup_periodic_tasks")
    services.google_credential_store(organization=academy, info={"token": "t"}, scopes=["openid"])
    # A class that ended an hour ago: inside its retry window, which counts from the class's end.
    ScheduledClass.objects.filter(pk=math_class.pk).update(starts_at=timezone.now() - timedelta(hours=2))
    session = ClassSession.objects.create(organization=academy, scheduled_class=math_class, status=SessionStatus.COMPLETED,
                                          completed_at=timezone.now())
    with pytest.raises(services.MeetUnavailable):
        services.class_session_sync(class_session=session)

    client = Client()
    client.force_login(make_user("desk", academy, Role.RECEPTIONIST))
    page = client.get("/academy/bright-test/status/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Google Meet API not available: the token lacks the Meet scope" in html
    assert "meetings: fetch participants of active classes" in html and "180 s" in html
    assert "Algebra" in html and "Last fetch failed" in html

    member = Client()
    member.force_login(make_user("parent", academy, Role.MEMBER))
    assert member.get("/academy/bright-test/status/").status_code == 403
    outsider = Client()
    outsider.force_login(make_user("stranger", other_org, Role.OWNER))
    assert outsider.get("/academy/bright-test/status/").status_code == 404


@pytest.mark.django_db
def test_relinking_moves_the_engine_session_to_the_right_person(admin_client, fake_meet, meet_credentials, math_class, student2, academy):
    from meetings.models import Student

    other = Student.objects.create(organization=academy, first_name="Mia", last_name="Other", family=student2.family)
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    fake_meet.add_participant(record, user="users/777", display_name="shared.laptop", sessions=[(at(15), at(15, 30))])
    session = sync_completed(math_class, at(16, 5))
    log = AttendanceLog.objects.get(google_user_id="users/777")
    admin_client.post(f"/admin/meetings/attendancelog/{log.pk}/link/", {"student": student2.pk})
    assert CheckIn.objects.get(source="meetings", attendee_id=student2.pk).duration.total_seconds() == 1800

    # It was Mia on her brother's laptop: link the account to her instead.
    admin_client.post(f"/admin/meetings/attendancelog/{log.pk}/link/", {"student": other.pk})
    assert not ClassAttendance.objects.filter(class_session=session, student=student2).exists()
    assert list(CheckIn.objects.filter(source="meetings").values_list("attendee_id", flat=True)) == [other.pk]
    student2.refresh_from_db()
    assert student2.total_visits == 0
