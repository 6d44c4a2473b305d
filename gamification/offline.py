"""Courtesy passes a front desk gave while offline, recorded when its queue is pushed.

The desk decided each pass itself (its user's role, a reason) and queued it with an event id and
its own time, naming a member from its door manifest or a new guest by name. The server decides
again, per item, with the user who pushes the queue as the granting person: the role first (a
refusal is recorded, nothing is written), then the guest (created once per event id), then the
pass itself through the engine's offline batch (attendance.services.offline.record_bulk), judged
at the event's own time and recorded like the online pass (a courtesy visit, audited with its reason).
"""

from datetime import datetime
from typing import NotRequired, TypedDict

from attendance import registry
from attendance import services as engine
from attendance.exceptions import Refused
from attendance.plugins import CheckInContext
from config.errors import DomainError, Forbidden
from gamification import services
from gamification.models import AccessMethod, Gym
from organizations.models import Organization

# The source record_bulk writes for a batch a signed-in user pushes (no device key).
USER_BATCH_SOURCE = "bulk"


class QueuedCourtesy(TypedDict):
    event_id: str
    at: datetime
    reason: str
    user_id: NotRequired[int]  # a member from the manifest, or
    guest_name: NotRequired[str]  # a new guest typed at the desk


def courtesy_queue_record(
    *, organization: Organization, gym: Gym, items: list[QueuedCourtesy], actor, role: str | None
) -> list[dict]:
    """Record a desk's queued courtesy passes, granted by `actor` (acting as `role`). Call outside
    any transaction. Returns one result per item, in input order, as record_bulk answers:
    `recorded`, `duplicate` (the event id was recorded before) or `refused` with a code."""
    results: list[dict] = [{} for _ in items]
    batch, positions = [], []
    for index, item in enumerate(items):
        try:
            member = _courtesy_member(organization=organization, item=item, actor=actor, role=role)
            arguments = services.entry_arguments(
                organization=organization, access_method=AccessMethod.COURTESY, at=item["at"], reason=item["reason"],
                gym=gym,
            )
        except DomainError as error:
            results[index] = {"index": index, "event_id": item["event_id"], "status": "refused", "code": error.code,
                              "detail": error.detail}
            continue
        batch.append({"action": "check_in", "attendee": member, "at": item["at"], "event_id": item["event_id"],
                      **arguments})
        positions.append(index)
    recorded = engine.record_bulk(organization=organization, device=None, items=batch, actor=actor)
    for index, result in zip(positions, recorded, strict=True):
        results[index] = {**result, "index": index}
    return results


def _courtesy_member(*, organization: Organization, item: QueuedCourtesy, actor, role: str | None):
    """The member a queued pass is for, once `actor` may grant it: a member of this gym, or the
    guest it names (created here, once per event id). A refusal of the role is recorded."""
    member = None
    if item.get("user_id") is not None:
        member = services.member_get(organization=organization, member_id=item["user_id"])
    try:
        services.courtesy_check_allowed(actor=actor, role=role)
    except Forbidden as error:
        extra = {"guest_name": item["guest_name"]} if member is None else {}
        refused = Refused(error.detail, code=error.code, status_code=error.status_code, **extra)
        ctx = CheckInContext(
            organization=organization, attendee=member, method=services.ENGINE_METHOD[AccessMethod.COURTESY],
            source=USER_BATCH_SOURCE, at=item["at"], actor=actor,
        )
        engine.refusal_record(ctx=ctx, refused=refused, external_id=item["event_id"])
        raise refused from None
    if member is not None:
        return registry.attendee_stand_in("member", member.pk, organization)
    return services.courtesy_guest_create(
        organization=organization, name=item["guest_name"], actor=actor, event_id=item["event_id"]
    )
