"""Thin Celery wrappers around the engine's services. They take ids and tolerate missing rows."""

import logging

from celery import shared_task

from attendance import services
from config.retries import retry_policy
from organizations.models import Organization

logger = logging.getLogger(__name__)

RETRY = retry_policy()


@shared_task(**RETRY)
def checkout_expired_all() -> int:
    """Close expired sessions in every organization."""
    closed = 0
    for organization in Organization.objects.all():
        closed += services.checkout_expired(organization=organization)
    if closed:
        logger.info("auto-closed %s expired session(s)", closed)
    return closed


@shared_task(**RETRY)
def retention_purge_all() -> int:
    """Purge check-ins older than each organization's retention."""
    deleted = 0
    for organization in Organization.objects.exclude(retention_days=0):
        deleted += services.retention_purge(organization=organization)
    logger.info("retention purge deleted %s row(s)", deleted)
    return deleted


@shared_task(**RETRY)
def at_risk_notify_all() -> int:
    fired = 0
    for organization in Organization.objects.all():
        fired += services.at_risk_notify(organization=organization)
    return fired


@shared_task(**RETRY)
def recalculate_stats(organization_id: int) -> int:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    return services.recalculate_stats(organization=organization)
