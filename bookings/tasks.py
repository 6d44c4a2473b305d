"""Thin Celery wrappers around the bookings services.

The no-show job fans out one task per organization (config.jobs): one studio's failure is logged
with the organization and retried on its own, and never keeps another studio's run from happening.
Tasks retry, with backoff and jitter, only on named transient errors (the database going away or
timing out); anything else is a bug and fails loudly.
"""

import logging

from celery import shared_task
from django.utils import timezone

from bookings import checkins
from config.jobs import fan_out, run_for_organization
from config.retries import retry_policy

logger = logging.getLogger(__name__)

RETRY = retry_policy()


@shared_task
def mark_no_shows() -> int:
    """Queue, per studio with ended classes still holding registered bookings, the marking of its no-shows."""
    return fan_out(mark_organization_no_shows, checkins.organizations_with_no_shows_due(before=timezone.now()))


@shared_task(bind=True, **RETRY)
def mark_organization_no_shows(self, organization_id: int) -> int:
    """Mark `no_show` the still-registered bookings of one studio's ended classes."""
    marked = run_for_organization(self, organization_id, lambda org: checkins.mark_no_shows(organization=org))
    if marked:
        logger.info("marked %s booking(s) no-show in organization %s", marked, organization_id)
    return marked
