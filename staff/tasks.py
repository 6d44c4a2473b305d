"""Thin Celery wrappers around staff.services, one task per hotel (config.jobs)."""

import logging

from celery import shared_task

from config.jobs import PER_ORGANIZATION_RETRY, fan_out, run_for_organization
from organizations.models import Organization
from staff import services

logger = logging.getLogger(__name__)


@shared_task
def auto_checkout_all() -> int:
    """Queue the auto clock-out of every hotel (an organization with staff)."""
    hotels = Organization.objects.filter(staff_members__isnull=False).distinct().values_list("pk", flat=True)
    return fan_out(auto_checkout, hotels)


@shared_task(bind=True, **PER_ORGANIZATION_RETRY)
def auto_checkout(self, organization_id: int) -> int:
    """Close one hotel's forgotten clock-outs (shift end + grace passed); fix any on-duty drift."""
    closed = run_for_organization(self, organization_id,
                                  lambda hotel: services.staff_auto_checkout(organization=hotel))
    if closed:
        logger.info("auto-closed %s forgotten staff clock-out(s) in organization %s", closed, organization_id)
    return closed
