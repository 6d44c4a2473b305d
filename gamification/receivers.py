"""Cross-app reactions: tell every open front desk that someone was turned away at the door."""

from organizations.realtime import broadcast, organization_channel

GYM_REFUSED = "gym.refused"


def broadcast_gym_refusal(sender, refusal, **kwargs) -> None:
    """Receiver of attendance.events.check_in_refused (sent after commit)."""
    if refusal.source != "gym":
        return
    broadcast(
        organization_channel(refusal.organization.slug),
        GYM_REFUSED,
        {"refusal_id": refusal.pk, "code": refusal.code, "attendee_id": refusal.attendee_id,
         "attempted_at": refusal.attempted_at.isoformat()},
    )
