"""Thin Celery wrappers around staff.services."""

import logging

from celery import shared_task

from config.retries import retry_policy
from organizations.models import Organization
from staff import services

logger = logging.getLogger(__name__)

RETRY = retry_policy(backoff_max=120, max_retries=3)


@shared_task(**RETRY)
def auto_checkout_all() -> int:
    """Close forgotten clock-outs (shift end + grace passed) in every hotel; fix any on-duty drift."""
    closed = 0
    for organization in Organization.objects.filter(staff_members__isnull=False).distinct():
        closed += services.staff_auto_checkout(organization=organization)
    if closed:
        logger.info("auto-closed %s forgotten staff clock-out(s)", closed)
    return closed
