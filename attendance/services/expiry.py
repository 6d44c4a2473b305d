"""Auto check-out: close the sessions whose expected check-out has passed, in batches."""

from datetime import date, datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from attendance import events, live, registry, schedules
from attendance.models import CheckIn, Kind, MonthlyRollup, WeeklyShift
from attendance.services.common import month_of
from attendance.services.rollups import rollup_bump, session_seconds
from organizations.models import Organization


def checkout_expired(
    *,
    organization: Organization,
    before: datetime | None = None,
    limit: int = 2000,
    target_model: type | None = None,
    progress=None,
) -> int:
    """Close every open session whose expected check-out is at or before `before`, at that expected
    time, flagged auto_closed. Works in batches of `limit`, each its own transaction; a session whose
    attendee is locked by a concurrent write is skipped and picked up next run. Returns the number
    closed.

    Plugins do not run for these closes (there is no person at a door); listeners get the
    `session_auto_closed` signal with the ids after each batch commits.
    """
    before = before or timezone.now()
    type_id = registry.content_type_for(target_model).pk if target_model is not None else None
    expired = CheckIn.objects.filter(organization=organization, checked_out_at__isnull=True, expected_checkout_at__lte=before)
    if type_id is not None:
        expired = expired.filter(attendee_type_id=type_id)
    # Kinds and early-leave minutes follow the shifts: asked once a run, not once a batch.
    scheduled = WeeklyShift.objects.filter(organization=organization).exists()
    closed = 0
    after = expired
    while True:
        with transaction.atomic():
            candidates = list(
                after.order_by("expected_checkout_at", "id")
                .values_list("id", "attendee_type_id", "attendee_id", "expected_checkout_at")[:limit]
            )
            if not candidates:
                break
            # The next batch starts after this one in (expected_checkout_at, id) order, so it never
            # re-reads what this one closed or skipped (no index scan through this run's closed rows).
            _, _, _, last_expected = last = candidates[-1]
            after = expired.filter(expected_checkout_at__gte=last_expected).exclude(
                Q(expected_checkout_at=last_expected, id__lte=last[0])
            )
            ids = _close_batch(organization, expired, [c[:3] for c in candidates], scheduled=scheduled)
            closed += len(ids)
            if ids:
                transaction.on_commit(
                    lambda ids=ids: events.session_auto_closed.send(
                        sender=CheckIn, organization=organization, check_in_ids=ids
                    ),
                    robust=True,
                )
        if progress:
            progress(closed)
    if closed:
        live.occupancy_changed(organization)
    return closed


def _close_batch(
    organization: Organization, expired, candidates: list[tuple[int, int, int]], *, scheduled: bool
) -> list[int]:
    """Close the candidates whose attendee row this job can lock now (the others wait for the next run).

    Attendee rows are locked first, then their check-ins (by the UPDATE): the lock order of every
    engine write, so this job and a door never deadlock.
    """
    by_type: dict[int, list[int]] = {}
    for _, attendee_type_id, attendee_id in candidates:
        by_type.setdefault(attendee_type_id, []).append(attendee_id)
    locked: set[tuple[int, int]] = set()
    for attendee_type_id, attendee_ids in by_type.items():
        model = registry.model_for_content_type_id(attendee_type_id)
        rows = model.objects.select_for_update(skip_locked=True, of=("self",)).filter(pk__in=attendee_ids)
        locked.update((attendee_type_id, pk) for pk in rows.values_list("pk", flat=True))
    claimed = [c for c in candidates if (c[1], c[2]) in locked]
    # Re-read under the attendees' locks: a check-out that committed meanwhile has closed some. No
    # row lock is needed for it: every engine write of a session holds its attendee's lock first.
    batch = list(
        expired.filter(pk__in=[c[0] for c in claimed])
        .values_list("id", "attendee_type_id", "attendee_id", "checked_in_at", "expected_checkout_at")
    )
    if not batch:
        return []
    ids = [row[0] for row in batch]
    CheckIn.objects.filter(pk__in=ids).update(
        checked_out_at=F("expected_checkout_at"), duration=F("expected_checkout_at") - F("checked_in_at"), auto_closed=True
    )
    # Whole seconds per session (rollups.session_seconds), counted in the check-in's local month.
    seconds: dict[tuple[int, int, date], int] = {}
    for _, attendee_type_id, attendee_id, checked_in_at, expected in batch:
        key = (attendee_type_id, attendee_id, month_of(checked_in_at, organization))
        seconds[key] = seconds.get(key, 0) + session_seconds(expected - checked_in_at)
    current = {
        (r["attendee_type_id"], r["attendee_id"], r["month"]): r["seconds_present"]
        for r in MonthlyRollup.objects.filter(
            attendee_type_id__in={key[0] for key in seconds},
            attendee_id__in={key[1] for key in seconds},
            month__in={key[2] for key in seconds},
        ).values("attendee_type_id", "attendee_id", "month", "seconds_present")
    }  # a superset read with three IN lists, served by one_rollup_per_month
    MonthlyRollup.objects.bulk_create(
        [
            MonthlyRollup(organization=organization, attendee_type_id=t, attendee_id=a, month=m,
                          seconds_present=current.get((t, a, m), 0) + value)
            for (t, a, m), value in seconds.items()
        ],
        update_conflicts=True,
        unique_fields=["attendee_type", "attendee_id", "month"],
        update_fields=["seconds_present"],
    )
    if scheduled:
        _classify_scheduled(organization, batch)
    return ids


def _classify_scheduled(organization: Organization, batch: list[tuple]) -> None:
    """Give the closed sessions of attendees with a schedule the kind and early-leave minutes any
    check-out at that time gets (schedules.classify), and move the rollups' kind counts with them."""
    shifts: dict[tuple[int, int], list[WeeklyShift]] = {}
    for shift in WeeklyShift.objects.filter(
        organization=organization, attendee_type_id__in={row[1] for row in batch}, attendee_id__in={row[2] for row in batch}
    ):
        shifts.setdefault((shift.attendee_type_id, shift.attendee_id), []).append(shift)
    if not shifts:
        return
    policy, tz = schedules.policy_for(organization), organization.tz
    kinds = dict(CheckIn.objects.filter(pk__in=[row[0] for row in batch]).values_list("id", "kind"))
    for check_in_id, attendee_type_id, attendee_id, checked_in_at, closed_at in batch:
        window = schedules.shift_for(shifts.get((attendee_type_id, attendee_id), []), checked_in_at, tz)
        if window is None or kinds[check_in_id] == Kind.COURTESY:
            continue
        kind = schedules.classify(window, checked_in_at, closed_at, policy, tz)
        CheckIn.objects.filter(pk=check_in_id).update(
            kind=kind, early_leave_minutes=schedules.early_leave_minutes(window, closed_at, policy))
        if kind != kinds[check_in_id]:
            rollup_bump(organization=organization, attendee_type_id=attendee_type_id, attendee_id=attendee_id,
                        month=month_of(checked_in_at, organization), kinds={kinds[check_in_id]: -1, kind: 1})
