"""Simultaneous clocks of one person (a double tap, two devices) on PostgreSQL row locks."""

import threading

import pytest
from django.conf import settings
from django.db import connection

from attendance.exceptions import Refused
from attendance.models import CheckIn
from staff import services
from staff.models import Staff


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="row locks need PostgreSQL; CI runs this on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_toggles_and_clock_ins_keep_one_session_and_the_mirror_in_step(hotel, worker):
    hotel.settings = {"duplicate_scan_seconds": 0}
    hotel.save()
    staff = Staff.objects.create(organization=hotel, user=worker, first_name="Wanda", last_name="Worker")
    barrier = threading.Barrier(10)
    outcomes, lock = [], threading.Lock()

    def clock(kind):
        try:
            barrier.wait(timeout=10)
            fn = services.staff_clock_toggle if kind == "toggle" else services.staff_clock_in
            result = fn(staff=Staff.objects.get(pk=staff.pk)).action
        except Refused as refused:
            result = refused.code
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            result = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=clock, args=("toggle" if i % 2 else "in",)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 10
    ins, outs = outcomes.count("clock_in"), outcomes.count("clock_out")
    assert set(outcomes) <= {"clock_in", "clock_out", "already_on_duty", "already_checked_in"}
    assert ins - outs in (0, 1) and ins >= 1
    staff.refresh_from_db()
    open_sessions = CheckIn.objects.filter(attendee_id=staff.pk, checked_out_at__isnull=True).count()
    assert open_sessions == ins - outs
    assert staff.is_on_duty == staff.session_active == (open_sessions == 1)
