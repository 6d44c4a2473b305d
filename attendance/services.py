"""The engine's writes: check_in, check_out, toggle, record_bulk, checkout_expired, corrections,
recalculate_stats and retention.

Every write locks the attendee row first (`attendee_get_for_update`), so check-ins of one attendee
are serialized: two simultaneous scans cannot both pass a rule or double-count. The row, the
attendee's counters, the monthly rollup and the plugins' side effects share one transaction;
signals and broadcasts run after commit.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from attendance import events, live, registry, schedules, visit_sql
from attendance.exceptions import AttendeeNotFound, CheckInNotFound, Refused
from attendance.expressions import JSONCountAdd
from attendance.models import (
    CheckIn,
    Correction,
    CorrectionKind,
    CorrectionStatus,
    Kind,
    MonthlyRollup,
    Refusal,
    WeeklyShift,
)
from attendance.plugins import CheckInContext, active_plugins
from config.errors import DomainError
from config.rows import column_converters, convert_row
from organizations.dates import day_bounds, local_date, local_today, month_start
from organizations.models import Organization
from organizations.services import audit_log_record

logger = logging.getLogger(__name__)

CHECK_IN_RECORDED = "check_in.recorded"
CHECK_OUT_RECORDED = "check_out.recorded"


@dataclass(frozen=True)
class CheckInResult:
    check_in: CheckIn
    created: bool  # False when an idempotent retry returned the earlier row


# --- locking and small helpers -----------------------------------------------------------------


def attendee_get_for_update(attendee):
    """Return a fresh copy of the attendee, locked until the transaction ends. Needs an atomic block.

    `attendee` may be a stand-in holding only `pk` and `organization_id` (see
    `registry.attendee_stand_in`): the row is read here, once, under the lock, and a row that does
    not exist in that organization raises AttendeeNotFound. The copy also knows whether the attendee
    has weekly shifts, so a check-in without a schedule does not query for one.

    Written as SQL because every check-in starts here: the same query built through the ORM
    (select_for_update(of=("self",)) with an Exists annotation) cost 0.65 ms more CPU per call, and
    `Model.objects.raw` another 0.3 ms to map columns; the statement and its column converters are
    built once per model (`_lock_plan`).
    """
    model = type(attendee)._meta.concrete_model
    sql, attnames, converters = _lock_plan(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, [registry.content_type_for(model).pk, attendee.pk, attendee.organization_id])
        row = cursor.fetchone()
    if row is None:
        raise AttendeeNotFound("No such attendee in this organization.")
    values = convert_row(list(row), converters)
    locked = model.from_db(connection.alias, attnames, values[:-1])
    locked.attendance_has_shifts = bool(values[-1])  # SQLite answers 0/1
    return locked


_lock_plans: dict[tuple, tuple] = {}


def _lock_plan(model) -> tuple[str, list[str], list[tuple]]:
    """The locking SELECT for `model`, its field names in column order and the converters the ORM
    would apply to each column (JSON, and datetimes on SQLite), for this database."""
    key = (model, connection.alias, connection.vendor)
    plan = _lock_plans.get(key)
    if plan is None:
        qn = connection.ops.quote_name
        fields = model._meta.concrete_fields
        a, pk = qn("a"), qn(model._meta.pk.column)
        columns = ", ".join(f"{a}.{qn(f.column)}" for f in fields)
        lock = f" FOR UPDATE OF {a}" if connection.features.has_select_for_update_of else ""
        sql = (
            f"SELECT {columns}, EXISTS (SELECT 1 FROM {qn(WeeklyShift._meta.db_table)} s"
            f" WHERE s.attendee_type_id = %s AND s.attendee_id = {a}.{pk}) AS attendance_has_shifts"
            f" FROM {qn(model._meta.db_table)} {a} WHERE {a}.{pk} = %s AND {a}.organization_id = %s{lock}"
        )
        plan = _lock_plans[key] = (sql, [f.attname for f in fields], column_converters(model, fields))
    return plan


def _attendee_of(check_in: CheckIn):
    model = registry.model_for_content_type_id(check_in.attendee_type_id)
    return model.objects.get(pk=check_in.attendee_id)


def _check_organization(organization: Organization, attendee) -> None:
    if attendee.organization_id != organization.pk:
        raise AttendeeNotFound("No such attendee in this organization.")


def _shifts(organization: Organization, attendee) -> list[WeeklyShift]:
    if getattr(attendee, "attendance_has_shifts", True) is False:  # known from the lock's read
        return []
    ct = registry.content_type_for(attendee)
    return list(WeeklyShift.objects.filter(organization=organization, attendee_type=ct, attendee_id=attendee.pk))


def _bump_rollup(
    organization, attendee_type_id: int, attendee_id: int, month: date, *,
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
    if (rows.update(**changes) if changes else rows.exists()):
        return
    MonthlyRollup.objects.create(
        organization=organization, attendee_type_id=attendee_type_id, attendee_id=attendee_id, month=month,
        visits=max(visits, 0), days_present=max(days_present, 0), seconds_present=max(seconds, 0),
        kinds={kind: delta for kind, delta in (kinds or {}).items() if delta > 0},
    )


def _check_in_payload(check_in: CheckIn, attendee) -> dict[str, Any]:
    return {
        "check_in_id": check_in.pk,
        "attendee_type": registry.label_for(attendee),
        "attendee_id": attendee.pk,
        "name": attendee.attendance_name(),
        "method": check_in.method,
        "location": check_in.location,
        "checked_in_at": check_in.checked_in_at.isoformat(),
        "checked_out_at": check_in.checked_out_at.isoformat() if check_in.checked_out_at else None,
        "auto_closed": check_in.auto_closed,
    }


def _record_refusal(ctx: CheckInContext, refused: Refused) -> Refusal:
    refusal = Refusal.objects.create(
        organization=ctx.organization,
        attendee_type=registry.content_type_for(ctx.attendee) if ctx.attendee is not None else None,
        attendee_id=ctx.attendee.pk if ctx.attendee is not None else None,
        attempted_at=ctx.at,
        method=ctx.method,
        source=ctx.source,
        code=refused.code,
        detail=refused.detail,
        location=ctx.location,
        device=ctx.device,
        metadata={k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in refused.extra.items()},
    )
    transaction.on_commit(lambda: events.check_in_refused.send(sender=Refusal, refusal=refusal), robust=True)
    return refusal


def refusal_record(*, ctx: CheckInContext, refused: Refused) -> Refusal:
    """Record a refusal decided outside the engine (e.g. a door rule before the attendee is known)."""
    return _record_refusal(ctx, refused)


# --- check-in ----------------------------------------------------------------------------------


def check_in(
    *,
    organization: Organization,
    attendee,
    method: str = "manual",
    source: str = "api",
    at: datetime | None = None,
    kind: str = Kind.VISIT,
    expected_checkout_at: datetime | None = None,
    location: str = "",
    device=None,
    actor=None,
    notes: str = "",
    metadata: dict | None = None,
    idempotency_key: str | None = None,
    external_id: str | None = None,
    options: dict | None = None,
) -> CheckInResult:
    """Open a session for `attendee`, or raise Refused (and record the refusal).

    With `idempotency_key` (or `external_id` within `source`) a retry returns the first result.
    Call it outside any transaction: a refusal raised inside a caller's atomic block is rolled
    back with it. Domain writes that must share the check-in's transaction belong in a plugin.
    """
    registry.check_method(method)
    _check_organization(organization, attendee)
    ctx = CheckInContext(
        organization=organization,
        attendee=attendee,
        method=method,
        source=source,
        at=at or timezone.now(),
        actor=actor,
        device=device,
        location=location,
        metadata=dict(metadata or {}),
        options=dict(options or {}),
    )
    try:
        with transaction.atomic():
            ctx.attendee = attendee_get_for_update(attendee)
            if at is None:
                # Stamp "now" once the lock is held: a request that queued behind another check-in or
                # check-out of this attendee must not carry a time earlier than what committed first.
                ctx.at = timezone.now()
            earlier = _earlier_result(organization, source, idempotency_key, external_id)
            if earlier is not None:
                return CheckInResult(check_in=earlier, created=False)
            row = _check_in_locked(
                ctx,
                kind=kind,
                expected_checkout_at=expected_checkout_at,
                notes=notes,
                idempotency_key=idempotency_key,
                external_id=external_id,
            )
            return CheckInResult(check_in=row, created=True)
    except Refused as refused:
        _record_refusal(ctx, refused)
        raise
    except IntegrityError:
        # Another attendee's request took the same key at the same moment: answer with its row.
        earlier = _earlier_result(organization, source, idempotency_key, external_id)
        if earlier is None:
            raise
        return CheckInResult(check_in=earlier, created=False)


def _earlier_result(organization, source, idempotency_key, external_id) -> CheckIn | None:
    if idempotency_key:
        return CheckIn.objects.filter(organization=organization, idempotency_key=idempotency_key).first()
    if external_id:
        return CheckIn.objects.filter(organization=organization, source=source, external_id=external_id).first()
    return None


def _check_in_locked(
    ctx: CheckInContext,
    *,
    kind: str = Kind.VISIT,
    expected_checkout_at: datetime | None = None,
    notes: str = "",
    idempotency_key: str | None = None,
    external_id: str | None = None,
) -> CheckIn:
    """Apply the rules and write the check-in. The attendee row (ctx.attendee) must be locked."""
    organization, attendee, at = ctx.organization, ctx.attendee, ctx.at
    if not attendee.attendance_enabled:
        raise Refused("Attendance is disabled for this person.", code="attendance_disabled")
    if not attendee.attendance_is_active():
        raise Refused(f"{attendee.attendance_name()} is not active and cannot check in.", code="attendee_inactive")
    window = timedelta(seconds=organization.option("duplicate_scan_seconds", settings.ATTENDANCE_DUPLICATE_SCAN_SECONDS))
    if attendee.last_visit_at and timedelta(0) <= at - attendee.last_visit_at < window:
        raise Refused(
            f"{attendee.attendance_name()} was checked in {int((at - attendee.last_visit_at).total_seconds())} s ago; "
            "this looks like the same scan twice.",
            code="duplicate_scan",
            retry_after=(attendee.last_visit_at + window).isoformat(),
        )
    if attendee.session_active:
        if organization.option("on_open_session", "refuse") == "close_and_reopen":
            previous = CheckIn.objects.get(pk=attendee.session_check_in_id)
            _check_out_locked(ctx, previous, at=max(at, previous.checked_in_at), notes="closed by a new check-in")
        else:
            raise Refused(
                f"{attendee.attendance_name()} is already checked in.",
                code="already_checked_in",
                check_in_id=attendee.session_check_in_id,
            )

    plugins = active_plugins(ctx)
    for plugin in plugins:
        plugin.before_check_in(ctx)

    shift = schedules.shift_for(_shifts(organization, attendee), at, organization.tz)
    if shift is not None and expected_checkout_at is None:
        expected_checkout_at = shift.end
    policy = schedules.policy_for(organization)
    row = CheckIn(
        organization=organization,
        attendee_type=registry.content_type_for(attendee),
        attendee_id=attendee.pk,
        checked_in_at=at,
        expected_checkout_at=expected_checkout_at,
        method=ctx.method,
        source=ctx.source,
        kind=kind,
        late_minutes=schedules.late_minutes(shift, at, policy) if shift else 0,
        location=ctx.location,
        device=ctx.device,
        notes=notes,
        metadata=ctx.metadata,
        idempotency_key=idempotency_key,
        external_id=external_id,
        created_by=ctx.actor if getattr(ctx.actor, "pk", None) else None,
    )
    _record_visit(organization, attendee, row)
    for plugin in plugins:
        plugin.after_check_in(ctx, row)

    transaction.on_commit(lambda: events.checked_in.send(sender=CheckIn, check_in=row), robust=True)
    live.publish(organization, CHECK_IN_RECORDED, _check_in_payload(row, attendee))
    if attendee.total_visits in settings.ATTENDANCE_MILESTONES:
        value = attendee.total_visits
        transaction.on_commit(
            lambda: events.milestone.send(sender=type(attendee), attendee=attendee, kind="visits", value=value),
            robust=True,
        )
    return row


def _record_visit(organization: Organization, attendee, row: CheckIn, *, opens_session: bool = True) -> None:
    """Insert `row` (a new, unsaved check-in) and count it: the attendee's counters and the month's
    rollup. The attendee's lock must be held. One statement on PostgreSQL (attendance.visit_sql)."""
    tz = organization.tz
    day = local_date(row.checked_in_at, tz)
    month = month_start(day)
    if attendee.last_visit_at is None or row.checked_in_at >= attendee.last_visit_at:
        # The usual case, a visit after every earlier one: the locked attendee row already knows.
        first_today = attendee.last_visit_at is None or local_date(attendee.last_visit_at, tz) != day
    else:
        start, end = day_bounds(day, tz)
        first_today = not CheckIn.objects.filter(
            attendee_type_id=row.attendee_type_id,
            attendee_id=row.attendee_id,
            checked_in_at__gte=start,
            checked_in_at__lt=end,
        ).exists()

    # Values computed in Python are safe here: the attendee row is locked by this transaction.
    attendee.total_visits += 1
    if month == month_start(local_today(tz)):
        attendee.visits_this_month = (attendee.visits_this_month if attendee.visits_month == month else 0) + 1
        attendee.visits_month = month
    if attendee.first_visit_at is None or row.checked_in_at < attendee.first_visit_at:
        attendee.first_visit_at = row.checked_in_at
    if attendee.last_visit_at is None or row.checked_in_at > attendee.last_visit_at:
        attendee.last_visit_at = row.checked_in_at
    fields = ["total_visits", "visits_this_month", "visits_month", "first_visit_at", "last_visit_at"]
    if opens_session:
        attendee.session_active = True
        attendee.session_expected_checkout_at = row.expected_checkout_at
        attendee.session_method = row.method
        fields += ["session_active", "session_check_in_id", "session_expected_checkout_at", "session_method"]
    insert_visit = visit_sql.insert_visit if connection.vendor == "postgresql" else _insert_visit_orm
    insert_visit(
        row=row, attendee=attendee, attendee_fields=fields, month=month,
        days_present=1 if first_today else 0, seconds=row.duration_seconds or 0,
    )


def _insert_visit_orm(
    *, row: CheckIn, attendee, attendee_fields: list[str], month: date, days_present: int, seconds: int
) -> None:
    """What visit_sql.insert_visit does in one PostgreSQL statement, through the ORM (SQLite)."""
    row.save(force_insert=True)
    _bump_rollup(
        row.organization, row.attendee_type_id, row.attendee_id, month,
        visits=1, days_present=days_present, seconds=seconds, kinds={row.kind: 1},
    )
    if "session_check_in_id" in attendee_fields:
        attendee.session_check_in_id = row.pk
    attendee.save(update_fields=attendee_fields)


# --- check-out ---------------------------------------------------------------------------------


def check_out(
    *,
    organization: Organization,
    check_in: CheckIn | int | None = None,
    attendee=None,
    at: datetime | None = None,
    source: str = "api",
    actor=None,
    device=None,
    notes: str = "",
) -> CheckIn:
    """Close a session, given by its check-in (or id) or by the attendee's open session."""
    if check_in is None and attendee is None:
        raise DomainError("Give a check-in or an attendee to check out.", code="missing_target")
    if check_in is not None:
        check_in_id = check_in.pk if isinstance(check_in, CheckIn) else check_in
        row = CheckIn.objects.filter(organization=organization, pk=check_in_id).first()
        if row is None:
            raise CheckInNotFound("No such check-in in this organization.")
        attendee = _attendee_of(row)
    _check_organization(organization, attendee)
    with transaction.atomic():
        locked = attendee_get_for_update(attendee)
        if check_in is not None:
            row = CheckIn.objects.get(pk=row.pk)
            if not row.is_open:
                raise Refused("This check-in is already checked out.", code="already_checked_out")
        else:
            if not locked.session_active:
                raise Refused(f"{locked.attendance_name()} is not checked in.", code="not_checked_in")
            row = CheckIn.objects.get(pk=locked.session_check_in_id)
        ctx = CheckInContext(
            organization=organization, attendee=locked, method=row.method, source=source,
            at=at or timezone.now(), actor=actor, device=device,
        )
        return _check_out_locked(ctx, row, at=ctx.at, notes=notes)


def _check_out_locked(ctx: CheckInContext, row: CheckIn, *, at: datetime, notes: str = "", auto: bool = False) -> CheckIn:
    """Close `row` at `at` and count its time. The attendee row (ctx.attendee) must be locked."""
    organization, attendee = ctx.organization, ctx.attendee
    if at < row.checked_in_at:
        raise DomainError(
            f"The check-out time {at.isoformat()} is before the check-in at {row.checked_in_at.isoformat()}.",
            code="checkout_before_checkin",
        )
    plugins = active_plugins(ctx)
    for plugin in plugins:
        plugin.before_check_out(ctx, row)

    old_kind = row.kind
    row.checked_out_at = at
    row.duration = at - row.checked_in_at
    row.auto_closed = auto
    if notes:
        row.notes = f"{row.notes}\n{notes}".strip()
    if row.kind not in (Kind.COURTESY,):
        shift = schedules.shift_for(_shifts(organization, attendee), row.checked_in_at, organization.tz)
        if shift is not None:
            policy = schedules.policy_for(organization)
            row.kind = schedules.classify(shift, row.checked_in_at, at, policy, organization.tz)
            row.early_leave_minutes = schedules.early_leave_minutes(shift, at, policy)
    row.save(update_fields=["checked_out_at", "duration", "auto_closed", "notes", "kind", "early_leave_minutes"])

    _bump_rollup(
        organization, row.attendee_type_id, row.attendee_id, month_start(local_date(row.checked_in_at, organization.tz)),
        seconds=int(row.duration.total_seconds()),
        kinds={old_kind: -1, row.kind: 1} if row.kind != old_kind else None,
    )

    if attendee.session_check_in_id == row.pk:
        attendee.session_active = False
        attendee.session_check_in_id = None
        attendee.session_expected_checkout_at = None
        attendee.session_method = ""
        attendee.save(
            update_fields=["session_active", "session_check_in_id", "session_expected_checkout_at", "session_method"]
        )
    for plugin in plugins:
        plugin.after_check_out(ctx, row)
    transaction.on_commit(lambda: events.checked_out.send(sender=CheckIn, check_in=row), robust=True)
    live.publish(organization, CHECK_OUT_RECORDED, _check_in_payload(row, attendee))
    return row


def toggle(*, organization: Organization, attendee, at: datetime | None = None, **kwargs) -> tuple[str, CheckIn]:
    """Check the attendee out if a session is open, else in. Returns ("check_in"|"check_out", row).

    The decision is taken under the attendee's lock; a check-in then runs through check_in() so
    that a refusal is recorded (a concurrent toggle that opened a session meanwhile is refused
    with `already_checked_in` or `duplicate_scan`).
    """
    _check_organization(organization, attendee)
    with transaction.atomic():
        locked = attendee_get_for_update(attendee)
        if locked.session_active:
            row = check_out(organization=organization, attendee=locked, at=at, **_checkout_kwargs(kwargs))
            return "check_out", row
    result = check_in(organization=organization, attendee=attendee, at=at, **kwargs)
    return "check_in", result.check_in


def _checkout_kwargs(kwargs: dict) -> dict:
    return {k: v for k, v in kwargs.items() if k in {"source", "actor", "device", "notes"}}


# --- sessions known after the fact -------------------------------------------------------------


def session_record(
    *,
    organization: Organization,
    attendee,
    checked_in_at: datetime,
    checked_out_at: datetime,
    source: str,
    external_id: str,
    method: str = "manual",
    kind: str = Kind.VISIT,
    metadata: dict | None = None,
) -> CheckInResult:
    """Record a closed session whose times come from elsewhere (a Meet call, an import).

    Idempotent by (source, external_id): a second call with the same times changes nothing; with
    new times (a call that went on) it updates the row and the rollups. It does not touch the
    attendee's open session, so it may overlap one.
    """
    registry.check_method(method)
    _check_organization(organization, attendee)
    if checked_out_at < checked_in_at:
        raise DomainError("The session ends before it starts.", code="checkout_before_checkin")
    tz = organization.tz
    with transaction.atomic():
        locked = attendee_get_for_update(attendee)
        row = CheckIn.objects.filter(organization=organization, source=source, external_id=external_id).first()
        if row is not None:
            if row.checked_in_at == checked_in_at and row.checked_out_at == checked_out_at:
                return CheckInResult(check_in=row, created=False)
            old_day = local_date(row.checked_in_at, tz)
            old_month = month_start(old_day)
            old_seconds = row.duration_seconds or 0
            row.checked_in_at, row.checked_out_at = checked_in_at, checked_out_at
            row.duration = checked_out_at - checked_in_at
            row.metadata = {**row.metadata, **(metadata or {})}
            row.save(update_fields=["checked_in_at", "checked_out_at", "duration", "metadata"])
            if old_day == local_date(checked_in_at, tz):
                MonthlyRollup.objects.filter(
                    attendee_type_id=row.attendee_type_id, attendee_id=row.attendee_id, month=old_month
                ).update(seconds_present=F("seconds_present") + (row.duration_seconds - old_seconds))
            else:
                _rebuild(organization, attendee_type_id=row.attendee_type_id, attendee_ids=[locked.pk],
                         months={old_month, month_start(local_date(checked_in_at, tz))})
            return CheckInResult(check_in=row, created=False)
        row = CheckIn(
            organization=organization, attendee_type=registry.content_type_for(locked), attendee_id=locked.pk,
            checked_in_at=checked_in_at, checked_out_at=checked_out_at, duration=checked_out_at - checked_in_at,
            method=method, source=source, kind=kind, metadata=dict(metadata or {}), external_id=external_id,
        )
        _record_visit(organization, locked, row, opens_session=False)
        transaction.on_commit(lambda: events.checked_in.send(sender=CheckIn, check_in=row), robust=True)
        transaction.on_commit(lambda: events.checked_out.send(sender=CheckIn, check_in=row), robust=True)
    return CheckInResult(check_in=row, created=True)


def session_remove(*, organization: Organization, source: str, external_id: str) -> bool:
    """Delete a session recorded with `session_record` (it turned out to be someone else's) and
    rebuild that attendee's month. Returns False when there was nothing to remove."""
    with transaction.atomic():
        row = CheckIn.objects.filter(organization=organization, source=source, external_id=external_id).first()
        if row is None:
            return False
        locked = attendee_get_for_update(_attendee_of(row))
        month = month_start(local_date(row.checked_in_at, organization.tz))
        if locked.session_check_in_id == row.pk:
            locked.session_active = False
            locked.session_check_in_id = None
            locked.session_expected_checkout_at = None
            locked.session_method = ""
            locked.save(update_fields=["session_active", "session_check_in_id", "session_expected_checkout_at", "session_method"])
        attendee_type_id = row.attendee_type_id
        row.delete()
        _rebuild(organization, attendee_type_id=attendee_type_id, attendee_ids=[locked.pk], months={month})
    return True


# --- offline batches ---------------------------------------------------------------------------


def record_bulk(*, organization: Organization, device, items: list[dict], actor=None) -> list[dict]:
    """Record a device's offline batch. Each item: action ("check_in"|"check_out"), attendee, at,
    event_id, and optionally method and location. Items run in time order, each in its own
    savepoint; a replayed event_id answers "duplicate". Returns one result per item, in input order.
    """
    source = f"device:{device.pk}" if device is not None else "bulk"
    results: list[dict | None] = [None] * len(items)
    for index, item in sorted(enumerate(items), key=lambda pair: pair[1]["at"]):
        event_id = str(item["event_id"])
        base = {"index": index, "event_id": event_id}
        try:
            if item["action"] == "check_in":
                result = check_in(
                    organization=organization, attendee=item["attendee"], method=item.get("method") or "kiosk",
                    source=source, at=item["at"], location=item.get("location", ""), device=device, actor=actor,
                    external_id=event_id,
                )
                status = "recorded" if result.created else "duplicate"
                results[index] = {**base, "status": status, "check_in_id": result.check_in.pk}
            else:
                results[index] = {**base, **_bulk_check_out(organization, device, source, item, actor)}
        except DomainError as error:
            results[index] = {**base, "status": "refused", "code": error.code, "detail": error.detail}
    return results  # type: ignore[return-value]


def _bulk_check_out(organization, device, source, item, actor) -> dict:
    event_id = str(item["event_id"])
    attendee = item["attendee"]
    ct = registry.content_type_for(attendee)
    done = CheckIn.objects.filter(
        organization=organization, attendee_type=ct, attendee_id=attendee.pk,
        metadata__checkout_event_id=f"{source}:{event_id}",
    ).first()
    if done is not None:
        return {"status": "duplicate", "check_in_id": done.pk}
    with transaction.atomic():
        locked = attendee_get_for_update(attendee)
        # The session that was open at the event's time (events may arrive out of order).
        row = (
            CheckIn.objects.filter(attendee_type=ct, attendee_id=attendee.pk, checked_in_at__lte=item["at"])
            .filter(Q(checked_out_at__isnull=True))
            .order_by("-checked_in_at")
            .first()
        )
        if row is None:
            raise Refused(f"{locked.attendance_name()} had no open session at {item['at'].isoformat()}.", code="not_checked_in")
        row.metadata = {**row.metadata, "checkout_event_id": f"{source}:{event_id}"}
        row.save(update_fields=["metadata"])
        ctx = CheckInContext(
            organization=organization, attendee=locked, method=row.method, source=source, at=item["at"],
            actor=actor, device=device, location=item.get("location", ""),
        )
        _check_out_locked(ctx, row, at=item["at"])
    return {"status": "recorded", "check_in_id": row.pk}


# --- auto check-out ----------------------------------------------------------------------------


def checkout_expired(
    *, organization: Organization, before: datetime | None = None, limit: int = 2000, target_model=None, progress=None
) -> int:
    """Close every open session whose expected check-out is at or before `before`, at that expected
    time, flagged auto_closed. Works in batches of `limit`, each its own transaction; rows locked by
    a concurrent check-out are skipped and picked up next run. Returns the number closed.

    Plugins do not run for these closes (there is no person at a door); listeners get the
    `session_auto_closed` signal with the ids after each batch commits.
    """
    before = before or timezone.now()
    type_id = registry.content_type_for(target_model).pk if target_model is not None else None
    close_batch = _close_batch_postgres if connection.vendor == "postgresql" else _close_batch_orm
    closed = 0
    while True:
        with transaction.atomic():
            rows = close_batch(organization, before, limit, type_id)
            if not rows:
                break
            ids = [row[0] for row in rows]
            by_type: dict[int, list[int]] = {}
            for _, attendee_type_id, attendee_id in rows:
                by_type.setdefault(attendee_type_id, []).append(attendee_id)
            for attendee_type_id, attendee_ids in by_type.items():
                registry.model_for_content_type_id(attendee_type_id).objects.filter(
                    pk__in=attendee_ids, session_check_in_id__in=ids
                ).update(session_active=False, session_check_in_id=None, session_expected_checkout_at=None, session_method="")
            closed += len(ids)
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


# PostgreSQL: claim, close and count a batch in one statement. Seconds are whole seconds per
# session (floor), counted in the check-in's local month, exactly as check_out does.
_CLOSE_BATCH_SQL = """
WITH batch AS (
    SELECT id FROM attendance_checkin
    WHERE organization_id = %(org)s AND checked_out_at IS NULL AND expected_checkout_at <= %(before)s
      AND (%(type_id)s::bigint IS NULL OR attendee_type_id = %(type_id)s::bigint)
    ORDER BY expected_checkout_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), closed AS (
    UPDATE attendance_checkin AS c
    SET checked_out_at = c.expected_checkout_at,
        duration = c.expected_checkout_at - c.checked_in_at,
        auto_closed = TRUE
    FROM batch WHERE c.id = batch.id
    RETURNING c.id, c.attendee_type_id, c.attendee_id, c.checked_in_at, c.expected_checkout_at
), rollups AS (
    INSERT INTO attendance_monthlyrollup
        (organization_id, attendee_type_id, attendee_id, month, visits, seconds_present, days_present, kinds)
    SELECT %(org)s, attendee_type_id, attendee_id,
           date_trunc('month', checked_in_at AT TIME ZONE %(tz)s)::date, 0,
           SUM(FLOOR(EXTRACT(EPOCH FROM expected_checkout_at - checked_in_at)))::bigint, 0, '{}'::jsonb
    FROM closed
    GROUP BY attendee_type_id, attendee_id, date_trunc('month', checked_in_at AT TIME ZONE %(tz)s)
    ON CONFLICT (attendee_type_id, attendee_id, month)
    DO UPDATE SET seconds_present = attendance_monthlyrollup.seconds_present + EXCLUDED.seconds_present
)
SELECT id, attendee_type_id, attendee_id FROM closed
"""


def _close_batch_postgres(organization, before, limit, type_id) -> list[tuple[int, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            _CLOSE_BATCH_SQL,
            {"org": organization.pk, "before": before, "type_id": type_id, "limit": limit, "tz": organization.time_zone},
        )
        return cursor.fetchall()


def _close_batch_orm(organization, before, limit, type_id) -> list[tuple[int, int, int]]:
    """The same batch through the ORM, for SQLite (which serializes writers anyway)."""
    tz = organization.tz
    open_rows = CheckIn.objects.filter(
        organization=organization, checked_out_at__isnull=True, expected_checkout_at__lte=before
    )
    if type_id is not None:
        open_rows = open_rows.filter(attendee_type_id=type_id)
    batch = list(
        open_rows.select_for_update(skip_locked=True)
        .order_by("expected_checkout_at", "id")
        .values("id", "attendee_type_id", "attendee_id", "checked_in_at", "expected_checkout_at")[:limit]
    )
    if not batch:
        return []
    CheckIn.objects.filter(pk__in=[row["id"] for row in batch]).update(
        checked_out_at=F("expected_checkout_at"),
        duration=F("expected_checkout_at") - F("checked_in_at"),
        auto_closed=True,
    )
    seconds: dict[tuple[int, int, date], int] = {}
    for row in batch:
        key = (row["attendee_type_id"], row["attendee_id"], month_start(local_date(row["checked_in_at"], tz)))
        seconds[key] = seconds.get(key, 0) + int((row["expected_checkout_at"] - row["checked_in_at"]).total_seconds())
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
    return [(row["id"], row["attendee_type_id"], row["attendee_id"]) for row in batch]


# --- corrections -------------------------------------------------------------------------------


def correction_submit(
    *,
    organization: Organization,
    attendee,
    kind: str,
    reason: str,
    check_in: CheckIn | None = None,
    proposed_checked_in_at: datetime | None = None,
    proposed_checked_out_at: datetime | None = None,
    submitted_by=None,
) -> Correction:
    _check_organization(organization, attendee)
    if check_in is not None and (check_in.organization_id != organization.pk or check_in.attendee_id != attendee.pk):
        raise CheckInNotFound("That check-in does not belong to this attendee.")
    needs_check_in = kind in (CorrectionKind.MISSING_CHECK_OUT, CorrectionKind.WRONG_TIME, CorrectionKind.DELETE)
    if needs_check_in and check_in is None:
        raise DomainError(f"A {kind.replace('_', ' ')} correction must name the check-in.", code="check_in_required")
    if kind == CorrectionKind.MISSING_CHECK_IN and proposed_checked_in_at is None:
        raise DomainError("Give the check-in time that is missing.", code="time_required")
    if kind == CorrectionKind.MISSING_CHECK_OUT and proposed_checked_out_at is None:
        raise DomainError("Give the check-out time that is missing.", code="time_required")
    if kind == CorrectionKind.MISSING_CHECK_OUT and not check_in.is_open:
        raise DomainError("That check-in already has a check-out; ask for a wrong-time correction.", code="already_checked_out")
    if kind == CorrectionKind.WRONG_TIME and proposed_checked_in_at is None and proposed_checked_out_at is None:
        raise DomainError("Give the corrected check-in or check-out time.", code="time_required")
    if proposed_checked_in_at and proposed_checked_out_at and proposed_checked_out_at < proposed_checked_in_at:
        raise DomainError("The check-out time is before the check-in time.", code="checkout_before_checkin")
    return Correction.objects.create(
        organization=organization,
        attendee_type=registry.content_type_for(attendee),
        attendee_id=attendee.pk,
        check_in=check_in,
        kind=kind,
        reason=reason,
        proposed_checked_in_at=proposed_checked_in_at,
        proposed_checked_out_at=proposed_checked_out_at,
        submitted_by=submitted_by if getattr(submitted_by, "pk", None) else None,
    )


def _snapshot(row: CheckIn | None) -> dict | None:
    if row is None:
        return None
    return {
        "id": row.pk,
        "checked_in_at": row.checked_in_at.isoformat(),
        "checked_out_at": row.checked_out_at.isoformat() if row.checked_out_at else None,
        "kind": row.kind,
    }


def correction_approve(*, correction: Correction, actor, note: str = "") -> Correction:
    """Apply a pending correction through the engine and record before/after in the audit log."""
    with transaction.atomic():
        correction = Correction.objects.select_for_update().get(pk=correction.pk)
        if correction.status != CorrectionStatus.PENDING:
            raise DomainError(f"This correction is already {correction.status}.", code="correction_decided")
        organization = correction.organization
        attendee = registry.model_for_content_type_id(correction.attendee_type_id).objects.get(pk=correction.attendee_id)
        locked = attendee_get_for_update(attendee)
        row = CheckIn.objects.filter(pk=correction.check_in_id).first() if correction.check_in_id else None
        if correction.check_in_id and row is None:
            raise DomainError("The check-in of this correction no longer exists.", code="check_in_gone")
        before = _snapshot(row)
        after = _apply_correction(correction, locked, row, actor)
        correction.status = CorrectionStatus.APPROVED
        correction.decided_by = actor
        correction.decided_at = timezone.now()
        correction.decision_note = note
        correction.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "check_in"])
        audit_log_record(
            organization=organization, action="correction.approved", actor=actor, target=correction,
            reason=correction.reason, data={"kind": correction.kind, "before": before, "after": after, "note": note},
        )
    return correction


def _apply_correction(correction: Correction, attendee, row: CheckIn | None, actor) -> dict | None:
    organization = correction.organization
    ctx = CheckInContext(
        organization=organization, attendee=attendee, method="manual", source="correction",
        at=correction.proposed_checked_in_at or timezone.now(), actor=actor,
    )
    months = set()
    if correction.kind == CorrectionKind.MISSING_CHECK_IN:
        start, end = correction.proposed_checked_in_at, correction.proposed_checked_out_at
        if end is None:
            if attendee.session_active:
                raise DomainError("This person already has an open session.", code="already_checked_in")
            new = _check_in_locked(ctx)
        else:
            new = CheckIn.objects.create(
                organization=organization, attendee_type=correction.attendee_type, attendee_id=attendee.pk,
                checked_in_at=start, checked_out_at=end, duration=end - start, method="manual",
                source="correction", created_by=actor, notes=f"correction #{correction.pk}",
            )
            months.add(month_start(local_date(start, organization.tz)))
        correction.check_in = new
        row = new
    elif correction.kind == CorrectionKind.MISSING_CHECK_OUT:
        if not row.is_open:
            raise DomainError("That check-in already has a check-out.", code="already_checked_out")
        row = _check_out_locked(ctx, row, at=correction.proposed_checked_out_at, notes=f"correction #{correction.pk}")
    elif correction.kind == CorrectionKind.WRONG_TIME:
        months.add(month_start(local_date(row.checked_in_at, organization.tz)))
        row.checked_in_at = correction.proposed_checked_in_at or row.checked_in_at
        if correction.proposed_checked_out_at:
            row.checked_out_at = correction.proposed_checked_out_at
        if row.checked_out_at and row.checked_out_at < row.checked_in_at:
            raise DomainError("The corrected check-out would be before the check-in.", code="checkout_before_checkin")
        row.duration = row.checked_out_at - row.checked_in_at if row.checked_out_at else None
        row.save(update_fields=["checked_in_at", "checked_out_at", "duration"])
        months.add(month_start(local_date(row.checked_in_at, organization.tz)))
    elif correction.kind == CorrectionKind.DELETE:
        months.add(month_start(local_date(row.checked_in_at, organization.tz)))
        snapshot_id = row.pk
        row.delete()
        row = None
        correction.check_in = None
        if attendee.session_check_in_id == snapshot_id:
            attendee.session_active = False
            attendee.session_check_in_id = None
            attendee.session_expected_checkout_at = None
            attendee.session_method = ""
            attendee.save(update_fields=["session_active", "session_check_in_id", "session_expected_checkout_at", "session_method"])
    if months:
        _rebuild(organization, attendee_type_id=correction.attendee_type_id, attendee_ids=[attendee.pk], months=months)
    return _snapshot(row)


def correction_reject(*, correction: Correction, actor, note: str = "") -> Correction:
    with transaction.atomic():
        correction = Correction.objects.select_for_update().get(pk=correction.pk)
        if correction.status != CorrectionStatus.PENDING:
            raise DomainError(f"This correction is already {correction.status}.", code="correction_decided")
        correction.status = CorrectionStatus.REJECTED
        correction.decided_by = actor
        correction.decided_at = timezone.now()
        correction.decision_note = note
        correction.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_log_record(
            organization=correction.organization, action="correction.rejected", actor=actor, target=correction,
            reason=note, data={"kind": correction.kind},
        )
    return correction


def force_check_out(*, check_in: CheckIn, actor, reason: str, at: datetime | None = None) -> CheckIn:
    """A manager closes someone's open session; the audit log keeps who and why."""
    with transaction.atomic():
        row = check_out(organization=check_in.organization, check_in=check_in, at=at, actor=actor, source="admin")
        audit_log_record(
            organization=check_in.organization, action="check_in.force_checked_out", actor=actor, target=row,
            reason=reason, data={"checked_out_at": row.checked_out_at.isoformat()},
        )
    return row


# --- rebuilding stats --------------------------------------------------------------------------


def _rebuild(organization: Organization, *, attendee_type_id=None, attendee_ids=None, months=None) -> int:
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
        oldest = rows.aggregate(oldest=Min("checked_in_at"))["oldest"]
        if oldest is not None:
            existing = existing.filter(month__gte=month_start(local_date(oldest, tz)))
    grouped = rows.annotate(month=TruncMonth("checked_in_at", tzinfo=tz))
    totals = grouped.values("attendee_type_id", "attendee_id", "month").annotate(
        visits=Count("id"),
        seconds=Sum("duration"),
        days=Count(TruncDate("checked_in_at", tzinfo=tz), distinct=True),
    )
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
                visits=entry["visits"], seconds_present=int(entry["seconds"].total_seconds()) if entry["seconds"] else 0,
                days_present=entry["days"], kinds=kinds_by_key.get(key, {}),
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
            r["attendee_id"]: r for r in checkins.values("attendee_id").annotate(first=Min("checked_in_at"), last=Max("checked_in_at"))
        }
        open_rows = {
            r["attendee_id"]: r
            for r in checkins.filter(checked_out_at__isnull=True).values("attendee_id", "id", "expected_checkout_at", "method")
        }
        batch = []
        for attendee in attendees.iterator(chunk_size=2000):
            b = bounds.get(attendee.pk, {})
            o = open_rows.get(attendee.pk)
            attendee.total_visits = totals.get(attendee.pk, 0)
            attendee.visits_this_month = month.get(attendee.pk, 0)
            attendee.visits_month = this_month
            # Purged history keeps its first/last visit; with no visit left at all they are cleared.
            kept = attendee.total_visits > 0
            attendee.first_visit_at = b.get("first") or (attendee.first_visit_at if kept else None)
            attendee.last_visit_at = b.get("last") or (attendee.last_visit_at if kept else None)
            attendee.session_active = o is not None
            attendee.session_check_in_id = o["id"] if o else None
            attendee.session_expected_checkout_at = o["expected_checkout_at"] if o else None
            attendee.session_method = o["method"] if o else ""
            batch.append(attendee)
        model.objects.bulk_update(
            batch,
            ["total_visits", "visits_this_month", "visits_month", "first_visit_at", "last_visit_at",
             "session_active", "session_check_in_id", "session_expected_checkout_at", "session_method"],
            batch_size=1000,
        )


def recalculate_stats(*, organization: Organization) -> int:
    """Rebuild every rollup and attendee counter of the organization from the raw check-ins."""
    with transaction.atomic():
        return _rebuild(organization)


# --- retention ---------------------------------------------------------------------------------


def retention_purge(*, organization: Organization, now: datetime | None = None, batch_size: int | None = None, progress=None) -> int:
    """Delete closed check-ins and refusals older than the organization's retention; rollups stay."""
    if organization.retention_days == 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=organization.retention_days)
    batch_size = batch_size or settings.RETENTION_BATCH_SIZE
    deleted = 0
    for model, field in ((CheckIn, "checked_in_at"), (Refusal, "attempted_at")):
        old = model.objects.filter(organization=organization, **{f"{field}__lt": cutoff})
        if model is CheckIn:
            old = old.filter(checked_out_at__isnull=False)
        while True:
            ids = list(old.values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            with transaction.atomic():
                count, _ = model.objects.filter(pk__in=ids).delete()
            deleted += count
            if progress:
                progress(deleted)
    return deleted


def at_risk_notify(*, organization: Organization, days: int | None = None) -> int:
    """Fire `at_risk` for attendees whose last visit was exactly `days` local days ago (once each)."""
    days = days or organization.option("at_risk_days", settings.ATTENDANCE_AT_RISK_DAYS)
    tz = organization.tz
    target_day = local_today(tz) - timedelta(days=days)
    start, end = day_bounds(target_day, tz)
    fired = 0
    for model in registry.registered_models():
        for attendee in model.objects.filter(
            organization=organization, attendance_enabled=True, last_visit_at__gte=start, last_visit_at__lt=end
        ):
            events.at_risk.send(sender=model, attendee=attendee, days_absent=days)
            fired += 1
    return fired
