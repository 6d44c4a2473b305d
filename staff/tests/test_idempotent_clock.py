"""Simultaneous retries of one clock with one Idempotency-Key, through a real HTTP server on PostgreSQL:
every retry answers the first result, and the clock runs once."""

import threading

import pytest
import requests
from django.conf import settings
from rest_framework.authtoken.models import Token

from attendance.models import CheckIn
from staff.models import Staff

BURSTS, RETRIES = 20, 6


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="concurrent claims need PostgreSQL; CI runs this on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_six_simultaneous_retries_of_a_clock_all_answer_the_first_result(live_server, hotel, worker):
    staff = Staff.objects.create(organization=hotel, user=worker, first_name="Wanda", last_name="Worker")
    token = Token.objects.create(user=worker).key
    url = f"{live_server.url}/api/staff/{hotel.slug}/clock/"
    failures = []

    for burst in range(BURSTS):
        answers = burst_of_retries(url, token, key=f"burst-{burst}")
        first = answers[0]
        if len(answers) != RETRIES or first[0] != 200 or any(answer != first for answer in answers):
            failures.append((burst, answers))

    assert failures == []
    # One clock per burst: twenty alternating toggles make ten closed sessions and nothing open.
    rows = CheckIn.objects.filter(attendee_id=staff.pk, source="staff")
    assert rows.count() == BURSTS // 2 and not rows.filter(checked_out_at__isnull=True).exists()
    staff.refresh_from_db()
    assert staff.is_on_duty is False


def burst_of_retries(url: str, token: str, *, key: str) -> list[tuple[int, dict]]:
    """RETRIES clients post the same clock with the same key at the same moment; their answers."""
    barrier = threading.Barrier(RETRIES)
    answers, lock = [], threading.Lock()

    def retry():
        with requests.Session() as http:
            barrier.wait(timeout=10)
            response = http.post(url, json={}, timeout=30,
                                 headers={"Authorization": f"Token {token}", "Idempotency-Key": key})
        with lock:
            answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=retry) for _ in range(RETRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers
