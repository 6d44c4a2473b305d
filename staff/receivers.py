"""Cross-app reactions: the engine auto-closed sessions (possibly staff ones) in bulk."""

import logging

from django.dispatch import receiver

from attendance.events import session_auto_closed

logger = logging.getLogger(__name__)


@receiver(session_auto_closed, dispatch_uid="staff.sync_auto_closed")
def sync_auto_closed(sender, organization, check_in_ids, **kwargs):
    from staff.services import staff_sync_closed_sessions

    try:
        staff_sync_closed_sessions(organization=organization, check_in_ids=check_in_ids)
    except Exception:  # the reconcile job (staff.tasks.auto_checkout_all) repairs what this missed
        logger.exception("could not mirror auto-closed sessions onto staff rows in %s", organization.slug)
