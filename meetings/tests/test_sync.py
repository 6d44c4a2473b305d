"""The Meet sync against a local server that speaks the Meet API, through the real Google client."""

import pytest
import time_machine

from attendance.models import CheckIn, MonthlyRollup
from meetings import services, sessions, tasks
from meetings.meet import MeetClient, MeetNotFound, MeetTransientError, MeetUnavailable
from meetings.models import (
    AttendanceLog,
    ClassAttendance,
    ClassSession,
    DataState,
    ParticipantKind,
    SessionStatus,
    SyncAttempt,
    SyncOutcome,
)
from meetings.tests.conftest import at


def completed_session(scheduled_class, now):
    """Run the beat job at `now`: the class's session completes and its final fetch runs (eagerly)."""
    with time_machine.travel(now, tick=False):
        tasks.advance_class_sessions()
    return ClassSession.objects.get(scheduled_class=scheduled_class)


def attended(session):
    return {
        (a.teacher.full_name if a.teacher_id else a.student.full_name): a.seconds
        for a in ClassAttendance.objects.filter(class_session=session).select_related("teacher", "student")
    }


@pytest.mark.django_db
def test_full_class_rejoin_overlap_guests_and_two_records(fake_meet, meet_credentials, math_class, django_capture_on_commit_callbacks):
    # The call dropped at 15:30 and was restarted: two conference records, merged.
    first = fake_meet.add_record(space="spaces/algebra", start=at(14, 55), end=at(15, 30))
    second = fake_meet.add_record(space="spaces/algebra", start=at(15, 32), end=at(16, 5))
    fake_meet.add_record(space="spaces/other-class", start=at(15), end=at(16))  # another space: ignored
    # Teacher: early (counts from 15:00), then back after the restart until 16:05 (counts to 16:00).
    fake_meet.add_participant(first, user="users/100", display_name="Tara", sessions=[(at(14, 56), at(15, 30))])
    fake_meet.add_participant(second, user="users/100", display_name="Tara", sessions=[(at(15, 32), at(16, 5))])
    # Sofia: laptop 15:00-15:20, rejoins 15:25-15:30; phone overlapping 15:10-15:27 (counted once).
    fake_meet.add_participant(first, user="users/201", display_name="Sofia",
                              sessions=[(at(15, 0), at(15, 20)), (at(15, 25), at(15, 30)), (at(15, 10, 0), at(15, 27, 30))])
    fake_meet.add_participant(second, user="users/201", display_name="Sofia", sessions=[(at(15, 40), at(15, 50, 15))])
    # Guests: an anonymous visitor and a phone dial-in stay as "others".
    fake_meet.add_participant(first, kind="anonymous", display_name="Grandma", sessions=[(at(15, 5), at(15, 15))])
    fake_meet.add_participant(second, kind="phone", display_name="+1 555-***-**12", sessions=[(at(15, 33), at(15, 34))])

    with django_capture_on_commit_callbacks(execute=True):
        session = completed_session(math_class, at(16, 1))
    assert session.status == SessionStatus.COMPLETED
    session.refresh_from_db()
    assert session.data_state == DataState.FINAL

    assert AttendanceLog.objects.filter(class_session=session).count() == 8
    assert attended(session) == {
        "Tara Teach": 30 * 60 + 28 * 60,  # 15:00-15:30 and 15:32-16:00
        "Sofia Garcia": 30 * 60 + 10 * 60 + 15,  # union 15:00-15:30, then 15:40-15:50:15
    }
    others = AttendanceLog.objects.filter(class_session=session, teacher__isnull=True, student__isnull=True)
    assert sorted((o.participant_kind, o.display_name, o.duration_seconds) for o in others) == [
        (ParticipantKind.ANONYMOUS, "Grandma", 600), (ParticipantKind.PHONE, "+1 555-***-**12", 60),
    ]
    # The engine holds one closed google_meet session per person with the attended seconds.
    rows = CheckIn.objects.filter(source="meetings").order_by("external_id")
    assert [(r.method, int(r.duration.total_seconds())) for r in rows] == [("google_meet", 2415), ("google_meet", 3480)]
    assert all(r.external_id.startswith(f"class-session-{session.pk}:") for r in rows)

    # Syncing twice changes nothing.
    before = list(AttendanceLog.objects.order_by("id").values())
    rollups = list(MonthlyRollup.objects.order_by("id").values())
    result = services.class_session_sync(class_session=session, trigger="manual", now=at(16, 30))
    assert (result.logs_created, result.logs_updated) == (0, 0)
    assert list(AttendanceLog.objects.order_by("id").values()) == before
    assert list(MonthlyRollup.objects.order_by("id").values()) == rollups
    assert CheckIn.objects.filter(source="meetings").count() == 2
    assert SyncAttempt.objects.filter(class_session=session, outcome=SyncOutcome.SUCCESS).count() == 2


@pytest.mark.django_db
def test_pagination_follows_every_page(fake_meet, meet_credentials, math_class, academy, family):
    fake_meet.default_page_size = 2
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    for i in range(7):
        fake_meet.add_participant(record, user=f"users/9{i}", display_name=f"Guest {i}",
                                  sessions=[(at(15, i), at(15, i + 1)), (at(15, 30 + i), at(15, 31 + i)), (at(15, 50), at(15, 51))])
    session = ClassSession.objects.create(organization=academy, scheduled_class=math_class, status=SessionStatus.ACTIVE)
    client = MeetClient(services.meet_client_for(academy).service._http.credentials, page_size=2)
    result = services.class_session_sync(class_session=session, now=at(16, 10), client=client)
    assert result.logs_created == 21
    participant_pages = [p for p in fake_meet.requests if p.startswith(f"/v2/{record}/participants?")]
    assert len(participant_pages) == 4  # 7 participants, 2 per page
    assert any("pageToken=2" in p for p in participant_pages)


@pytest.mark.django_db
def test_ongoing_call_counts_up_to_now_then_is_finalised(fake_meet, meet_credentials, math_class, academy):
    record = fake_meet.add_record(space="spaces/algebra", start=at(15))
    teacher_p = fake_meet.add_participant(record, user="users/100", display_name="Tara", sessions=[(at(15), None)])
    session = ClassSession.objects.create(organization=academy, scheduled_class=math_class, status=SessionStatus.ACTIVE)

    services.class_session_sync(class_session=session, now=at(15, 20, 30))
    log = AttendanceLog.objects.get()
    assert (log.left_at, log.duration_seconds) == (None, 20 * 60 + 30)
    assert attended(session) == {"Tara Teach": 1230}
    session.refresh_from_db()
    assert session.data_state == DataState.PARTIAL
    assert not CheckIn.objects.exists()  # the engine hears of a class once it is over

    # The class ended at 16:00 but the call goes on: time counts up to the end of the class.
    ClassSession.objects.filter(pk=session.pk).update(status=SessionStatus.COMPLETED, completed_at=at(16))
    services.class_session_sync(class_session=session, trigger="final", now=at(16, 10))
    session.refresh_from_db()
    assert session.data_state == DataState.PARTIAL
    assert attended(session) == {"Tara Teach": 3600}
    assert sessions.sessions_due_for_retry(now=at(16, 10)).filter(pk=session.pk).exists()

    # Meet now reports the end: the log is finalised, nothing is duplicated.
    fake_meet.end_session(fake_meet.sessions[teacher_p][0]["name"], at(16, 20))
    result = services.class_session_sync(class_session=session, trigger="retry", now=at(16, 30))
    assert (result.logs_created, result.logs_updated) == (0, 1)
    log.refresh_from_db()
    assert (log.left_at, log.duration_seconds) == (at(16, 20), 80 * 60)
    session.refresh_from_db()
    assert session.data_state == DataState.FINAL
    assert not sessions.sessions_due_for_retry(now=at(17)).filter(pk=session.pk).exists()
    assert CheckIn.objects.get(source="meetings").duration.total_seconds() == 3600


@pytest.mark.django_db
def test_meeting_code_is_used_when_there_is_no_space_name(fake_meet, meet_credentials, math_class, academy):
    math_class.meet_space_name = ""
    math_class.save()
    record = fake_meet.add_record(space="spaces/x", meeting_code="abc-defg-hij", start=at(15), end=at(16))
    fake_meet.add_participant(record, user="users/201", sessions=[(at(15), at(15, 45))])
    session = ClassSession.objects.create(organization=academy, scheduled_class=math_class, status=SessionStatus.ACTIVE)
    services.class_session_sync(class_session=session, now=at(15, 50))
    assert attended(session) == {"Sofia Garcia": 2700}


@pytest.mark.django_db
def test_server_errors_then_success_are_retried_with_backoff(fake_meet, meet_credentials, math_class, academy):
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    fake_meet.add_participant(record, user="users/201", sessions=[(at(15), at(15, 30))])
    fake_meet.fail_next(500, path_contains="/participants")
    fake_meet.fail_next(429, path_contains="/participantSessions")
    session = ClassSession.objects.create(organization=academy, scheduled_class=math_class, status=SessionStatus.ACTIVE)
    waits = []
    credentials = services.meet_client_for(academy).service._http.credentials
    client = MeetClient(credentials, retries=3, sleep=waits.append)
    result = services.class_session_sync(class_session=session, now=at(15, 40), client=client)
    assert result.outcome == SyncOutcome.SUCCESS
    assert attended(session) == {"Sofia Garcia": 1800}
    assert len(waits) == 2 and all(0 <= w <= 2 for w in waits)  # rand() * 2**1 before each first retry


@pytest.mark.django_db
def test_errors_are_recorded_and_the_next_attempt_succeeds(fake_meet, meet_credentials, math_class, academy):
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    fake_meet.add_participant(record, user="users/201", sessions=[(at(15), at(15, 30))])
    session = ClassSession.objects.create(organization=academy, scheduled_class=math_class, status=SessionStatus.COMPLETED, completed_at=at(16))
    fake_meet.fail_next(503, path_contains="/v2/conferenceRecords")
    with pytest.raises(MeetTransientError):
        services.class_session_sync(class_session=session, now=at(16, 1))
    failed = SyncAttempt.objects.get()
    assert (failed.outcome, failed.error_code) == (SyncOutcome.TRANSIENT, "meet_temporarily_unavailable")
    assert failed.next_retry_at == at(16, 2)
    session.refresh_from_db()
    assert (session.data_state, session.consecutive_failures) == (DataState.FAILED, 1)
    assert not sessions.sessions_due_for_retry(now=at(16, 1, 30)).exists()
    assert sessions.sessions_due_for_retry(now=at(16, 2)).get() == session

    services.class_session_sync(class_session=session, trigger="retry", now=at(16, 2))
    session.refresh_from_db()
    assert (session.data_state, session.consecutive_failures) == (DataState.FINAL, 0)
    assert AttendanceLog.objects.count() == 1


@pytest.mark.django_db
def test_not_found_is_a_permanent_error(fake_meet, meet_credentials, math_class, academy):
    fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    fake_meet.fail_next(404, path_contains="/participants")
    session = ClassSession.objects.create(organization=academy, scheduled_class=math_class, status=SessionStatus.ACTIVE)
    with pytest.raises(MeetNotFound):
        services.class_session_sync(class_session=session, now=at(15, 30))
    attempt = SyncAttempt.objects.get()
    assert (attempt.outcome, attempt.error_code) == (SyncOutcome.ERROR, "meet_not_found")
    assert "404" in attempt.error


@pytest.mark.django_db
def test_without_credentials_or_scope_the_sync_says_so(fake_meet, math_class, academy):
    session = ClassSession.objects.create(organization=academy, scheduled_class=math_class, status=SessionStatus.ACTIVE)
    with pytest.raises(MeetUnavailable) as error:
        services.class_session_sync(class_session=session, now=at(15, 30))
    assert "no Google credentials" in error.value.detail
    services.google_credential_store(organization=academy, info={"token": "t"}, scopes=["https://www.googleapis.com/auth/calendar.readonly"])
    with pytest.raises(MeetUnavailable) as error:
        services.class_session_sync(class_session=session, now=at(15, 31))
    assert error.value.detail == ("Google Meet API not available: the token lacks the Meet scope. "
                                  "To fix it, run `manage.py setup_google_oauth --meet --org bright-test`.")
    assert list(SyncAttempt.objects.order_by("started_at").values_list("outcome", flat=True)) == [SyncOutcome.NO_ACCESS] * 2
    assert fake_meet.requests == []


@pytest.mark.django_db
def test_google_refusing_the_scope_is_reported_as_missing_scope(fake_meet, meet_credentials, math_class, academy):
    fake_meet.require_token = "another-token"
    session = ClassSession.objects.create(organization=academy, scheduled_class=math_class, status=SessionStatus.ACTIVE)
    with pytest.raises(MeetUnavailable) as error:
        services.class_session_sync(class_session=session, now=at(15, 30))
    assert error.value.detail == "Google Meet API not available: the token lacks the Meet scope"


@pytest.mark.django_db
def test_an_expired_token_is_refreshed_and_kept(fake_meet, math_class, academy):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from meetings.conf import MEET_READONLY_SCOPE
    from meetings.models import GoogleCredential

    class TokenEndpoint(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"access_token": "fresh-token", "expires_in": 3600, "token_type": "Bearer"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), TokenEndpoint)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        fake_meet.require_token = "fresh-token"
        record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
        fake_meet.add_participant(record, user="users/201", sessions=[(at(15), at(15, 30))])
        services.google_credential_store(organization=academy, scopes=[MEET_READONLY_SCOPE], info={
            "token": "stale-token", "expiry": "2020-01-01T00:00:00Z", "refresh_token": "1//r", "client_id": "c",
            "client_secret": "s",
        })
        session = ClassSession.objects.create(organization=academy, scheduled_class=math_class, status=SessionStatus.ACTIVE)
        client = services.meet_client_for(academy)
        # google-auth pins authorized-user credentials to Google's token endpoint; point this one at ours.
        client.credentials._token_uri = f"http://127.0.0.1:{server.server_address[1]}/token"
        services.class_session_sync(class_session=session, now=at(15, 40), client=client)
        assert attended(session) == {"Sofia Garcia": 1800}
        info = GoogleCredential.objects.get(organization=academy).authorized_user_info
        assert info["token"] == "fresh-token" and info["refresh_token"] == "1//r"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
@pytest.mark.parametrize("parallel", [1, 4])
def test_per_participant_calls_in_parallel_give_the_same_logs_and_errors(
    fake_meet, meet_credentials, math_class, academy, monkeypatch, parallel
):
    monkeypatch.setattr("meetings.conf.PARALLEL_CALLS", parallel)
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    fake_meet.add_participant(record, user="users/100", display_name="Tara", sessions=[(at(15), at(16))])
    fake_meet.add_participant(record, user="users/201", display_name="Sofia", sessions=[(at(15, 5), at(15, 35))])
    for guest in range(7):
        fake_meet.add_participant(record, kind="anonymous", display_name=f"Guest {guest}",
                                  sessions=[(at(15, guest), at(15, 10 + guest)), (at(15, 30), at(15, 31 + guest))])
    session = ClassSession.objects.create(organization=academy, scheduled_class=math_class, status=SessionStatus.ACTIVE)
    result = services.class_session_sync(class_session=session, now=at(16, 1))
    assert result.logs_created == 16
    assert sorted(AttendanceLog.objects.filter(class_session=session).values_list("display_name", "duration_seconds")) == sorted(
        [("Tara", 3600), ("Sofia", 1800)]
        + [(f"Guest {g}", 600) for g in range(7)] + [(f"Guest {g}", 60 * (1 + g)) for g in range(7)]
    )
    assert attended(session) == {"Tara Teach": 3600, "Sofia Garcia": 1800}
    # A permanent error on one participant's call (in whichever thread it runs) fails the fetch.
    fake_meet.fail_next(404, path_contains="/participantSessions")
    with pytest.raises(MeetNotFound):
        services.class_session_sync(class_session=session, now=at(16, 2))
