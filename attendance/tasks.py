"""Thin Celery wrappers around the engine's services. They take ids and tolerate missing rows.

Jobs over every organization fan out one task per organization (config.jobs): one organization's
failure is logged and retried on its own and never keeps the others from running.
"""

import logging

from celery import shared_task

from attendance import services
from config.jobs import PER_ORGANIZATION_RETRY, fan_out, run_for_organization
from config.retries import retry_policy
from organizations.models import Organization

logger = logging.getLogger(__name__)

RETRY = retry_policy()


@shared_task
def checkout_expired_all() -> int:
    """Queue the auto check-out of expired sessions for every organization."""
    return fan_out(checkout_expired, Organization.objects.values_list("pk", flat=True))


@shared_task(bind=True, **PER_ORGANIZATION_RETRY)
def checkout_expired(self, organization_id: int) -> int:
    """Close one organization's expired sessions at their expected check-out."""
    closed = run_for_organization(self, organization_id, lambda org: services.checkout_expired(organization=org))
    if closed:
        logger.info("auto-closed %s expired session(s) in organization %s", closed, organization_id)
    return closed


@shared_task
def retention_purge_all() -> int:
    """Queue the retention purge of every organization that keeps check-ins for a limited time."""
    return fan_out(retention_purge, Organization.objects.exclude(retention_days=0).values_list("pk", flat=True))


@shared_task(bind=True, **PER_ORGANIZATION_RETRY)
def retention_purge(self, organization_id: int) -> int:
    """Purge one organization's check-ins older than its retention."""
    deleted = run_for_organization(self, organization_id, lambda org: services.retention_purge(organization=org))
    logger.info("retention purge deleted %s row(s) in organization %s", deleted, organization_id)
    return deleted


@shared_task
def at_risk_notify_all() -> int:
    """Queue the at-risk notifications of every organization."""
    return fan_out(at_risk_notify, Organization.objects.values_list("pk", flat=True))


@shared_task(bind=True, **PER_ORGANIZATION_RETRY)
def at_risk_notify(self, organization_id: int) -> int:
    return run_for_organization(self, organization_id, lambda org: services.at_risk_notify(organization=org))


@shared_task(**RETRY)
def recalculate_stats(organization_id: int) -> int:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    return services.recalculate_stats(organization=organization)
