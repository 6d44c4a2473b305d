"""Check-in: open a session for an attendee, or refuse it (and record the refusal)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from attendance import events, live, policies, registry, schedules
from attendance.exceptions import Refused
from attendance.models import CheckIn, Kind
from attendance.plugins import CheckInContext, active_plugins
from attendance.services.common import (
    CHECK_IN_RECORDED,
    Attendee,
    CheckInResult,
    attendee_get_for_update,
    check_in_payload,
    check_organization,
    refusal_record,
    refuse_future,
    refuse_overlap,
    shifts_of,
)
from attendance.services.ending import session_close_locked
from attendance.services.rollups import visit_record
from organizations.models import DeviceKey, Organization


def check_in(
    *,
    organization: Organization,
    attendee: Attendee,
    method: str = "manual",
    source: str = "api",
    at: datetime | None = None,
    kind: str = Kind.VISIT,
    expected_checkout_at: datetime | None = None,
    location: str = "",
    device: DeviceKey | None = None,
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
    check_organization(organization, attendee)
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
            row = session_open_locked(
                ctx=ctx, kind=kind, expected_checkout_at=expected_checkout_at, notes=notes,
                idempotency_key=idempotency_key, external_id=external_id,
            )
            return CheckInResult(check_in=row, created=True)
    except Refused as refused:
        refusal_record(ctx=ctx, refused=refused, external_id=external_id)
        raise
    except IntegrityError:
        # Another attendee's request took the same key at the same moment: answer with its row.
        earlier = _earlier_result(organization, source, idempotency_key, external_id)
        if earlier is None:
            raise
        return CheckInResult(check_in=earlier, created=False)


def _earlier_result(
    organization: Organization, source: str, idempotency_key: str | None, external_id: str | None
) -> CheckIn | None:
    if idempotency_key:
        return CheckIn.objects.filter(organization=organization, idempotency_key=idempotency_key).first()
    if external_id:
        return CheckIn.objects.filter(organization=organization, source=source, external_id=external_id).first()
    return None


def session_open_locked(
    *,
    ctx: CheckInContext,
    kind: str = Kind.VISIT,
    expected_checkout_at: datetime | None = None,
    notes: str = "",
    idempotency_key: str | None = None,
    external_id: str | None = None,
) -> CheckIn:
    """Apply the rules and write the check-in. The attendee row (ctx.attendee) must be locked.

    The channel's policy (attendance.policies: the attendee's, else the source's) decides the
    duplicate-scan window, what an open session means and the expected check-out; where it is
    silent, the organization's options (and the shift's end) do.
    """
    organization, attendee, at = ctx.organization, ctx.attendee, ctx.at
    refuse_future(at)
    policy = policies.policy_for(ctx.source, organization, attendee=attendee)
    if not attendee.attendance_enabled:
        raise Refused("Attendance is disabled for this person.", code="attendance_disabled")
    if not attendee.attendance_is_active():
        raise Refused(f"{attendee.attendance_name()} is not active and cannot check in.", code="attendee_inactive")
    seconds = policy.duplicate_scan_seconds
    if seconds is None:
        seconds = organization.option("duplicate_scan_seconds", settings.ATTENDANCE_DUPLICATE_SCAN_SECONDS)
    window = timedelta(seconds=seconds)
    if attendee.last_visit_at and timedelta(0) <= at - attendee.last_visit_at < window:
        raise Refused(
            f"{attendee.attendance_name()} was checked in {int((at - attendee.last_visit_at).total_seconds())} s ago; "
            "this looks like the same scan twice.",
            code="duplicate_scan",
            retry_after=(attendee.last_visit_at + window).isoformat(),
        )
    # A late record (an offline device's queue) of a time before the attendee's next session is
    # judged at its own time: the session open then, not the one open now. When a session is open
    # now, or the record brings its end, it is written whole, ending by the time the next session
    # starts. Only a time before the last visit costs this query.
    following = None
    previous = attendee.open_session
    late = attendee.last_visit_at is not None and at < attendee.last_visit_at
    if late and (previous is not None or expected_checkout_at is not None):
        following = (
            CheckIn.objects.filter(
                attendee_type=registry.content_type_for(attendee), attendee_id=attendee.pk, checked_in_at__gt=at
            )
            .order_by("checked_in_at")
            .first()
        )
    if previous is not None and following is None:
        expected = previous.expected_checkout_at
        if expected is not None and expected <= at:
            # A forgotten check-out the job has not reached yet: closed at its expected time and
            # flagged, exactly as the auto check-out would, never at this later check-in.
            session_close_locked(
                ctx=ctx, row=previous, at=max(expected, previous.checked_in_at), auto=True,
                notes="closed at its expected check-out by the next check-in",
            )
        elif (policy.on_open_session or organization.option("on_open_session", "refuse")) == "close_and_reopen":
            session_close_locked(
                ctx=ctx, row=previous, at=max(at, previous.checked_in_at), notes="closed by a new check-in"
            )
        else:
            raise Refused(
                policy.already_open_message.format(name=attendee.attendance_name()),
                code=policy.already_open_code,
                check_in_id=previous.pk,
            )

    if expected_checkout_at is None:
        expected_checkout_at = policy.expected_checkout(attendee=attendee, at=at)
    shift = schedules.shift_for(shifts_of(organization, attendee), at, organization.tz)
    if shift is not None and expected_checkout_at is None:
        expected_checkout_at = shift.end
    closes_at = None
    if following is not None:
        closes_at = min(expected_checkout_at or following.checked_in_at, following.checked_in_at)

    plugins = active_plugins(ctx)
    for plugin in plugins:
        plugin.before_check_in(ctx)
    # The channel's own rules answer first (anti-passback, subscriptions); the overlap rule is the
    # last guard before the write.
    refuse_overlap(attendee=attendee, start=at, end=closes_at)

    row = CheckIn(
        organization=organization,
        attendee_type=registry.content_type_for(attendee),
        attendee_id=attendee.pk,
        checked_in_at=at,
        checked_out_at=closes_at,
        duration=closes_at - at if closes_at is not None else None,
        auto_closed=closes_at is not None,
        expected_checkout_at=expected_checkout_at,
        method=ctx.method,
        source=ctx.source,
        kind=kind,
        late_minutes=schedules.late_minutes(shift, at, schedules.policy_for(organization)) if shift else 0,
        location=ctx.location,
        device=ctx.device,
        notes=notes,
        metadata=ctx.metadata,
        idempotency_key=idempotency_key,
        external_id=external_id,
        created_by=ctx.actor if getattr(ctx.actor, "pk", None) else None,
    )
    visit_record(organization=organization, attendee=attendee, row=row, opens_session=closes_at is None)
    for plugin in plugins:
        plugin.after_check_in(ctx, row)

    transaction.on_commit(lambda: events.checked_in.send(sender=CheckIn, check_in=row), robust=True)
    if closes_at is not None:
        transaction.on_commit(lambda: events.checked_out.send(sender=CheckIn, check_in=row), robust=True)
    live.publish(organization, CHECK_IN_RECORDED, check_in_payload(row, attendee))
    if attendee.total_visits in settings.ATTENDANCE_MILESTONES:
        value = attendee.total_visits
        transaction.on_commit(
            lambda: events.milestone.send(sender=type(attendee), attendee=attendee, kind="visits", value=value),
            robust=True,
        )
    return row
