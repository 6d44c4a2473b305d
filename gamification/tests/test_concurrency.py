"""Two scans of one member at the same moment: one visit and one anti_passback (PostgreSQL only)."""

import threading

import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from attendance.exceptions import Refused
from attendance.models import CheckIn, Refusal
from gamification import services
from gamification.models import AccessMethod, GymProfile

pytestmark = pytest.mark.skipif(not settings.IS_POSTGRES, reason="row locks need PostgreSQL")


def scan_together(org, members_per_thread, rounds=1):
    barrier = threading.Barrier(len(members_per_thread))
    outcomes = []
    lock = threading.Lock()

    def worker(member):
        close_old_connections()
        try:
            for _ in range(rounds):
                barrier.wait(timeout=10)
                try:
                    services.gym_check_in(organization=org, member=member, access_method=AccessMethod.QR)
                    result = "visit"
                except Refused as refused:
                    result = refused.code
                with lock:
                    outcomes.append((member.pk, result))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(m,)) for m in members_per_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_scans_give_one_visit_and_one_anti_passback(org, gym, make_member):
    for _ in range(3):  # repeat: a race that passes once by luck should not pass three times
        member = make_member()
        outcomes = scan_together(org, [member, member])
        assert sorted(result for _, result in outcomes) == ["anti_passback", "visit"]
        assert CheckIn.objects.filter(source="gym", attendee_id=member.pk).count() == 1
        assert list(Refusal.objects.filter(attendee_id=member.pk).values_list("code", flat=True)) == ["anti_passback"]
        assert GymProfile.objects.get(member=member).current_streak == 1


@pytest.mark.django_db(transaction=True)
def test_different_members_never_block_each_other(org, gym, make_member):
    members = [make_member() for _ in range(6)]
    outcomes = scan_together(org, members)
    assert [result for _, result in outcomes] == ["visit"] * 6
    assert CheckIn.objects.filter(source="gym").count() == 6
