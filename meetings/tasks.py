"""Thin Celery wrappers around the meetings services. They take ids and tolerate missing rows.

A class's fetch retries itself with exponential backoff and jitter on transient Meet errors
(5xx, 429, network), after googleapiclient's own in-request retries; every try is a SyncAttempt.
"""

import logging

from celery import shared_task
from django.utils import timezone

from meetings import conf, services
from meetings.meet import MeetError, MeetTransientError
from meetings.models import ClassSession, SessionStatus

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (Exception,), "retry_backoff": 5, "retry_backoff_max": 300, "retry_jitter": True, "max_retries": 5}


@shared_task(**RETRY)
def advance_class_sessions() -> dict:
    """Start sessions of classes whose start has come; complete those that ended (final fetch follows)."""
    result = services.class_sessions_advance()
    if result["started"] or result["completed"]:
        logger.info("meetings: %(started)s session(s) started, %(completed)s completed", result)
    return result


@shared_task(
    queue="meetings", autoretry_for=(MeetTransientError,), retry_backoff=conf.RETRY_BACKOFF_SECONDS,
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


@shared_task(**RETRY)
def sync_active_sessions() -> int:
    """Enqueue a fetch for every active class session."""
    ids = list(ClassSession.objects.filter(status=SessionStatus.ACTIVE).values_list("pk", flat=True))
    for session_id in ids:
        sync_class_session.delay(session_id, trigger="job")
    return len(ids)


@shared_task(**RETRY)
def retry_missing_data() -> int:
    """Enqueue a fetch for completed classes (last 7 days) whose final data is missing or failed."""
    ids = list(services.sessions_due_for_retry(now=timezone.now()).values_list("pk", flat=True))
    for session_id in ids:
        sync_class_session.delay(session_id, trigger="retry")
    return len(ids)
