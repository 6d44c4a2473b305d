"""The live event every screen of a hotel listens to, and its channel."""

from datetime import UTC, datetime
from typing import Literal, TypedDict

CLOCK_EVENT = "clock-status-updated"


class ClockStatusUpdated(TypedDict):
    user_id: int | None
    staff_id: int
    is_on_duty: bool
    clock_time: str
    first_name: str
    last_name: str
    action: Literal["clock_in", "clock_out"]


def hotel_channel(slug: str) -> str:
    """The Channels group and (public) Pusher channel of a hotel."""
    return f"hotel-{slug}"


def iso_utc(moment: datetime) -> str:
    """`2025-11-22T14:30:00.000Z`: UTC, milliseconds, a Z (what JavaScript's Date.toISOString gives)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def clock_payload(staff, *, action: str, at: datetime) -> ClockStatusUpdated:
    return {
        "user_id": staff.user_id,
        "staff_id": staff.pk,
        "is_on_duty": action == "clock_in",
        "clock_time": iso_utc(at),
        "first_name": staff.first_name,
        "last_name": staff.last_name,
        "action": action,
    }
