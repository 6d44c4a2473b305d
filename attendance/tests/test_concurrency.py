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


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="row locks need PostgreSQL; CI runs this on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_auto_check_out_locks_attendees_first_and_skips_one_a_door_holds(org):
    """The job takes the attendee lock before the check-in's, like every write: a member whose row a
    door holds is skipped (closed next run), the others are closed, and nothing waits or deadlocks."""
    now = timezone.now()
    held, free = (Member.objects.create(organization=org, first_name=name) for name in ("Held", "Free"))
    for member in (held, free):
        services.check_in(organization=org, attendee=member, at=now - timedelta(hours=3),
                          expected_checkout_at=now - timedelta(hours=1))
    locked, release = threading.Event(), threading.Event()

    def door():
        try:
            with transaction.atomic():
                services.attendee_get_for_update(held)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=door)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        assert services.checkout_expired(organization=org, before=now) == 1
    finally:
        release.set()
        thread.join(timeout=10)
    assert list(CheckIn.objects.filter(checked_out_at__isnull=True).values_list("attendee_id", flat=True)) == [held.pk]
    free.refresh_from_db()
    assert free.session_active is False
    assert services.checkout_expired(organization=org, before=now) == 1
    held.refresh_from_db()
    assert held.session_active is False and held.session_check_in_id is None
