"""Counting visits: the monthly rollup and the attendee's counters, kept exact in the writing
transaction, and rebuilt from the raw check-ins on demand.

One rounding rule and one shape, for the running figures and the rebuild alike:
- seconds: each session counts its whole seconds (`session_seconds`, the floor of its duration), and
  a month's `seconds_present` is the sum of those; three sessions of 3,598.8 s count 10,794 s.
- kinds: `{kind: visits}` with only the kinds that have at least one visit (never a 0 entry).
"""

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth

from attendance import registry
from attendance.expressions import JSONCountAdd
from attendance.models import CheckIn, MonthlyRollup
from attendance.services.common import Attendee
from attendance.services.retention import retention_cutoff
from organizations.dates import day_bounds, local_date, local_today, month_start, next_month
from organizations.models import Organization


def session_seconds(duration: timedelta | None) -> int:
    """The whole seconds a session counts in the rollups: the floor of its duration (0 while open)."""
    return int(duration.total_seconds()) if duration is not None else 0


COUNTER_FIELDS = ["total_visits", "visits_this_month", "visits_month", "first_visit_at", "last_visit_at"]


def rollup_bump(
    *, organization: Organization, attendee_type_id: int, attendee_id: int, month: date,
    visits: int = 0, days_present: int = 0, seconds: int = 0, kinds: dict[str, int] | None = None,
) -> None:
    """Add to the month's rollup in one UPDATE (F() and JSONCountAdd), or create it if new.

    The attendee's lock must be held: it makes the insert of a new month race-free.
    """
    changes: dict[str, Any] = {}
    if visits:
        changes["visits"] = F("visits") + visits
    if days_present:
        changes["days_present"] = F("days_present") + days_present
    if seconds:
        changes["seconds_present"] = F("seconds_present") + seconds
    doc: Any = "kinds"
    for kind, delta in (kinds or {}).items():
        if delta:
            doc = JSONCountAdd(doc, kind, delta)
    if doc != "kinds":
        changes["kinds"] = doc
    rows = MonthlyRollup.objects.filter(attendee_type_id=attendee_type_id, attendee_id=attendee_id, month=month)
    if rows.update(**changes) if changes else rows.exists():
        return
    MonthlyRollup.objects.create(
        organization=organization, attendee_type_id=attendee_type_id, attendee_id=attendee_id, month=month,
        visits=max(visits, 0), days_present=max(days_present, 0), seconds_present=max(seconds, 0),
        kinds={kind: delta for kind, delta in (kinds or {}).items() if delta > 0},
    )


def visit_record(*, organization: Organization, attendee: Attendee, row: CheckIn, opens_session: bool) -> None:
    """Insert `row` (a new, unsaved check-in) and count it: the attendee's counters and the month's
    rollup. The attendee's lock must be held (so values computed here from its row stay true)."""
    tz = organization.tz
    day = local_date(row.checked_in_at, tz)
    month = month_start(day)
    if attendee.last_visit_at is None or row.checked_in_at >= attendee.last_visit_at:
        # The usual case, a visit after every earlier one: the locked attendee row already knows.
        first_today = attendee.last_visit_at is None or local_date(attendee.last_visit_at, tz) != day
    else:
        start, end = day_bounds(day, tz)
        first_today = not CheckIn.objects.filter(
            attendee_type_id=row.attendee_type_id, attendee_id=row.attendee_id,
            checked_in_at__gte=start, checked_in_at__lt=end,
        ).exists()

    row.save(force_insert=True)
    rollup_bump(
        organization=organization, attendee_type_id=row.attendee_type_id, attendee_id=row.attendee_id, month=month,
        visits=1, days_present=1 if first_today else 0, seconds=session_seconds(row.duration), kinds={row.kind: 1},
    )
    attendee.total_visits += 1
    if month == month_start(local_today(tz)):
        attendee.visits_this_month = (attendee.visits_this_month if attendee.visits_month == month else 0) + 1
        attendee.visits_month = month
    if attendee.first_visit_at is None or row.checked_in_at < attendee.first_visit_at:
        attendee.first_visit_at = row.checked_in_at
    if attendee.last_visit_at is None or row.checked_in_at > attendee.last_visit_at:
        attendee.last_visit_at = row.checked_in_at
    attendee.save(update_fields=COUNTER_FIELDS)
    if opens_session:
        attendee.attendance_session_opened(row)


def recalculate_stats(*, organization: Organization) -> int:
    """Rebuild every rollup and attendee counter of the organization from the raw check-ins."""
    with transaction.atomic():
        return rollups_rebuild(organization=organization)


def rollups_rebuild(
    *, organization: Organization, attendee_type_id: int | None = None, attendee_ids: list[int] | None = None,
    months: set[date] | None = None,
) -> int:
    """Recompute rollups of the given scope from raw check-ins; return the number written.

    Months before the oldest kept check-in (purged by retention) are left as they are.
    """
    tz = organization.tz
    rows = CheckIn.objects.filter(organization=organization)
    existing = MonthlyRollup.objects.filter(organization=organization)
    if attendee_type_id is not None:
        rows = rows.filter(attendee_type_id=attendee_type_id)
        existing = existing.filter(attendee_type_id=attendee_type_id)
    if attendee_ids is not None:
        rows = rows.filter(attendee_id__in=attendee_ids)
        existing = existing.filter(attendee_id__in=attendee_ids)
    if months is not None:
        month_q = Q()
        for month in months:
            lo, _ = day_bounds(month, tz)
            hi, _ = day_bounds((month.replace(day=28) + timedelta(days=4)).replace(day=1), tz)
            month_q |= Q(checked_in_at__gte=lo, checked_in_at__lt=hi)
        rows = rows.filter(month_q)
        existing = existing.filter(month__in=months)
    else:
        # Months retention may have purged keep their rollups: from the month holding the retention
        # cutoff back, rows are partly or wholly gone, and the rollup is all that still counts them.
        cutoff = retention_cutoff(organization)
        if cutoff is not None:
            kept_from = next_month(local_date(cutoff, tz))
            existing = existing.filter(month__gte=kept_from)
            rows = rows.filter(checked_in_at__gte=day_bounds(kept_from, tz)[0])
        oldest = rows.aggregate(oldest=Min("checked_in_at"))["oldest"]
        if oldest is not None:
            existing = existing.filter(month__gte=month_start(local_date(oldest, tz)))
    grouped = rows.annotate(month=TruncMonth("checked_in_at", tzinfo=tz))
    totals = grouped.values("attendee_type_id", "attendee_id", "month").annotate(
        visits=Count("id"), days=Count(TruncDate("checked_in_at", tzinfo=tz), distinct=True),
    )
    # Whole seconds per session, summed (the running figures' rule), in one pass over the rows.
    seconds: dict[tuple, int] = {}
    closed = rows.filter(duration__isnull=False).values_list("attendee_type_id", "attendee_id", "checked_in_at", "duration")
    for type_id, attendee_id, checked_in_at, duration in closed.iterator(chunk_size=5000):
        key = (type_id, attendee_id, month_start(local_date(checked_in_at, tz)))
        seconds[key] = seconds.get(key, 0) + session_seconds(duration)
    kinds = grouped.values("attendee_type_id", "attendee_id", "month", "kind").annotate(n=Count("id"))
    kinds_by_key: dict[tuple, dict] = {}
    for entry in kinds.iterator():
        key = (entry["attendee_type_id"], entry["attendee_id"], _as_date(entry["month"]))
        kinds_by_key.setdefault(key, {})[entry["kind"]] = entry["n"]
    fresh = []
    for entry in totals.iterator():
        key = (entry["attendee_type_id"], entry["attendee_id"], _as_date(entry["month"]))
        fresh.append(
            MonthlyRollup(
                organization=organization, attendee_type_id=key[0], attendee_id=key[1], month=key[2],
                visits=entry["visits"], seconds_present=seconds.get(key, 0), days_present=entry["days"],
                kinds=kinds_by_key.get(key, {}),
            )
        )
    existing.delete()
    MonthlyRollup.objects.bulk_create(fresh, batch_size=2000)
    _rebuild_attendee_counters(organization, attendee_type_id=attendee_type_id, attendee_ids=attendee_ids)
    return len(fresh)


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _rebuild_attendee_counters(organization: Organization, *, attendee_type_id=None, attendee_ids=None) -> None:
    tz = organization.tz
    this_month = month_start(local_today(tz))
    models = (
        [registry.model_for_content_type_id(attendee_type_id)] if attendee_type_id else registry.registered_models()
    )
    for model in models:
        ct = registry.content_type_for(model)
        rollups = MonthlyRollup.objects.filter(organization=organization, attendee_type=ct)
        checkins = CheckIn.objects.filter(organization=organization, attendee_type=ct)
        attendees = model.objects.filter(organization=organization)
        if attendee_ids is not None:
            rollups = rollups.filter(attendee_id__in=attendee_ids)
            checkins = checkins.filter(attendee_id__in=attendee_ids)
            attendees = attendees.filter(pk__in=attendee_ids)
        totals = {r["attendee_id"]: r["total"] for r in rollups.values("attendee_id").annotate(total=Sum("visits"))}
        month = {r.attendee_id: r.visits for r in rollups.filter(month=this_month)}
        bounds = {
            r["attendee_id"]: r
            for r in checkins.values("attendee_id").annotate(n=Count("id"), first=Min("checked_in_at"), last=Max("checked_in_at"))
        }
        batch = []
        for attendee in attendees.iterator(chunk_size=2000):
            b = bounds.get(attendee.pk, {})
            attendee.total_visits = totals.get(attendee.pk, 0)
            attendee.visits_this_month = month.get(attendee.pk, 0)
            attendee.visits_month = this_month
            # Visits only the rollups still count (their rows purged) keep the first/last visit known
            # before; with no visit left at all they are cleared.
            purged = attendee.total_visits > b.get("n", 0)
            known = [attendee.first_visit_at] if purged and attendee.first_visit_at else []
            attendee.first_visit_at = min([*known, *([b["first"]] if b else [])], default=None)
            known = [attendee.last_visit_at] if purged and attendee.last_visit_at else []
            attendee.last_visit_at = max([*known, *([b["last"]] if b else [])], default=None)
            batch.append(attendee)
        model.objects.bulk_update(batch, COUNTER_FIELDS, batch_size=1000)
