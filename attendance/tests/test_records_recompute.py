"""Edits recompute everything derived: rollups equal their rebuild (one rounding rule, one shape), a
rebuild after a retention purge keeps what the rows no longer show, corrections recompute and are
heard, and history says when it is cut. Each figure is recomputed from the rows."""

from datetime import UTC, date, datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F

from attendance import events, registry, services, tasks
from attendance.models import CheckIn, Member, MonthlyRollup, WeeklyShift
from organizations.dates import local_datetime

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def quiet(command, *args):
    call_command(command, *args, stdout=StringIO())


def history(client, member, **query):
    response = client.get(f"/api/v1/history/member/{member.pk}/", query)
    assert response.status_code == 200, response.json()
    return response.json()


def months_of(body):
    return {m["month"]: (m["visits"], m["seconds_present"], m["days_present"], m["kinds"]) for m in body["months"]}


def test_three_sessions_of_3598_8_seconds_count_10794_running_and_rebuilt(owner_client, org, member):
    first = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    length = timedelta(seconds=3598, milliseconds=800)
    for n in range(2):  # two closed at the door
        at = first + timedelta(hours=3 * n)
        assert owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk, "at": at.isoformat()},
                                 format="json").status_code == 201
        assert owner_client.post("/api/v1/check-outs/", {"attendee_id": member.pk, "at": (at + length).isoformat()},
                                 format="json").status_code == 200
    at = first + timedelta(hours=6)  # one closed by the job at its expected check-out
    assert owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk, "at": at.isoformat(),
                                                    "expected_checkout_at": (at + length).isoformat()},
                             format="json").status_code == 201
    tasks.checkout_expired_all.delay()

    rows = CheckIn.objects.filter(attendee_id=member.pk)
    assert [r.duration for r in rows] == [length] * 3
    expected = sum(int(r.duration.total_seconds()) for r in rows)  # whole seconds per session
    assert expected == 10794
    running = months_of(history(owner_client, member, start="2026-06-01", end="2026-06-30"))
    assert running == {"2026-06": (3, 10794, 1, {"visit": 3})}
    quiet("recalculate_stats", "--org", org.slug)
    assert months_of(history(owner_client, member, start="2026-06-01", end="2026-06-30")) == running


def test_a_kind_that_moves_leaves_no_zero_entry_and_equals_the_rebuild(owner_client, org, member):
    WeeklyShift.objects.create(organization=org, attendee_type=registry.content_type_for(Member), attendee_id=member.pk,
                               weekday=0, start_time=time(9), end_time=time(17))
    monday = date(2026, 6, 8)
    for at, out in ((time(9), time(17)), (time(18), time(19))):
        services.check_in(organization=org, attendee=member, at=local_datetime(monday, at, org.tz))
        services.check_out(organization=org, attendee=member, at=local_datetime(monday, out, org.tz))
    rollup = MonthlyRollup.objects.get(attendee_id=member.pk)
    from_rows = {}
    for kind in CheckIn.objects.filter(attendee_id=member.pk).values_list("kind", flat=True):
        from_rows[kind] = from_rows.get(kind, 0) + 1
    assert rollup.kinds == from_rows and 0 not in rollup.kinds.values()
    before = (rollup.visits, rollup.seconds_present, rollup.days_present, rollup.kinds)
    quiet("recalculate_stats", "--org", org.slug)
    rollup = MonthlyRollup.objects.get(attendee_id=member.pk)
    assert (rollup.visits, rollup.seconds_present, rollup.days_present, rollup.kinds) == before


def visit(org, member, at, hours=1):
    services.check_in(organization=org, attendee=member, at=at)
    services.check_out(organization=org, attendee=member, at=at + timedelta(hours=hours))


def test_a_rebuild_after_a_purge_keeps_purged_months_and_reads_answer_from_rollups(owner_client, org, member):
    org.retention_days = 45  # cutoff: 1 May 12:00 UTC (14:00 in Madrid); May is partly purged
    org.save()
    for at in (datetime(2026, 3, 10, 9, tzinfo=UTC), datetime(2026, 4, 20, 9, tzinfo=UTC),
               datetime(2026, 5, 1, 8, tzinfo=UTC), datetime(2026, 5, 20, 9, tzinfo=UTC),
               datetime(2026, 6, 10, 9, tzinfo=UTC)):
        visit(org, member, at)
    before = months_of(history(owner_client, member, start="2026-03-01", end="2026-06-15"))
    assert len(before) == 4
    tasks.retention_purge_all.delay()
    assert CheckIn.objects.count() == 2  # 20 May and 10 June are kept
    quiet("recalculate_stats", "--org", org.slug)

    member.refresh_from_db()
    assert member.total_visits == 5
    assert member.first_visit_at == datetime(2026, 3, 10, 9, tzinfo=UTC)
    assert member.last_visit_at == datetime(2026, 6, 10, 9, tzinfo=UTC)
    after = history(owner_client, member, start="2026-03-01", end="2026-06-15")
    assert months_of(after) == before
    assert after["count"] == 2  # the sessions still there
    april = owner_client.get("/api/v1/dashboard/", {"start": "2026-04-01", "end": "2026-04-30"}).json()
    assert (april["totals"]["visits"], april["totals"]["unique_attendees"]) == (1, 1)
    assert april["top_attendees"][0]["visits"] == 1
    may = owner_client.get("/api/v1/dashboard/", {"start": "2026-05-01", "end": "2026-05-31"}).json()
    assert may["totals"]["visits"] == 2  # one purged, one kept: the rollup counts both
    june = owner_client.get("/api/v1/dashboard/", {"start": "2026-06-01", "end": "2026-06-15"}).json()
    assert june["totals"]["visits"] == CheckIn.objects.filter(checked_in_at__gte=datetime(2026, 6, 1, tzinfo=UTC)).count()
    # May's rollup counts a purged row: a correction there, rebuilt from what is left, would lose it.
    kept_in_may = CheckIn.objects.get(checked_in_at=datetime(2026, 5, 20, 9, tzinfo=UTC))
    refused = submit_and_approve(owner_client, attendee_id=member.pk, kind="wrong_time", check_in_id=kept_in_may.pk,
                                 proposed_checked_in_at="2026-05-20T08:00:00Z")
    assert refused.status_code == 409 and refused.json()["code"] == "month_purged"
    assert months_of(history(owner_client, member, start="2026-03-01", end="2026-06-15")) == before


def test_history_reads_every_month_retention_keeps(owner_client, org, member):
    assert org.retention_days == 730
    for n in range(24):  # the 10th of every month from July 2024 to June 2026
        visit(org, member, datetime(2024 + (6 + n) // 12, (6 + n) % 12 + 1, 10, 9, tzinfo=UTC))
    oldest = history(owner_client, member, start="2024-07-01", end="2024-07-31")
    assert months_of(oldest) == {"2024-07": (1, 3600, 1, {"visit": 1})}
    assert oldest["count"] == 1
    # Two periods of a year each read all 24 months, as the rows have them.
    older = history(owner_client, member, start="2024-06-16", end="2025-06-15")
    newer = history(owner_client, member, start="2025-06-16", end="2026-06-15")
    read = {m["month"] for m in older["months"] + newer["months"]}
    assert read == {f"{r.checked_in_at:%Y-%m}" for r in CheckIn.objects.all()} and len(read) == 24


def test_history_pages_its_sessions_with_a_count_and_links(owner_client, org, member):
    ct = registry.content_type_for(Member)
    start = datetime(2026, 5, 1, 6, tzinfo=UTC)
    CheckIn.objects.bulk_create(
        CheckIn(organization=org, attendee_type=ct, attendee_id=member.pk, checked_in_at=start + timedelta(hours=3 * n),
                checked_out_at=start + timedelta(hours=3 * n + 1), duration=timedelta(hours=1))
        for n in range(230)
    )
    first = history(owner_client, member, start="2026-05-01", end="2026-06-15")
    assert first["count"] == 230 and len(first["sessions"]) == 200 and first["previous"] is None
    assert "page=2" in first["next"]
    second = owner_client.get(first["next"]).json()
    assert second["count"] == 230 and len(second["sessions"]) == 30 and second["next"] is None
    assert "page=1" in second["previous"]
    ids = [s["id"] for s in first["sessions"] + second["sessions"]]
    assert ids == list(CheckIn.objects.filter(attendee_id=member.pk).order_by("-checked_in_at").values_list("id", flat=True))
    # The default period is the 90 days ending today.
    default = history(owner_client, member)
    assert default["period"] == {"start": "2026-03-18", "end": "2026-06-15"}
    small = history(owner_client, member, start="2026-05-01", end="2026-06-15", page_size=100, page=3)
    assert len(small["sessions"]) == 30 and small["next"] is None
    bad = owner_client.get(f"/api/v1/history/member/{member.pk}/", {"page": 0})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def submit_and_approve(client, **body):
    submitted = client.post("/api/v1/corrections/", {"reason": "fix", **body}, format="json")
    assert submitted.status_code == 201, submitted.json()
    return client.post(f"/api/v1/corrections/{submitted.json()['id']}/approve/", {}, format="json")


def test_approving_a_correction_whose_check_in_is_gone_answers_409(owner_client, org, member):
    visit(org, member, datetime(2026, 6, 10, 9, tzinfo=UTC))
    row = CheckIn.objects.get()
    wrong = owner_client.post("/api/v1/corrections/", {
        "reason": "clock", "attendee_id": member.pk, "kind": "wrong_time", "check_in_id": row.pk,
        "proposed_checked_in_at": "2026-06-10T08:30:00Z"}, format="json").json()
    deleted = submit_and_approve(owner_client, attendee_id=member.pk, kind="delete", check_in_id=row.pk)
    assert deleted.status_code == 200
    gone = owner_client.post(f"/api/v1/corrections/{wrong['id']}/approve/", {}, format="json")
    assert gone.status_code == 409 and gone.json()["code"] == "check_in_gone", gone.json()
    assert not CheckIn.objects.exists()


def test_a_whole_visit_correction_is_heard_once_and_judged_by_the_schedule(
        owner_client, org, member, django_capture_on_commit_callbacks):
    WeeklyShift.objects.create(organization=org, attendee_type=registry.content_type_for(Member), attendee_id=member.pk,
                               weekday=0, start_time=time(9), end_time=time(17))
    heard = []
    events.checked_in.connect(lambda sender, check_in, **kw: heard.append(("in", check_in.pk)), weak=False,
                              dispatch_uid="t-in")
    events.checked_out.connect(lambda sender, check_in, **kw: heard.append(("out", check_in.pk)), weak=False,
                               dispatch_uid="t-out")
    monday = date(2026, 6, 8)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = submit_and_approve(
                owner_client, attendee_id=member.pk, kind="missing_check_in",
                proposed_checked_in_at=local_datetime(monday, time(9, 40), org.tz).isoformat(),
                proposed_checked_out_at=local_datetime(monday, time(13), org.tz).isoformat())
    finally:
        events.checked_in.disconnect(dispatch_uid="t-in")
        events.checked_out.disconnect(dispatch_uid="t-out")
    assert response.status_code == 200, response.json()
    row = CheckIn.objects.get()
    assert heard == [("in", row.pk), ("out", row.pk)]
    assert (row.late_minutes, row.early_leave_minutes, row.kind) == (40, 240, "half_day_morning")
    member.refresh_from_db()
    assert member.total_visits == 1
    assert MonthlyRollup.objects.get().kinds == {"half_day_morning": 1}


def test_an_approved_time_correction_recomputes_lateness_early_leave_and_kind(owner_client, org, member):
    WeeklyShift.objects.create(organization=org, attendee_type=registry.content_type_for(Member), attendee_id=member.pk,
                               weekday=0, start_time=time(9), end_time=time(17))
    monday = date(2026, 6, 8)
    services.check_in(organization=org, attendee=member, at=local_datetime(monday, time(9, 40), org.tz))
    services.check_out(organization=org, attendee=member, at=local_datetime(monday, time(13), org.tz))
    row = CheckIn.objects.get()
    assert (row.late_minutes, row.early_leave_minutes, row.kind) == (40, 240, "half_day_morning")
    response = submit_and_approve(owner_client, attendee_id=member.pk, kind="wrong_time", check_in_id=row.pk,
                                  proposed_checked_in_at=local_datetime(monday, time(9), org.tz).isoformat(),
                                  proposed_checked_out_at=local_datetime(monday, time(17), org.tz).isoformat())
    assert response.status_code == 200, response.json()
    row.refresh_from_db()
    assert (row.late_minutes, row.early_leave_minutes, row.kind) == (0, 0, "full_day")
    assert row.duration == row.checked_out_at - row.checked_in_at == timedelta(hours=8)
    rollup = MonthlyRollup.objects.get()
    assert (rollup.kinds, rollup.seconds_present) == ({"full_day": 1}, 8 * 3600)
    assert CheckIn.objects.filter(duration=F("checked_out_at") - F("checked_in_at")).count() == 1
