"""Thin Celery wrappers around the meetings services. They take ids and tolerate missing rows.

The beat jobs fan out (config.jobs): one task per organization to advance its class sessions, one
task per class session to fetch it, so one organization's or one class's failure is logged and
retried on its own and never keeps the others from running. Tasks retry, with backoff and jitter,
only on named transient errors (`TRANSIENT_ERRORS`); anything else is a bug and fails loudly. A
class's fetch also retries after googleapiclient's own in-request retries; every try is a SyncAttempt.
"""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from config.jobs import fan_out, run_for_organization
from config.retries import retry_policy
from meetings import conf, services, sessions
from meetings.meet import MeetError, MeetTransientError
from meetings.models import ClassSession, SessionStatus

logger = logging.getLogger(__name__)

# The database going away or timing out, the network timing out, Meet answering 429/5xx or not at all.
RETRY = retry_policy(extra=(MeetTransientError,))
TRANSIENT_ERRORS = RETRY["autoretry_for"]


def enqueue_syncs(session_ids: list[int], *, trigger: str) -> None:
    """Queue a fetch of each class session once the current transaction commits."""
    for session_id in session_ids:
        transaction.on_commit(lambda sid=session_id: sync_class_session.delay(sid, trigger=trigger), robust=True)


@shared_task
def advance_class_sessions() -> int:
    """Queue, per organization with classes around now, the start and completion of its class sessions."""
    return fan_out(advance_organization_sessions, sessions.organizations_with_classes_due(now=timezone.now()))


@shared_task(bind=True, **RETRY)
def advance_organization_sessions(self, organization_id: int) -> dict:
    """Start one organization's classes whose start has come, complete those that ended (final fetch follows)."""

    def advance(organization):
        with transaction.atomic():
            result = sessions.class_sessions_advance(organization=organization)
            enqueue_syncs(result["finals"], trigger="final")
        if result["started"] or result["completed"]:
            logger.info("meetings: %s: %s session(s) started, %s completed", organization.slug, result["started"],
                        result["completed"])
        return {"started": result["started"], "completed": result["completed"]}

    return run_for_organization(self, organization_id, advance) or {"started": 0, "completed": 0}


@shared_task(
    queue="meetings", autoretry_for=TRANSIENT_ERRORS, retry_backoff=conf.RETRY_BACKOFF_SECONDS,
    retry_backoff_max=conf.RETRY_BACKOFF_MAX_SECONDS, retry_jitter=True, max_retries=conf.TASK_MAX_RETRIES,
)
def sync_class_session(class_session_id: int, trigger: str = "job") -> str:
    """Fetch one class session's participants from Meet. Transient errors retry with backoff."""
    class_session = ClassSession.objects.filter(pk=class_session_id).first()
    if class_session is None:
        return "missing"
    try:
        return services.class_session_sync(class_session=class_session, trigger=trigger).outcome
    except MeetTransientError:
        raise
    except MeetError as error:  # recorded as a SyncAttempt; the retry job looks again later
        return error.code


@shared_task
def sync_active_sessions() -> int:
    """Queue a fetch for every active class session."""
    return _fan_out_syncs(ClassSession.objects.filter(status=SessionStatus.ACTIVE).values_list("pk", flat=True), "job")


@shared_task
def retry_missing_data() -> int:
    """Queue a fetch for completed classes, within their retry window, whose final data is missing or failed."""
    return _fan_out_syncs(sessions.sessions_due_for_retry(now=timezone.now()).values_list("pk", flat=True), "retry")


def _fan_out_syncs(session_ids, trigger: str) -> int:
    # A signature with the trigger bound: `fan_out` queues it with each session id as its first argument.
    return fan_out(sync_class_session.s(trigger=trigger), list(session_ids))
