"""Thin Celery wrappers around the gym's services. They take ids and tolerate missing rows.

Each gym has its own beat entry (gamification.beat), so one gym's failure is logged and retried on
its own (config.jobs) and never keeps another gym's reset from happening.
"""

import logging

from celery import shared_task

from config.jobs import PER_ORGANIZATION_RETRY, run_for_organization
from gamification import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, **PER_ORGANIZATION_RETRY)
def streak_reset(self, organization_id: int) -> int:
    """Nightly, at the gym's local midnight: reset broken streaks (idempotent)."""
    reset = run_for_organization(self, organization_id, lambda org: services.streak_reset(organization=org))
    logger.info("organization %s: %s streak(s) reset", organization_id, reset)
    return reset
