"""Cross-app reactions: the engine auto-closed sessions (possibly staff ones) in bulk."""

import logging

from django.dispatch import receiver

from attendance.events import session_auto_closed

logger = logging.getLogger(__name__)


@receiver(session_auto_closed, dispatch_uid="staff.announce_auto_closed")
def announce_auto_closed(sender, organization, check_in_ids, **kwargs):
    """Tell the hotel's screens who was clocked out by the job (nothing is written)."""
    from staff.services import staff_announce_auto_closed

    staff_announce_auto_closed(organization=organization, check_in_ids=check_in_ids)
