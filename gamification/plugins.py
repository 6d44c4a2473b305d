"""The gym's door rules and update table, run by the engine inside the check-in transaction.

The engine has already locked the member row when these hooks run, and the profile is read after
that lock: two simultaneous scans of one member are serialized, the second sees the first's
`last_visit_at` and is refused with `anti_passback`.

| entry                  | visit | last_visit_at | last_checkin_date | current_streak | streak_freeze_until |
|------------------------|-------|---------------|-------------------|----------------|---------------------|
| member, QR or manual   | yes   | yes           | if gamification   | if gamification| cleared when used   |
| member, biometric      | yes   | yes           | if gamification   | if gamification| untouched           |
| staff                  | yes   | yes           | no                | no             | untouched           |
| courtesy               | yes   | no            | no                | no             | untouched           |
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from attendance import events, registry
from attendance.exceptions import Refused
from attendance.models import CheckIn, Kind, Member
from attendance.plugins import CheckInContext, Plugin
from attendance.policies import ChannelPolicy
from gamification import streaks
from gamification.models import AccessMethod, AccessType, ClosedDay, Gym, GymProfile, SubscriptionStatus
from organizations.dates import local_date
from organizations.models import Organization
from organizations.services import audit_log_record

ANTI_PASSBACK = {AccessMethod.BIOMETRIC: timedelta(hours=4)}
DEFAULT_ANTI_PASSBACK = timedelta(hours=2)


DOOR_STATE_LABELS = {"active": "Active", "expired": "Expired", "inactive": "Inactive", "paused": "Paused",
                     "cancelled": "Cancelled", "staff": "Staff", "courtesy": "Courtesy guest"}


def door_state(profile: GymProfile, *, tz, at=None) -> str:
    """The state the door applies to this profile at `at` (now): the one definition the door rule,
    the desk's search and the member cards share. A member's subscription is "expired" from the
    local day its end date falls on; a subscription that is not active keeps its own status."""
    if profile.access_type != AccessType.MEMBER:
        return str(profile.access_type)
    if profile.subscription_status != SubscriptionStatus.ACTIVE:
        return str(profile.subscription_status)
    today = local_date(at or timezone.now(), tz)
    if profile.expires_at is None or local_date(profile.expires_at, tz) <= today:
        return "expired"
    return "active"


def member_summary(member: Member, profile: GymProfile, *, tz, at=None) -> dict:
    """What the front desk shows about a member, in JSON-safe values."""
    return {
        "id": member.pk,
        "name": member.full_name,
        "access_type": profile.access_type,
        "subscription_status": profile.subscription_status,
        "door_state": door_state(profile, tz=tz, at=at),
        "expires_at": profile.expires_at.isoformat() if profile.expires_at else None,
        "current_streak": profile.current_streak,
        "longest_streak": profile.longest_streak,
        "last_visit_at": profile.last_visit_at.isoformat() if profile.last_visit_at else None,
    }


def entry_near(member: Member, *, at, window: timedelta):
    """The time of the member's counted entry (not a courtesy pass) nearest before `at`, or else
    after it, within `window` of `at`; None when there is none."""
    entries = CheckIn.objects.filter(
        attendee_type=registry.content_type_for(member), attendee_id=member.pk,
        checked_in_at__gt=at - window, checked_in_at__lt=at + window,
    ).exclude(kind=Kind.COURTESY)
    before = entries.filter(checked_in_at__lte=at).order_by("-checked_in_at").values_list("checked_in_at", flat=True)
    after = entries.filter(checked_in_at__gt=at).order_by("checked_in_at").values_list("checked_in_at", flat=True)
    return before.first() or after.first()


# The engine's own door-like channels (its REST API and device batches). In a gym they obey the same
# rules as the gym endpoints, so a kiosk cannot let an expired member in through the generic API.
GENERIC_DOOR_SOURCES = frozenset({"api", "bulk"})


def is_door_source(source: str) -> bool:
    """A gym's own doors (source "gym"), or a channel that is a door in a gym (see GENERIC_DOOR_SOURCES)."""
    return source == "gym" or source in GENERIC_DOOR_SOURCES or source.startswith("device:")


def covers_generic_doors(source: str, organization: Organization) -> bool:
    from gamification.services import gym_of

    return is_door_source(source) and gym_of(organization) is not None


# A gym's doors, and the generic door channels in a gym: a new entry closes the previous visit
# instead of being refused, and there is no duplicate-scan window, because anti-passback (2 h / 4 h)
# covers a second scan. Registered in GamificationConfig.ready().
GYM_POLICY = ChannelPolicy(
    source="gym", duplicate_scan_seconds=0, on_open_session="close_and_reopen", covers=covers_generic_doors,
)


class GymPlugin(Plugin):
    def applies(self, ctx: CheckInContext) -> bool:
        return is_door_source(ctx.source) and isinstance(ctx.attendee, Member)

    def before_check_in(self, ctx: CheckInContext) -> None:
        from gamification.services import GymNotConfigured, gym_of

        member = ctx.attendee
        gym = ctx.options.get("gym")
        if gym is None or gym.organization_id != ctx.organization.pk:
            gym = gym_of(ctx.organization)
        if gym is None:
            if ctx.source != "gym":
                return  # not a gym: the generic API is not ours to police
            raise GymNotConfigured(f"{ctx.organization.name} is not set up as a gym.")
        # Read after the member's lock (a statement of its own), so a scan that waited for another
        # scan of the same member sees that scan's last_visit_at.
        profile = GymProfile.objects.filter(member_id=member.pk).first()
        if profile is None:
            profile, _ = GymProfile.objects.get_or_create(member=member, defaults={"organization_id": member.organization_id})
        method = ctx.options.get("access_method", AccessMethod.MANUAL)
        access_type = AccessType.COURTESY if method == AccessMethod.COURTESY else profile.access_type
        ctx.options.update(gym=gym, profile=profile, access_type=access_type)
        ctx.metadata["access_type"] = str(access_type)
        if access_type == AccessType.COURTESY:
            return
        summary = member_summary(member, profile, tz=ctx.organization.tz, at=ctx.at)
        if access_type == AccessType.MEMBER:
            state = summary["door_state"]
            if state == "expired":
                ended = f" on {local_date(profile.expires_at, ctx.organization.tz)}" if profile.expires_at else ""
                raise Refused(f"{member.full_name}'s subscription expired{ended}.", code="subscription_expired", member=summary)
            if state != "active":
                raise Refused(
                    f"{member.full_name}'s subscription is {profile.get_subscription_status_display().lower()}.",
                    code="subscription_inactive", member=summary,
                )
        window = ANTI_PASSBACK.get(method, DEFAULT_ANTI_PASSBACK)
        last = profile.last_visit_at
        if last is not None and ctx.at < last:
            # A late record (an offline desk's queue) is judged by the entries around its own time;
            # one the server already has within the window after it wins (the server's order decides).
            last = entry_near(member, at=ctx.at, window=window)
        if last is not None and ctx.at < last + window:
            next_allowed = last + window
            local_next = next_allowed.astimezone(ctx.organization.tz)
            raise Refused(
                f"{member.full_name} entered less than {int(window.total_seconds() // 3600)} h ago; "
                f"next entry allowed at {local_next:%H:%M}.",
                code="anti_passback", next_allowed_at=next_allowed.isoformat(),
                last_visit_at=last.isoformat(), member=summary,
            )

    def after_check_in(self, ctx: CheckInContext, check_in) -> None:
        if "profile" not in ctx.options:
            return  # before_check_in found no gym
        profile: GymProfile = ctx.options["profile"]
        gym: Gym = ctx.options["gym"]
        access_type = ctx.options["access_type"]
        # Hand the updated profile (and the member as locked and counted) back to gamification.services
        # without a second read.
        profile.member = ctx.attendee
        check_in.gym_profile = profile
        if access_type == AccessType.COURTESY:
            reason = ctx.options.get("reason", "")
            audit_log_record(
                organization=ctx.organization, action="COURTESY_ACCESS_GRANTED", actor=ctx.actor, device=ctx.device,
                target=check_in, reason=reason,
                data={"reason": reason, "visit_id": check_in.pk, "member_id": ctx.attendee.pk,
                      "member_name": ctx.attendee.full_name},
            )
            return
        fields = ["last_visit_at"]
        profile.last_visit_at = max(check_in.checked_in_at, profile.last_visit_at or check_in.checked_in_at)
        if access_type == AccessType.MEMBER and gym.gamification_enabled:
            fields += self._streak(ctx, gym, profile, check_in)
        profile.save(update_fields=fields)

    def _streak(self, ctx: CheckInContext, gym: Gym, profile: GymProfile, check_in) -> list[str]:
        tz = ctx.organization.tz
        day = local_date(check_in.checked_in_at, tz)
        last = profile.last_checkin_date
        closed = frozenset()
        if last is not None and (day - last).days > 1:
            # Only this gap's closed dates: one bounded query, whatever the history length.
            closed = frozenset(
                ClosedDay.objects.filter(gym=gym, date__gt=last, date__lt=day).values_list("date", flat=True)
            )
        calendar = streaks.Calendar(
            closed_weekdays=frozenset(gym.closed_weekdays or ()),
            closed_dates=closed,
            reactivated_on=local_date(gym.reactivated_at, tz) if gym.reactivated_at else None,
        )
        state = streaks.StreakState(
            current=profile.current_streak, longest=profile.longest_streak, last_date=last,
            freeze_until=profile.streak_freeze_until,
        )
        update = streaks.streak_after_visit(state=state, day=day, calendar=calendar)
        if not update.changed:
            return []
        profile.current_streak = update.state.current
        profile.longest_streak = update.state.longest
        profile.last_checkin_date = update.state.last_date
        fields = ["current_streak", "longest_streak", "last_checkin_date"]
        if update.freeze_used and ctx.options.get("access_method") in (AccessMethod.QR, AccessMethod.MANUAL):
            profile.streak_freeze_until = None
            fields.append("streak_freeze_until")
        value = update.state.current
        if value in streaks.MILESTONES and value != state.current:
            attendee = ctx.attendee
            transaction.on_commit(
                lambda: events.milestone.send(sender=Member, attendee=attendee, kind="streak", value=value), robust=True
            )
        return fields
