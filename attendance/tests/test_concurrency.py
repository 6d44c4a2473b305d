"""Invariants under concurrency: one open session per attendee, enforced by the database."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from attendance import services
from attendance.exceptions import Refused
from attendance.models import CheckIn, Member, Refusal


@pytest.mark.django_db
def test_one_open_session_is_a_database_constraint(org, member):
    ct = ContentType.objects.get_for_model(Member)
    CheckIn.objects.create(organization=org, attendee_type=ct, attendee_id=member.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(organization=org, attendee_type=ct, attendee_id=member.pk)
    # A closed one beside it is fine.
    CheckIn.objects.create(organization=org, attendee_type=ct, attendee_id=member.pk,
                           checked_in_at=timezone.now() - timedelta(hours=2),
                           checked_out_at=timezone.now() - timedelta(hours=1))
    assert CheckIn.objects.filter(checked_out_at__isnull=True).count() == 1


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="row locks need PostgreSQL; CI runs this on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_check_ins_leave_exactly_one_open_session(org, member):
    org.settings = {"duplicate_scan_seconds": 0}
    org.save()
    barrier = threading.Barrier(20)
    outcomes = []
    lock = threading.Lock()

    def scan():
        try:
            barrier.wait(timeout=10)
            services.check_in(organization=org, attendee=member, method="qr_code")
            result = "ok"
        except Refused as refused:
            result = refused.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=scan) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["already_checked_in"] * 19 + ["ok"]
    assert CheckIn.objects.filter(checked_out_at__isnull=True).count() == 1
    assert Refusal.objects.filter(code="already_checked_in").count() == 19
    member.refresh_from_db()
    assert member.total_visits == 1
