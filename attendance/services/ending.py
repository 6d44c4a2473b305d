"""Ending a session: the one close that check-outs, toggles, offline batches, corrections and a
new check-in that replaces an open session go through."""

from datetime import datetime

from django.db import transaction

from attendance import events, live, schedules
from attendance.models import CheckIn, Kind
from attendance.plugins import CheckInContext, active_plugins
from attendance.services.common import (
    CHECK_OUT_RECORDED,
    Attendee,
    check_in_payload,
    month_of,
    refuse_future,
    shifts_of,
)
from attendance.services.rollups import rollup_bump, session_seconds
from config.errors import DomainError
from organizations.models import Organization


def session_judge(*, organization: Organization, attendee: Attendee, row: CheckIn, lateness: bool = False) -> None:
    """Set the kind and early-leave minutes of a closed `row` (and with `lateness`, its late minutes)
    from the attendee's shift at its check-in, as any check-out at that time gets them. Without a
    shift nothing changes; a courtesy visit keeps its kind. Used by check-outs and approved corrections."""
    shift = schedules.shift_for(shifts_of(organization, attendee), row.checked_in_at, organization.tz)
    if shift is None:
        return
    policy = schedules.policy_for(organization)
    if lateness:
        row.late_minutes = schedules.late_minutes(shift, row.checked_in_at, policy)
    if row.checked_out_at is not None and row.kind != Kind.COURTESY:
        row.kind = schedules.classify(shift, row.checked_in_at, row.checked_out_at, policy, organization.tz)
        row.early_leave_minutes = schedules.early_leave_minutes(shift, row.checked_out_at, policy)


def session_close_locked(
    *, ctx: CheckInContext, row: CheckIn, at: datetime, notes: str = "", auto: bool = False
) -> CheckIn:
    """Close `row` at `at` and count its time. The attendee row (ctx.attendee) must be locked."""
    organization, attendee = ctx.organization, ctx.attendee
    refuse_future(at)
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
    session_judge(organization=organization, attendee=attendee, row=row)
    row.save(update_fields=["checked_out_at", "duration", "auto_closed", "notes", "kind", "early_leave_minutes"])

    rollup_bump(
        organization=organization, attendee_type_id=row.attendee_type_id, attendee_id=row.attendee_id,
        month=month_of(row.checked_in_at, organization), seconds=session_seconds(row.duration),
        kinds={old_kind: -1, row.kind: 1} if row.kind != old_kind else None,
    )
    attendee.attendance_session_closed(row.pk)
    for plugin in plugins:
        plugin.after_check_out(ctx, row)
    transaction.on_commit(lambda: events.checked_out.send(sender=CheckIn, check_in=row), robust=True)
    live.publish(organization, CHECK_OUT_RECORDED, check_in_payload(row, attendee))
    return row
