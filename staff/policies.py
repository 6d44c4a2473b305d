"""The hotel's channel policy: who may clock whom, with what reason, who reads clock records, and
when a forgotten clock-out is closed. Registered for source "staff" and attendee type "staff"
(staff.apps), so every route into the engine — the staff clock, the engine's generic API, offline
batches — follows it for a Staff attendee.

- A staff member (any role) clocks only themselves, only now.
- An owner or admin clocks anyone at any past time; for someone else with a reason, which the
  audit log keeps (staff.plugins). A device key clocks nobody (staff use the staff clock).
- An owner or admin reads every staff member's clock records; anyone else only their own.
- A session without a clock-out is closed at its shift's end plus grace, else after
  `max_session_hours` (staff.services.expected_clock_out).
"""

from dataclasses import dataclass
from datetime import datetime

from attendance.exceptions import AttendeeNotFound
from attendance.policies import Caller, ChannelPolicy
from config.errors import DomainError, Forbidden
from organizations.models import MANAGER_ROLES


def on_behalf_reason(*, staff_user_id: int | None, actor, reason: str) -> str:
    """The audit reason when `actor` clocks for someone else ("" when for themselves, or for a job);
    400 `reason_required` without one."""
    if actor is None or getattr(actor, "pk", None) == staff_user_id:
        return ""
    if not reason.strip():
        raise DomainError("Say why you are clocking for someone else.", code="reason_required")
    return reason.strip()


@dataclass(frozen=True)
class StaffPolicy(ChannelPolicy):
    def record_options(
        self, *, caller: Caller, attendee_id: int, at: datetime | None, reason: str,
        expected_checkout_at: datetime | None = None,
    ) -> dict:
        from staff.models import Staff

        if caller.device is not None:
            raise Forbidden("A device key cannot clock staff: staff clock in with their own account "
                            "(the staff clock), or an owner or admin clocks for them.")
        row = Staff.objects.filter(organization=caller.organization, pk=attendee_id).values("user_id").first()
        if row is None:
            raise AttendeeNotFound("No such attendee in this organization.")
        user_id = row["user_id"]
        if caller.role not in MANAGER_ROLES:
            if caller.user is None or user_id != caller.user.pk:
                raise Forbidden("Only an owner or admin may clock a colleague in or out.")
            if at is not None or expected_checkout_at is not None:
                raise Forbidden("Only an owner or admin may enter a clock at another time; clock in or out now.")
        return {"on_behalf_reason": on_behalf_reason(staff_user_id=user_id, actor=caller.user, reason=reason)}

    def readable_ids(self, *, caller: Caller):
        from staff.models import Staff

        if caller.role in MANAGER_ROLES:
            return None
        if caller.user is None:
            return []
        return list(Staff.objects.filter(organization=caller.organization, user=caller.user).values_list("pk", flat=True))

    def expected_checkout(self, *, attendee, at: datetime) -> datetime | None:
        from staff.services import expected_clock_out

        return expected_clock_out(staff=attendee, at=at)
