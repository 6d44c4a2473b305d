"""The engine plugin of the staff clock: audit a clock on someone's behalf and tell the screens.

It runs inside the check-in/check-out transaction with the staff row locked, for every check-in of
a Staff attendee whatever its source (the staff API, the engine's API, an admin force check-out).
Whether someone is on duty is the engine's open session (`Staff.is_on_duty`); nothing is copied.
The live event is queued with transaction.on_commit, so it is sent only if the clock change commits.
"""

from attendance.plugins import CheckInContext, Plugin
from organizations.realtime import broadcast
from organizations.services import audit_log_record
from staff.events import CLOCK_EVENT, clock_payload, hotel_channel
from staff.models import Staff


class StaffClockPlugin(Plugin):
    def applies(self, ctx: CheckInContext) -> bool:
        return isinstance(ctx.attendee, Staff)

    def after_check_in(self, ctx: CheckInContext, check_in) -> None:
        staff = ctx.attendee
        reason = ctx.options.get("on_behalf_reason")
        if reason:
            audit_log_record(
                organization=ctx.organization, action="staff.clock_in_on_behalf", actor=ctx.actor, target=staff,
                reason=reason, data={"check_in_id": check_in.pk, "clock_time": check_in.checked_in_at.isoformat()},
            )
        broadcast(hotel_channel(ctx.organization.slug), CLOCK_EVENT,
                  clock_payload(staff, action="clock_in", at=check_in.checked_in_at))

    def after_check_out(self, ctx: CheckInContext, check_in) -> None:
        staff = ctx.attendee
        reason = ctx.options.get("on_behalf_reason")
        if reason:  # also when the press closed a forgotten session at its expected time
            audit_log_record(
                organization=ctx.organization, action="staff.clock_out_on_behalf", actor=ctx.actor, target=staff,
                reason=reason, data={"check_in_id": check_in.pk, "clock_time": check_in.checked_out_at.isoformat()},
            )
        if not staff.is_on_duty:  # closing an older session leaves the current one open
            broadcast(hotel_channel(ctx.organization.slug), CLOCK_EVENT,
                      clock_payload(staff, action="clock_out", at=check_in.checked_out_at))
