"""Thin Celery wrappers around the gym's services. They take ids and tolerate missing rows."""

import logging

from celery import shared_task

from config.retries import retry_policy
from gamification import services
from organizations.models import Organization

logger = logging.getLogger(__name__)

RETRY = retry_policy()


@shared_task(**RETRY)
def streak_reset(organization_id: int) -> int:
    """Nightly, at the gym's local midnight: reset broken streaks (idempotent)."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    reset = services.streak_reset(organization=organization)
    logger.info("gym %s: %s streak(s) reset", organization.slug, reset)
    return reset
