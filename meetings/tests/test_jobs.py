"""The periodic jobs: sessions start and complete, active classes are fetched, failures are retried."""

import pytest
import time_machine

from meetings import tasks
from meetings.models import AttendanceLog, ClassSession, DataState, SessionStatus, SyncAttempt, SyncOutcome
from meetings.tests.conftest import at


@pytest.fixture
def meet_data(fake_meet):
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    fake_meet.add_participant(record, user="users/100", sessions=[(at(15), at(16))])
    fake_meet.add_participant(record, user="users/201", sessions=[(at(15, 1), at(15, 59))])
    return record


@pytest.mark.django_db
def test_sessions_start_sync_and_complete_with_a_final_fetch(
    meet_credentials, math_class, meet_data, django_capture_on_commit_callbacks
):
    org_id = math_class.organization_id
    with time_machine.travel(at(14, 59), tick=False):
        assert tasks.advance_class_sessions() == 0  # no organization has a class that started
        assert tasks.sync_active_sessions() == 0
    with time_machine.travel(at(15, 1), tick=False):
        assert tasks.advance_class_sessions() == 1  # one organization's task queued (run eagerly)
        session = ClassSession.objects.get()
        assert session.status == SessionStatus.ACTIVE
        assert tasks.sync_active_sessions() == 1
    session.refresh_from_db()
    assert session.data_state == DataState.PARTIAL  # the record is not over yet as far as the class goes
    with time_machine.travel(at(16, 0, 30), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.advance_organization_sessions(org_id) == {"started": 0, "completed": 1}
        assert tasks.advance_organization_sessions(org_id) == {"started": 0, "completed": 0}  # nothing twice
    session.refresh_from_db()
    assert (session.status, session.data_state) == (SessionStatus.COMPLETED, DataState.FINAL)
    assert list(SyncAttempt.objects.order_by("started_at").values_list("trigger", "outcome")) == [
        ("job", SyncOutcome.SUCCESS), ("final", SyncOutcome.SUCCESS),
    ]
    assert AttendanceLog.objects.count() == 2


@pytest.mark.django_db
def test_a_class_missed_while_the_jobs_were_down_is_completed_and_fetched(
    meet_credentials, math_class, meet_data, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(18), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.advance_organization_sessions(math_class.organization_id) == {"started": 1, "completed": 0}
    session = ClassSession.objects.get()
    assert (session.status, session.data_state) == (SessionStatus.COMPLETED, DataState.FINAL)


@pytest.fixture
def celery_handles_retries():
    """As on a worker: a Retry is handled by Celery (eagerly: run again at once) instead of propagating."""
    from config.celery import app

    before = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = before


@pytest.mark.django_db
def test_transient_errors_retry_the_task_with_backoff(meet_credentials, math_class, meet_data, fake_meet, celery_handles_retries):
    session = ClassSession.objects.create(organization=math_class.organization, scheduled_class=math_class,
                                          status=SessionStatus.COMPLETED, completed_at=at(16))
    fake_meet.fail_next(500, path_contains="/v2/conferenceRecords")
    fake_meet.fail_next(429, path_contains="/participantSessions")
    with time_machine.travel(at(16, 5), tick=False):
        assert tasks.sync_class_session.delay(session.pk, trigger="final").get() == SyncOutcome.SUCCESS
    outcomes = list(SyncAttempt.objects.order_by("id").values_list("outcome", "error_code"))
    assert outcomes == [
        (SyncOutcome.TRANSIENT, "meet_temporarily_unavailable"),
        (SyncOutcome.TRANSIENT, "meet_temporarily_unavailable"),
        (SyncOutcome.SUCCESS, ""),
    ]
    session.refresh_from_db()
    assert (session.data_state, session.consecutive_failures) == (DataState.FINAL, 0)
    assert AttendanceLog.objects.count() == 2  # nothing lost, nothing duplicated


@pytest.mark.django_db
def test_retry_job_picks_failed_and_missing_classes_of_the_last_week(meet_credentials, math_class, meet_data, fake_meet):
    session = ClassSession.objects.create(organization=math_class.organization, scheduled_class=math_class,
                                          status=SessionStatus.COMPLETED, completed_at=at(16))
    fake_meet.fail_next(404, path_contains="/participants")  # permanent: not retried by the task itself
    with time_machine.travel(at(16, 1), tick=False):
        assert tasks.sync_class_session(session.pk, trigger="final") == "meet_not_found"
    session.refresh_from_db()
    assert session.data_state == DataState.FAILED
    with time_machine.travel(at(16, 1, 30), tick=False):
        assert tasks.retry_missing_data() == 0  # backing off
    with time_machine.travel(at(16, 10), tick=False):
        assert tasks.retry_missing_data() == 1
    session.refresh_from_db()
    assert session.data_state == DataState.FINAL
    with time_machine.travel(at(16, 20), tick=False):
        assert tasks.retry_missing_data() == 0
    assert tasks.sync_class_session(999999) == "missing"


@pytest.mark.django_db
def test_classes_older_than_the_retry_window_are_left_alone(meet_credentials, math_class, meet_data):
    session = ClassSession.objects.create(organization=math_class.organization, scheduled_class=math_class,
                                          status=SessionStatus.COMPLETED, completed_at=at(16), data_state=DataState.FAILED)
    with time_machine.travel(at(16, day=17, month=3, second=1), tick=False):
        assert tasks.retry_missing_data() == 0
    session.refresh_from_db()
    assert session.data_state == DataState.FAILED


@pytest.mark.django_db
def test_beat_schedules_are_installed_with_their_intervals():
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    call_command("setup_periodic_tasks")
    installed = {t.name: (t.task, t.interval.every) for t in PeriodicTask.objects.filter(name__startswith="meetings:")}
    assert installed == {
        "meetings: start and complete class sessions": ("meetings.tasks.advance_class_sessions", 120),
        "meetings: fetch participants of active classes": ("meetings.tasks.sync_active_sessions", 180),
        "meetings: retry classes missing data": ("meetings.tasks.retry_missing_data", 600),
    }
