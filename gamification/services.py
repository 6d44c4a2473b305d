"""The gym's writes: door check-ins (QR, manual, biometric, courtesy), members, the calendar, and the
nightly streak reset.

Every entry is one call to `attendance.services.check_in(source="gym")`. The door rules and the
update table run in `GymPlugin` (gamification.plugins) inside the engine's transaction, with the
member row locked, so an entry writes the visit and the member's profile together or not at all.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from attendance import registry, selectors
from attendance import services as engine
from attendance.exceptions import Refused
from attendance.models import Kind, Member, new_qr_token
from attendance.plugins import CheckInContext
from config.errors import DomainError, Forbidden, NotFound
from gamification import streaks
from gamification.models import (
    QR_PREFIX,
    AccessMethod,
    AccessType,
    ClosedDay,
    Gym,
    GymProfile,
    SubscriptionStatus,
    footprint_hash,
)
from organizations.dates import local_date, local_today
from organizations.models import DESK_ROLES, Organization
from organizations.services import audit_log_record

GYM_SOURCE = "gym"
COURTESY_ROLES = DESK_ROLES  # owner, admin, receptionist; a platform superuser resolves to owner
COURTESY_ACTION = "COURTESY_ACCESS_GRANTED"
ENGINE_METHOD = {
    AccessMethod.QR: "qr_code",
    AccessMethod.MANUAL: "manual",
    AccessMethod.BIOMETRIC: "biometric",
    AccessMethod.COURTESY: "courtesy",
}
DEFAULT_VISIT_HOURS = 2


class GymNotConfigured(NotFound):
    code = "gym_not_configured"


@dataclass(frozen=True)
class EntryResult:
    check_in: object
    profile: GymProfile
    created: bool


# --- gym settings and calendar ---------------------------------------------------------------


def gym_of(organization: Organization) -> Gym | None:
    """The organization's gym settings, or None when it is not a gym.

    Read through the `organization.gym` relation: an API request's organization is loaded with it
    (organizations.tenancy), so a check-in asks no question of its own, and each request reads it
    afresh, so a changed setting applies to the next request in every process.
    """
    try:
        return organization.gym
    except Gym.DoesNotExist:
        return None


def gym_get(*, organization: Organization) -> Gym:
    gym = gym_of(organization)
    if gym is None:
        raise GymNotConfigured(f"{organization.name} is not set up as a gym.")
    return gym


def gym_configure(
    *,
    organization: Organization,
    gamification_enabled: bool | None = None,
    closed_weekdays: list[int] | None = None,
    actor=None,
) -> Gym:
    """Make `organization` a gym (or change its settings) and (re)install its nightly streak job.

    Switching gamification back on stamps `reactivated_at`, which forgives streak gaps for 7 days.
    """
    if closed_weekdays is not None:
        closed_weekdays = sorted(set(closed_weekdays))
        if any(d not in range(7) for d in closed_weekdays) or len(closed_weekdays) > 6:
            raise DomainError("Weekly closures are weekdays 0 (Monday) to 6 (Sunday), at most six.", code="invalid_weekdays")
    with transaction.atomic():
        gym, created = Gym.objects.select_for_update().get_or_create(organization=organization)
        fields = []
        if gamification_enabled is not None and gamification_enabled != gym.gamification_enabled:
            gym.gamification_enabled = gamification_enabled
            fields.append("gamification_enabled")
            if gamification_enabled:
                gym.reactivated_at = timezone.now()
                fields.append("reactivated_at")
        if closed_weekdays is not None and closed_weekdays != sorted(gym.closed_weekdays or []):
            gym.closed_weekdays = closed_weekdays
            fields.append("closed_weekdays")
        if fields:
            gym.save(update_fields=fields)
        organization.gym = gym  # later reads through this organization see the settings just written
        if created or fields:
            audit_log_record(
                organization=organization, action="gym.configured", actor=actor, target=gym,
                data={"gamification_enabled": gym.gamification_enabled, "closed_weekdays": gym.closed_weekdays},
            )
        transaction.on_commit(schedules_install, robust=True)
    return gym


def schedules_install() -> None:
    """Re-install every beat schedule (one streak reset per gym at its local midnight)."""
    from config.beat import install_schedules

    install_schedules()


def closed_day_add(*, gym: Gym, day: date, reason: str = "", actor=None) -> ClosedDay:
    """Mark a date closed (a holiday); missing it never breaks a streak."""
    with transaction.atomic():
        closed, _ = ClosedDay.objects.update_or_create(gym=gym, date=day, defaults={"reason": reason})
        audit_log_record(
            organization=gym.organization, action="gym.closed_day_added", actor=actor, target=gym,
            data={"date": day.isoformat(), "reason": reason},
        )
    return closed


def gym_calendar(*, gym: Gym, start: date | None = None, end: date | None = None) -> streaks.Calendar:
    """The gym's calendar with its closed dates in [start, end) (all of them without bounds)."""
    dates = ClosedDay.objects.filter(gym=gym)
    if start is not None:
        dates = dates.filter(date__gte=start)
    if end is not None:
        dates = dates.filter(date__lt=end)
    tz = gym.organization.tz
    return streaks.Calendar(
        closed_weekdays=frozenset(gym.closed_weekdays or ()),
        closed_dates=frozenset(dates.values_list("date", flat=True)),
        reactivated_on=local_date(gym.reactivated_at, tz) if gym.reactivated_at else None,
    )


# --- members ---------------------------------------------------------------------------------


def gym_member_create(
    *,
    organization: Organization,
    first_name: str,
    last_name: str = "",
    email: str = "",
    phone: str = "",
    access_type: str = AccessType.MEMBER,
    subscription_status: str = SubscriptionStatus.ACTIVE,
    expires_at: datetime | None = None,
    actor=None,
) -> Member:
    """Create a gym member: the engine's Member plus its GymProfile."""
    with transaction.atomic():
        member = Member.objects.create(
            organization=organization, first_name=first_name, last_name=last_name, email=email, phone=phone
        )
        GymProfile.objects.create(
            member=member, organization=organization, access_type=access_type,
            subscription_status=subscription_status, expires_at=expires_at,
        )
        audit_log_record(organization=organization, action="gym.member_created", actor=actor, target=member)
    return member


def subscription_set(*, member: Member, status: str, expires_at: datetime | None, actor=None) -> GymProfile:
    with transaction.atomic():
        engine.attendee_get_for_update(member)
        profile = profile_get_or_create(member=member)
        profile.subscription_status = status
        profile.expires_at = expires_at
        profile.save(update_fields=["subscription_status", "expires_at"])
        audit_log_record(
            organization=member.organization, action="gym.subscription_set", actor=actor, target=member,
            data={"status": status, "expires_at": expires_at.isoformat() if expires_at else None},
        )
    return profile


def streak_freeze_set(*, member: Member, until: date | None, actor=None) -> GymProfile:
    with transaction.atomic():
        engine.attendee_get_for_update(member)
        profile = profile_get_or_create(member=member)
        profile.streak_freeze_until = until
        profile.save(update_fields=["streak_freeze_until"])
        audit_log_record(
            organization=member.organization, action="gym.streak_freeze_set", actor=actor, target=member,
            data={"until": until.isoformat() if until else None},
        )
    return profile


def profile_get_or_create(*, member: Member) -> GymProfile:
    profile, _ = GymProfile.objects.get_or_create(member=member, defaults={"organization_id": member.organization_id})
    return profile


def footprint_register(*, member: Member, footprint_id: str, actor=None, device=None) -> GymProfile:
    """Store the keyed hash of a member's footprint id (the raw id is dropped here)."""
    digest = footprint_hash(footprint_id)
    with transaction.atomic():
        taken = GymProfile.objects.filter(organization_id=member.organization_id, footprint_hash=digest).exclude(member=member)
        if taken.exists():
            raise DomainError("This footprint is already registered to another member.", code="footprint_taken", status_code=409)
        profile = profile_get_or_create(member=member)
        profile.footprint_hash = digest
        profile.save(update_fields=["footprint_hash"])
        audit_log_record(
            organization=member.organization, action="gym.footprint_registered", actor=actor, device=device, target=member
        )
    return profile


def qr_token_rotate(*, member: Member, actor=None) -> Member:
    """Give the member a new QR token; the old code stops working at once."""
    with transaction.atomic():
        locked = engine.attendee_get_for_update(member)
        locked.qr_token = new_qr_token()
        locked.save(update_fields=["qr_token"])
        audit_log_record(organization=member.organization, action="member.qr_rotated", actor=actor, target=locked)
    return locked


# --- entries ---------------------------------------------------------------------------------


def _record_unknown(*, organization, method: str, code: str, detail: str, at, actor, device, status_code: int, **extra):
    """Record a refusal where no attendee is known (unknown QR, unknown footprint) and raise it."""
    refused = Refused(detail, code=code, status_code=status_code, **extra)
    ctx = CheckInContext(
        organization=organization, attendee=None, method=method, source=GYM_SOURCE, at=at or timezone.now(),
        actor=actor, device=device,
    )
    with transaction.atomic():
        engine.refusal_record(ctx=ctx, refused=refused)
    raise refused


# The door lookups below answer with a stand-in (id and organization only, see
# registry.attendee_stand_in): gym_check_in hands it to the engine, which reads the whole row once,
# under the member's lock, instead of loading it here as well for values read again a moment later.


def _door_member(organization: Organization, member_id: int) -> Member:
    return registry.attendee_stand_in("member", member_id, organization)


def member_for_qr(*, organization: Organization, qr: str, at=None, actor=None, device=None) -> Member:
    """The member of a scanned `GYM_QR_<token>` (a stand-in); record and raise a refusal when unknown."""
    text = (qr or "").strip()
    if not text.startswith(QR_PREFIX) or len(text) == len(QR_PREFIX):
        _record_unknown(
            organization=organization, method="qr_code", code="invalid_qr", status_code=400, at=at, actor=actor,
            device=device, detail=f"This is not a gym QR code (it should start with {QR_PREFIX}).",
        )
    member = selectors.member_stand_in(organization=organization, qr_token=text[len(QR_PREFIX):])
    if member is None:
        _record_unknown(
            organization=organization, method="qr_code", code="unknown_qr", status_code=404, at=at, actor=actor,
            device=device, detail="Unknown or replaced QR code. Ask the member for their current card.",
        )
    return member


def member_for_footprint(*, organization: Organization, footprint_id: str, at=None, device=None) -> Member:
    """The member of a registered footprint (a stand-in); record and raise a refusal when unknown."""
    member_id = (
        GymProfile.objects.filter(organization_id=organization.pk, footprint_hash=footprint_hash(footprint_id))
        .values_list("member_id", flat=True)
        .first()
    )
    if member_id is None:
        _record_unknown(
            organization=organization, method="biometric", code="unknown_footprint", status_code=404, at=at,
            actor=None, device=device, detail="Unknown footprint. Ask at the front desk.",
        )
    return _door_member(organization, member_id)


def member_for_door(*, organization: Organization, member_id: int, actor=None, device=None, at=None) -> Member:
    """The member a receptionist picked for a manual entry (a stand-in); an unknown id is a recorded refusal."""
    if not Member.objects.filter(organization=organization, pk=member_id).exists():
        _record_unknown(
            organization=organization, method="manual", code="member_not_found", status_code=404, at=at, actor=actor,
            device=device, detail="No such member in this gym.", member_id=member_id,
        )
    return _door_member(organization, member_id)


def member_get(*, organization: Organization, member_id: int) -> Member:
    member = Member.objects.filter(organization=organization, pk=member_id).first()
    if member is None:
        raise NotFound("No such member in this gym.", code="member_not_found")
    return member


def entry_arguments(
    *, organization: Organization, access_method: str, at: datetime, reason: str = "", gym: Gym | None = None
) -> dict:
    """What the engine records for a door entry at `at`: its method, kind, expected check-out, and
    the metadata and options GymPlugin reads (the access method, a courtesy pass's reason). A
    courtesy entry needs `reason`. Shared by the door's own entries and a desk's queued ones."""
    if access_method == AccessMethod.COURTESY and not reason.strip():
        raise DomainError("Give the reason for the courtesy pass.", code="reason_required")
    hours = organization.option("gym_visit_hours", DEFAULT_VISIT_HOURS)
    return {
        "method": ENGINE_METHOD[access_method],
        "kind": Kind.COURTESY if access_method == AccessMethod.COURTESY else Kind.VISIT,
        "expected_checkout_at": at + timedelta(hours=hours),
        "metadata": {"access_method": str(access_method)},
        "options": {"access_method": str(access_method), "reason": reason.strip(), "gym": gym},
    }


def gym_check_in(
    *,
    organization: Organization,
    member: Member,
    access_method: str,
    actor=None,
    device=None,
    at: datetime | None = None,
    reason: str = "",
    gym: Gym | None = None,
) -> EntryResult:
    """Let `member` in through the door, or raise Refused (recorded by the engine).

    Call outside any transaction (the refusal record must survive). A courtesy entry needs `reason`.
    `gym` is the organization's gym if the caller has just read it (a gym endpoint), saving a lookup.
    """
    at = at or timezone.now()
    result = engine.check_in(
        organization=organization, attendee=member, source=GYM_SOURCE, at=at, device=device, actor=actor,
        **entry_arguments(organization=organization, access_method=access_method, at=at, reason=reason, gym=gym),
    )
    # Set by GymPlugin, with the member as locked and updated by the engine; absent on an idempotent replay.
    profile = getattr(result.check_in, "gym_profile", None)
    if profile is None:
        profile = GymProfile.objects.select_related("member").get(member_id=member.pk)
    return EntryResult(check_in=result.check_in, profile=profile, created=result.created)


def courtesy_grant(
    *, organization: Organization, member: Member, reason: str, actor, role: str | None, at=None, device=None,
    gym: Gym | None = None,
) -> EntryResult:
    """A courtesy pass: a visit only (no last visit, no streak), audited with its reason."""
    courtesy_check_allowed(actor=actor, role=role)
    return gym_check_in(
        organization=organization, member=member, access_method=AccessMethod.COURTESY, actor=actor, at=at,
        reason=reason, device=device, gym=gym,
    )


def courtesy_check_allowed(*, actor, role: str | None) -> None:
    """Raise Forbidden unless `actor` (acting as `role`) may grant courtesy passes. Check before any write."""
    if role not in COURTESY_ROLES and not getattr(actor, "is_superuser", False):
        raise Forbidden("Only the gym's owner, an admin or a receptionist may grant a courtesy pass.")


def courtesy_guest_create(*, organization: Organization, name: str, actor=None, event_id: str | None = None) -> Member:
    """A guest without a subscription, for a courtesy pass. With `event_id` (a desk's queued pass)
    the guest is created once: the same event id answers the guest it created."""
    first, _, last = name.strip().partition(" ")
    if not first:
        raise DomainError("Give the guest's name.", code="name_required")
    if event_id is None:
        return _guest_create(organization=organization, first=first, last=last, actor=actor)
    earlier = Member.objects.filter(organization=organization, gym_profile__guest_event_id=event_id)
    if earlier.exists():
        return earlier.get()
    try:
        with transaction.atomic():
            member = _guest_create(organization=organization, first=first, last=last, actor=actor)
            GymProfile.objects.filter(member=member).update(guest_event_id=event_id)
    except IntegrityError:  # the same queue pushed twice at once: the other push created the guest
        return earlier.get()
    return member


def _guest_create(*, organization: Organization, first: str, last: str, actor) -> Member:
    return gym_member_create(
        organization=organization, first_name=first, last_name=last, subscription_status=SubscriptionStatus.INACTIVE,
        actor=actor,
    )


# --- nightly streak reset --------------------------------------------------------------------


def streak_reset(*, organization: Organization, today: date | None = None, batch_size: int = 1000) -> int:
    """Set `current_streak` to 0 where the last streak visit is before yesterday and no exception
    (closed days, freeze, reactivation) covers the gap. Batched by id; running it twice changes
    nothing more. Returns the number of streaks reset.
    """
    gym = Gym.objects.select_related("organization").filter(organization=organization).first()
    if gym is None or not gym.gamification_enabled:
        return 0
    tz = organization.tz
    today = today or local_today(tz)
    yesterday = today - timedelta(days=1)
    candidates = GymProfile.objects.filter(
        organization=organization, access_type=AccessType.MEMBER, current_streak__gt=0, last_checkin_date__lt=yesterday
    )
    # Closed dates only matter near `today` (gap_verdict walks back from yesterday), a year is ample.
    calendar = gym_calendar(gym=gym, start=today - timedelta(days=400), end=today)
    reset = 0
    after_id = 0
    while True:
        batch = list(
            candidates.filter(pk__gt=after_id).order_by("pk").values_list("pk", "last_checkin_date", "streak_freeze_until")[:batch_size]
        )
        if not batch:
            break
        after_id = batch[-1][0]
        broken = [
            pk for pk, last, freeze in batch
            if streaks.streak_broken(last_date=last, today=today, calendar=calendar, freeze_until=freeze)
        ]
        if broken:
            # Conditional: a member who checked in meanwhile has a newer date and keeps the streak.
            reset += GymProfile.objects.filter(pk__in=broken, last_checkin_date__lt=yesterday, current_streak__gt=0).update(
                current_streak=0
            )
    return reset
