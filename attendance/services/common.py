"""What every part of the engine shares: the attendee type, the attendee lock, refusals, payloads."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from attendance import events, registry
from attendance.exceptions import AttendeeNotFound, Refused
from attendance.models import CheckIn, Refusal, WeeklyShift
from attendance.plugins import CheckInContext
from config.errors import DomainError
from organizations.dates import local_date, month_start
from organizations.models import Organization

CHECK_IN_RECORDED = "check_in.recorded"
CHECK_OUT_RECORDED = "check_out.recorded"

def refuse_future(*times: datetime | None) -> None:
    """Refuse (400 `time_in_future`) a time later than now plus settings.ATTENDANCE_CLOCK_SKEW_SECONDS:
    every way a check-in, check-out or session reaches the engine calls this."""
    limit = timezone.now() + timedelta(seconds=settings.ATTENDANCE_CLOCK_SKEW_SECONDS)
    for moment in times:
        if moment is not None and moment > limit:
            raise DomainError(
                f"{moment.isoformat()} is in the future; times may be at most "
                f"{settings.ATTENDANCE_CLOCK_SKEW_SECONDS} s ahead of the server's clock.",
                code="time_in_future",
            )


class Attendee(Protocol):
    """A row of a registered attendee model (attendance.models.AttendeeMixin plus `organization`)."""

    pk: Any
    organization_id: int
    attendance_enabled: bool
    total_visits: int
    visits_this_month: int
    visits_month: date | None
    first_visit_at: datetime | None
    last_visit_at: datetime | None
    open_session: CheckIn | None  # read under the lock when first asked (AttendeeMixin.open_session)
    session_active: bool
    session_check_in_id: int | None
    session_expected_checkout_at: datetime | None

    def attendance_is_active(self) -> bool: ...

    def attendance_session_opened(self, row: CheckIn) -> None: ...

    def attendance_session_closed(self, check_in_id: int) -> None: ...

    def attendance_name(self) -> str: ...

    def save(self, *, update_fields: list[str]) -> None: ...


@dataclass(frozen=True)
class CheckInResult:
    check_in: CheckIn
    created: bool  # False when an idempotent retry returned the earlier row


def attendee_get_for_update(attendee: Attendee) -> Attendee:
    """Return a fresh copy of the attendee, locked until the transaction ends. Needs an atomic block.

    `attendee` may be a stand-in holding only `pk` and `organization_id` (see
    `registry.attendee_stand_in`): the row is read here, once, under the lock, and a row that does
    not exist in that organization raises AttendeeNotFound. The copy also knows whether the attendee
    has weekly shifts, so a check-in without a schedule does not query for one.
    """
    model = type(attendee)._meta.concrete_model
    shifts = WeeklyShift.objects.filter(attendee_type=registry.content_type_for(model), attendee_id=OuterRef("pk"))
    try:
        # get(), not first(): a primary-key match needs no ORDER BY (cheaper to build and to run).
        return (
            model.objects.select_for_update(of=("self",))
            .annotate(attendance_has_shifts=Exists(shifts))
            .get(pk=attendee.pk, organization_id=attendee.organization_id)
        )
    except model.DoesNotExist:
        raise AttendeeNotFound("No such attendee in this organization.") from None


def refuse_overlap(
    *, attendee: Attendee, start: datetime, end: datetime | None, exclude_id: int | None = None
) -> None:
    """Refuse (409 `overlaps_session`, naming the other session) a session [start, end) of `attendee`
    that would overlap another of its sessions; `end` None is an open session, which runs to infinity.

    The one rule for every way a session is written (check-in, recorded session, correction, offline
    batch, admin); PostgreSQL also enforces it (the `no_overlapping_sessions` exclusion constraint).
    An empty session (end == start) overlaps nothing, as in PostgreSQL. The attendee's lock must be
    held, so no other write of this attendee's sessions can slip in between this check and the write.
    """
    if end is not None and end <= start:
        return
    mine = CheckIn.objects.filter(
        attendee_type=registry.content_type_for(attendee), attendee_id=attendee.pk
    ).exclude(checked_out_at=F("checked_in_at"))
    if exclude_id is not None:
        mine = mine.exclude(pk=exclude_id)
    if end is not None:
        mine = mine.filter(checked_in_at__lt=end)
    # Sessions never overlap, so one look-up suffices: the latest session starting before `end`.
    # Starting at or after `start`, it overlaps; starting before, it is the only one that could.
    other = mine.order_by("-checked_in_at").first()
    if other is not None and other.checked_in_at < start and other.checked_out_at is not None and other.checked_out_at <= start:
        other = None
    if other is None:
        return
    until = other.checked_out_at.isoformat() if other.checked_out_at else None
    raise Refused(
        f"This session would overlap session #{other.pk} "
        f"({other.checked_in_at.isoformat()} to {until or 'still open'}); one person has one session at a time.",
        code="overlaps_session",
        session={"id": other.pk, "checked_in_at": other.checked_in_at.isoformat(), "checked_out_at": until},
    )


def attendee_of(check_in: CheckIn) -> Attendee:
    """The attendee row of `check_in` (not locked)."""
    model = registry.model_for_content_type_id(check_in.attendee_type_id)
    return model.objects.get(pk=check_in.attendee_id)


def check_organization(organization: Organization, attendee: Attendee) -> None:
    if attendee.organization_id != organization.pk:
        raise AttendeeNotFound("No such attendee in this organization.")


def shifts_of(organization: Organization, attendee: Attendee) -> list[WeeklyShift]:
    """The attendee's weekly shifts; none without a query when the lock's read found none."""
    if getattr(attendee, "attendance_has_shifts", True) is False:
        return []
    ct = registry.content_type_for(attendee)
    return list(WeeklyShift.objects.filter(organization=organization, attendee_type=ct, attendee_id=attendee.pk))


def month_of(moment: datetime, organization: Organization) -> date:
    """The first day of the organization's local month holding `moment`."""
    return month_start(local_date(moment, organization.tz))


def check_in_payload(check_in: CheckIn, attendee: Attendee) -> dict[str, Any]:
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


def refusal_record(*, ctx: CheckInContext, refused: Refused, external_id: str | None = None) -> Refusal:
    """Record a refused check-in (who, when, through which channel, why); listeners hear after commit.

    With `external_id` (a device's event id within `ctx.source`) an event is refused once: pushing
    it again answers the first refusal and records nothing.
    """
    if external_id is not None:
        earlier = Refusal.objects.filter(organization=ctx.organization, source=ctx.source, external_id=external_id)
        if earlier.exists():
            return earlier.first()
        try:
            with transaction.atomic():
                return _refusal_create(ctx=ctx, refused=refused, external_id=external_id)
        except IntegrityError:  # the same event pushed twice at once
            return earlier.first()
    return _refusal_create(ctx=ctx, refused=refused, external_id=None)


def _refusal_create(*, ctx: CheckInContext, refused: Refused, external_id: str | None) -> Refusal:
    refusal = Refusal.objects.create(
        external_id=external_id,
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
