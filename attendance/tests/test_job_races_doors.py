"""The auto check-out job races door check-outs on PostgreSQL: no deadlock, no error, and every
session is closed exactly once (by a door or by the job), with rollups equal to their rebuild."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from attendance import events, services
from attendance.exceptions import Refused
from attendance.models import CheckIn, Member, MonthlyRollup, with_open_session

SESSIONS = 1500
DOORS = 3
CHECK_OUTS_PER_DOOR = 300


def rollups(org):
    return {(r.attendee_id, r.month): (r.visits, r.seconds_present, r.days_present, r.kinds)
            for r in MonthlyRollup.objects.filter(organization=org)}


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="row locks and deadlocks need PostgreSQL; CI runs this on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_auto_check_out_job_and_900_door_check_outs_never_deadlock_and_close_each_session_once(org):
    now = timezone.now()
    members = Member.objects.bulk_create(Member(organization=org, first_name=f"M{i}") for i in range(SESSIONS))
    ct = ContentType.objects.get_for_model(Member)
    CheckIn.objects.bulk_create(
        CheckIn(organization=org, attendee_type=ct, attendee_id=m.pk, method="qr_code",
                checked_in_at=now - timedelta(hours=3, seconds=i), expected_checkout_at=now - timedelta(hours=1, seconds=i))
        for i, m in enumerate(members)
    )
    services.recalculate_stats(organization=org)  # counters, rollups and current sessions from the rows
    assert sum(m.session_active for m in with_open_session(Member.objects.all())) == SESSIONS

    closes: Counter = Counter()
    failures: list[str] = []
    refused: Counter = Counter()
    guard = threading.Lock()

    def on_check_out(sender, check_in, **kwargs):
        with guard:
            closes[check_in.pk] += 1

    def on_auto_closed(sender, check_in_ids, **kwargs):
        with guard:
            closes.update(check_in_ids)

    events.checked_out.connect(on_check_out, dispatch_uid="race-door")
    events.session_auto_closed.connect(on_auto_closed, dispatch_uid="race-job")
    start = threading.Barrier(DOORS + 1)
    # The job closes the oldest expected check-outs first (the end of `members`), the doors start at
    # the other end: they meet in the middle, both wanting the same rows at the same moments.
    door_members = members[: DOORS * CHECK_OUTS_PER_DOOR]

    def door(n: int):
        try:
            start.wait(timeout=30)
            for member in door_members[n::DOORS]:
                try:
                    services.check_out(organization=org, attendee=member, source="door")
                except Refused as error:  # the job closed it first: a 409, not a failure
                    with guard:
                        refused[error.code] += 1
                except Exception as error:  # a deadlock or anything else would be a 500
                    with guard:
                        failures.append(f"door: {type(error).__name__}: {error}")
        finally:
            connection.close()

    def job():
        try:
            start.wait(timeout=30)
            services.checkout_expired(organization=org, before=now, limit=25)
        except Exception as error:
            with guard:
                failures.append(f"job: {type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=door, args=(n,)) for n in range(DOORS)] + [threading.Thread(target=job)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        # Sessions the job skipped because a door held the attendee are closed by its next run.
        services.checkout_expired(organization=org, before=now)
    finally:
        events.checked_out.disconnect(dispatch_uid="race-door")
        events.session_auto_closed.disconnect(dispatch_uid="race-job")

    assert failures == []
    assert set(refused) <= {"not_checked_in"}
    rows = list(CheckIn.objects.filter(organization=org).values("id", "auto_closed", "checked_out_at", "expected_checkout_at"))
    assert all(r["checked_out_at"] is not None for r in rows)
    assert sorted(closes) == sorted(r["id"] for r in rows) and set(closes.values()) == {1}  # each closed once
    by_door = [r for r in rows if not r["auto_closed"]]
    assert by_door and refused["not_checked_in"]  # both sides won some: they did race
    assert len(by_door) + refused["not_checked_in"] == DOORS * CHECK_OUTS_PER_DOOR
    assert all(r["checked_out_at"] == r["expected_checkout_at"] for r in rows if r["auto_closed"])
    assert not any(m.session_active for m in with_open_session(Member.objects.all()))
    # Seconds counted once per session (whole seconds each): the running rollups equal the rows' sum
    # and their rebuild.
    running = rollups(org)
    assert sum(v[1] for v in running.values()) == sum(
        int((r["checked_out_at"] - (r["expected_checkout_at"] - timedelta(hours=2))).total_seconds()) for r in rows)
    services.recalculate_stats(organization=org)
    assert rollups(org) == running
