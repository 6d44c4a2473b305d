"""The gym's reads for the front desk: member search, today's visits, refusals, occupancy."""

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from attendance.models import CheckIn, Member, Refusal
from attendance.selectors import occupancy
from gamification.models import GymProfile
from gamification.plugins import DOOR_STATE_LABELS, GENERIC_DOOR_SOURCES, door_state, member_summary
from organizations.dates import day_bounds, local_today
from organizations.models import Organization

SEARCH_LIMIT = 20


def member_search(*, organization: Organization, query: str, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Members whose name, email or phone contains `query` (every word must match); one query."""
    members = Member.objects.filter(organization=organization).select_related("gym_profile")
    for word in query.split():
        members = members.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return [member_row(m, tz=organization.tz) for m in members.order_by("last_name", "first_name", "id")[:limit]]


def _profile(member: Member) -> GymProfile:
    return getattr(member, "gym_profile", None) or GymProfile(member=member, organization_id=member.organization_id)


def member_row(member: Member, *, tz) -> dict:
    return {**member_summary(member, _profile(member), tz=tz), "email": member.email, "phone": member.phone, "status": member.status}


def member_cards(*, organization: Organization) -> list[dict]:
    """Every member with their card's state: the one the door applies now (see plugin.door_state)."""
    members = Member.objects.filter(organization=organization).select_related("gym_profile").order_by("last_name", "first_name", "id")
    cards = []
    for member in members:
        state = door_state(_profile(member), tz=organization.tz)
        cards.append({"member": member, "state": state, "label": DOOR_STATE_LABELS.get(state, state)})
    return cards


# The gym's door channels (plugins.is_door_source): its own endpoints, and the engine's generic API and
# device batches, which in a gym are doors too (a desk's offline queue arrives through them).
DOOR_SOURCES = Q(source__in=["gym", *GENERIC_DOOR_SOURCES]) | Q(source__startswith="device:")


def _names(ids) -> dict[int, str]:
    return {m.pk: m.full_name for m in Member.objects.filter(pk__in=set(ids)).only("first_name", "last_name")}


def visits_for_day(*, organization: Organization, day: date | None = None, limit: int = 500) -> list[dict]:
    """The gym's visits of one local day (today by default), newest first; two queries."""
    day = day or local_today(organization.tz)
    start, end = day_bounds(day, organization.tz)
    rows = list(
        CheckIn.objects.filter(
            DOOR_SOURCES, organization=organization, checked_in_at__gte=start, checked_in_at__lt=end,
            attendee_type=ContentType.objects.get_for_model(Member),
        ).order_by("-checked_in_at", "-id")[:limit]
    )
    names = _names(r.attendee_id for r in rows)
    return [
        {
            "id": r.pk,
            "member_id": r.attendee_id,
            "name": names.get(r.attendee_id, ""),
            "checked_in_at": r.checked_in_at.isoformat(),
            "checked_out_at": r.checked_out_at.isoformat() if r.checked_out_at else None,
            "access_method": r.metadata.get("access_method", ""),
            "access_type": r.metadata.get("access_type", ""),
            "is_open": r.checked_out_at is None,
        }
        for r in rows
    ]


def refusals_for_day(*, organization: Organization, day: date | None = None, limit: int = 200) -> list[dict]:
    """Refused door attempts of one local day, newest first; two queries."""
    day = day or local_today(organization.tz)
    start, end = day_bounds(day, organization.tz)
    rows = list(
        Refusal.objects.filter(
            DOOR_SOURCES, organization=organization, attempted_at__gte=start, attempted_at__lt=end
        ).order_by("-attempted_at", "-id")[:limit]
    )
    names = _names(r.attendee_id for r in rows if r.attendee_id)
    return [
        {
            "id": r.pk,
            "member_id": r.attendee_id,
            "name": names.get(r.attendee_id, "") if r.attendee_id else "",
            "attempted_at": r.attempted_at.isoformat(),
            "method": r.method,
            "code": r.code,
            "detail": r.detail,
            "next_allowed_at": r.metadata.get("next_allowed_at"),
            "device": r.device_id,
        }
        for r in rows
    ]


def desk_state(*, organization: Organization) -> dict:
    """Everything the front desk's side panel shows."""
    return {
        "occupancy": occupancy(organization=organization),
        "visits": visits_for_day(organization=organization),
        "refusals": refusals_for_day(organization=organization, limit=50),
    }
