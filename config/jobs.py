"""Jobs that run for every organization, one task per organization.

A beat task fans out one task per organization (`fan_out`); each of those loads its organization
again and runs one service (`run_for_organization`). A failure is logged with the task, the
organization and the error (on PostgreSQL the error names the failing row), retried with backoff
by Celery on its own, and never keeps another organization's run from happening.
"""

import logging
from collections.abc import Callable, Iterable

from config.retries import retry_policy
from organizations.models import Organization

logger = logging.getLogger(__name__)

# A transient failure (config.retries) is retried with backoff; anything else (a bad row) is logged
# with the organization and left for the job's next scheduled run, for that organization alone.
PER_ORGANIZATION_RETRY = retry_policy()


def fan_out(task, organization_ids: Iterable[int]) -> int:
    """Queue `task(organization_id)` for each organization; return how many were queued."""
    queued = 0
    for organization_id in organization_ids:
        try:
            task.delay(organization_id)
        except Exception:
            # The broker refused this one message, or (tasks run eagerly) the organization's run failed
            # after its retries; either way the next organization still gets its run.
            logger.exception("%s could not run for organization %s", task.name, organization_id)
            continue
        queued += 1
    return queued


def run_for_organization(task, organization_id: int, work: Callable[[Organization], int]) -> int:
    """Run `work(organization)` inside `task`; 0 when the organization is gone. Failures are logged
    with the organization and re-raised for the task's own retry."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    try:
        return work(organization)
    except Exception as error:
        logger.error("%s failed for organization %s (id %s), attempt %s: %s", task.name, organization.slug,
                     organization.pk, task.request.retries + 1, error)
        raise
