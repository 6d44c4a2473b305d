"""Two syncs of the same class at the same moment (a job and a manual one) write each log once."""

import threading

import pytest
from django.conf import settings
from django.db import connection

from attendance.models import CheckIn
from meetings import services
from meetings.models import AttendanceLog, ClassAttendance, ClassSession, SessionStatus, SyncAttempt, SyncOutcome
from meetings.tests.conftest import at

pytestmark = pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL row locks and concurrent connections")


@pytest.mark.django_db(transaction=True)
def test_parallel_syncs_of_one_class_do_not_duplicate(fake_meet, meet_credentials, math_class, academy):
    record = fake_meet.add_record(space="spaces/algebra", start=at(15), end=at(16))
    for i in range(12):
        fake_meet.add_participant(record, user="users/201" if i == 0 else f"users/x{i}",
                                  sessions=[(at(15, i), at(15, 30 + i)), (at(15, 40), at(15, 55))])
    session = ClassSession.objects.create(organization=academy, scheduled_class=math_class,
                                          status=SessionStatus.COMPLETED, completed_at=at(16))
    barrier = threading.Barrier(4)
    errors = []

    def sync():
        try:
            barrier.wait()
            services.class_session_sync(class_session=session, now=at(16, 5))
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sync) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert AttendanceLog.objects.filter(class_session=session).count() == 24
    assert ClassAttendance.objects.filter(class_session=session).count() == 1
    assert CheckIn.objects.filter(source="meetings").count() == 1
    assert ClassAttendance.objects.get(class_session=session).seconds == 45 * 60  # 15:00-15:30 ∪ 15:40-15:55
    assert SyncAttempt.objects.filter(outcome=SyncOutcome.SUCCESS).count() == 4
