"""Check-out and toggle: close an attendee's session, or open one if none is open."""

from datetime import datetime
from typing import Literal

from django.db import transaction
from django.utils import timezone

from attendance import policies
from attendance.exceptions import CheckInNotFound, Refused
from attendance.models import CheckIn
from attendance.plugins import CheckInContext
from attendance.services import checkin
from attendance.services.common import Attendee, attendee_get_for_update, attendee_of, check_organization
from attendance.services.ending import session_close_locked
from config.errors import DomainError
from organizations.models import DeviceKey, Organization


def check_out(
    *,
    organization: Organization,
    check_in: CheckIn | int | None = None,
    attendee: Attendee | None = None,
    at: datetime | None = None,
    source: str = "api",
    actor=None,
    device: DeviceKey | None = None,
    notes: str = "",
    options: dict | None = None,
) -> CheckIn:
    """Close a session, given by its check-in (or id) or by the attendee's open session. `options`
    reach the plugins as on a check-in (e.g. an on-behalf reason for an audit log)."""
    if check_in is None and attendee is None:
        raise DomainError("Give a check-in or an attendee to check out.", code="missing_target")
    if check_in is not None:
        check_in_id = check_in.pk if isinstance(check_in, CheckIn) else check_in
        row = CheckIn.objects.filter(organization=organization, pk=check_in_id).first()
        if row is None:
            raise CheckInNotFound("No such check-in in this organization.")
        attendee = attendee_of(row)
    check_organization(organization, attendee)
    with transaction.atomic():
        locked = attendee_get_for_update(attendee)
        if check_in is not None:
            row = CheckIn.objects.get(pk=row.pk)
            if not row.is_open:
                raise Refused("This check-in is already checked out.", code="already_checked_out")
        else:
            row = locked.open_session
            if row is None:
                raise Refused(f"{locked.attendance_name()} is not checked in.", code="not_checked_in")
        ctx = CheckInContext(
            organization=organization, attendee=locked, method=row.method, source=source,
            at=at or timezone.now(), actor=actor, device=device, options=dict(options or {}),
        )
        if at is None and _overdue(source, locked, row.expected_checkout_at, ctx.at):
            # A forgotten check-out the job has not reached yet: closed at its expected time and
            # flagged, exactly as the auto check-out would, never paid until this press.
            return session_close_locked(ctx=ctx, row=row, at=max(row.expected_checkout_at, row.checked_in_at),
                                        auto=True, notes="closed at its expected check-out by a later check-out")
        return session_close_locked(ctx=ctx, row=row, at=ctx.at, notes=notes)


def _overdue(source: str, attendee: Attendee, expected: datetime | None, now: datetime) -> bool:
    """Whether a press now finds the session past its expected check-out, where the channel's policy
    closes such a session at that time rather than at the press."""
    policy = policies.policy_for(source, attendee=attendee)
    return policy.overdue_closes_at_expected and expected is not None and expected <= now


def toggle(
    *,
    organization: Organization,
    attendee: Attendee,
    at: datetime | None = None,
    method: str = "manual",
    source: str = "api",
    location: str = "",
    actor=None,
    device: DeviceKey | None = None,
    notes: str = "",
    options: dict | None = None,
) -> tuple[Literal["check_in", "check_out"], CheckIn]:
    """Check the attendee out if a session is open, else in. Returns ("check_in"|"check_out", row).

    The decision is taken under the attendee's lock; a check-in then runs through check_in() so
    that a refusal is recorded (a concurrent toggle that opened a session meanwhile is refused
    with `already_checked_in` or `duplicate_scan`).
    """
    check_organization(organization, attendee)
    with transaction.atomic():
        locked = attendee_get_for_update(attendee)
        # A session past its expected check-out (where the policy says so) is not open to this press:
        # the check-in below closes it at that time and opens the new one.
        if locked.open_session is not None and not (
            at is None and _overdue(source, locked, locked.open_session.expected_checkout_at, timezone.now())
        ):
            row = check_out(
                organization=organization, attendee=locked, at=at, source=source, actor=actor, device=device,
                notes=notes, options=options,
            )
            return "check_out", row
    result = checkin.check_in(
        organization=organization, attendee=attendee, at=at, method=method, source=source, location=location,
        actor=actor, device=device, notes=notes, options=options,
    )
    return "check_in", result.check_in
