"""When a class's session starts, completes, and may still be fetched from Meet.

The jobs (meetings/tasks.py) call these and enqueue the fetches themselves: nothing here imports
the tasks. A class's retry window runs for `conf.RETRY_WINDOW_DAYS` from the end of its counted
window (scheduled end + overtime), whenever its session was started or completed.
"""

from datetime import datetime, timedelta

from django.db.models import Max, Q
from django.utils import timezone

from config.errors import DomainError
from meetings import conf
from meetings.models import ClassSession, DataState, ScheduledClass, SessionStatus
from organizations.models import Organization


def class_window(scheduled_class: ScheduledClass) -> tuple[datetime, datetime]:
    """The span in which attended time counts: the scheduled class plus the configured overtime."""
    return scheduled_class.starts_at, scheduled_class.ends_at + timedelta(minutes=conf.OVERTIME_MINUTES)


def retry_deadline(scheduled_class: ScheduledClass) -> datetime:
    """The last moment Meet is asked again for a class's data: the retry window after its counted end."""
    return class_window(scheduled_class)[1] + timedelta(days=conf.RETRY_WINDOW_DAYS)


def within_retry_window(sessions, now: datetime):
    """Narrow `sessions` to those whose class's retry deadline is not past.

    The deadline depends on each class's duration, which SQLite cannot add to a time in SQL; the
    database narrows by start with the longest duration, the exact test runs on those candidates.
    """
    candidates = sessions.filter(scheduled_class__starts_at__gte=_earliest_start(now)).select_related("scheduled_class")
    return sessions.filter(pk__in=[s.pk for s in candidates if retry_deadline(s.scheduled_class) >= now])


def _earliest_start(now: datetime) -> datetime:
    """No class that started before this can still be inside its retry window at `now`."""
    longest = ScheduledClass.objects.aggregate(m=Max("duration_minutes"))["m"] or 0
    return now - timedelta(days=conf.RETRY_WINDOW_DAYS, minutes=longest + conf.OVERTIME_MINUTES)


def sessions_due_for_retry(*, now: datetime | None = None, organization: Organization | None = None):
    """Completed class sessions whose final data is missing or failed, within their class's retry
    window, and whose backoff has passed."""
    now = now or timezone.now()
    due = ClassSession.objects.filter(status=SessionStatus.COMPLETED).exclude(data_state=DataState.FINAL).filter(
        Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now)
    )
    if organization is not None:
        due = due.filter(organization=organization)
    return within_retry_window(due, now)


def class_sessions_advance(*, now: datetime | None = None, organization: Organization | None = None) -> dict:
    """Open a session for each class whose start has come; complete those whose window has ended.

    Returns counts and `finals`, the sessions that now need their final fetch (the caller enqueues
    it after commit). Classes past their retry deadline without a session are left alone (nothing
    could be fetched for them any more).
    """
    now = now or timezone.now()
    due = ScheduledClass.objects.filter(starts_at__lte=now, starts_at__gte=_earliest_start(now), session__isnull=True)
    if organization is not None:
        due = due.filter(organization=organization)
    fresh = []
    for scheduled_class in due.only("id", "organization_id", "starts_at", "duration_minutes"):
        if retry_deadline(scheduled_class) < now:
            continue
        ended = class_window(scheduled_class)[1] <= now
        fresh.append(ClassSession(
            organization_id=scheduled_class.organization_id, scheduled_class=scheduled_class, started_at=now,
            status=SessionStatus.COMPLETED if ended else SessionStatus.ACTIVE, completed_at=now if ended else None,
        ))
    ClassSession.objects.bulk_create(fresh, ignore_conflicts=True)  # another beat run may have made some

    active = ClassSession.objects.filter(status=SessionStatus.ACTIVE).select_related("scheduled_class")
    if organization is not None:
        active = active.filter(organization=organization)
    to_complete = [s.pk for s in active if class_window(s.scheduled_class)[1] <= now]
    completed = []
    for session_id in to_complete:
        # Claim each one: only the run whose update matched a row enqueues the final fetch.
        if ClassSession.objects.filter(pk=session_id, status=SessionStatus.ACTIVE).update(
            status=SessionStatus.COMPLETED, completed_at=now
        ):
            completed.append(session_id)
    finals = completed + [
        s.pk for s in ClassSession.objects.filter(
            scheduled_class_id__in=[s.scheduled_class_id for s in fresh if s.status == SessionStatus.COMPLETED]
        )
    ]
    return {"started": len(fresh), "completed": len(completed), "finals": finals}


def organizations_with_classes_due(*, now: datetime) -> list[int]:
    """Ids of the organizations with a class that started and is still inside its retry window."""
    recent = ScheduledClass.objects.filter(starts_at__lte=now, starts_at__gte=_earliest_start(now))
    return sorted(set(recent.values_list("organization_id", flat=True)))


def class_session_for_sync(*, scheduled_class: ScheduledClass, now: datetime | None = None) -> ClassSession:
    """The class's session, started now if its start has come; raise class_not_started otherwise."""
    now = now or timezone.now()
    session = ClassSession.objects.filter(scheduled_class=scheduled_class).first()
    if session is not None:
        return session
    if scheduled_class.starts_at > now:
        raise DomainError(
            f"The class starts at {scheduled_class.starts_at.isoformat()}; there is nothing to fetch yet.",
            code="class_not_started", status_code=409,
        )
    ended = class_window(scheduled_class)[1] <= now
    session, _ = ClassSession.objects.get_or_create(
        scheduled_class=scheduled_class,
        defaults={"organization_id": scheduled_class.organization_id, "started_at": now,
                  "status": SessionStatus.COMPLETED if ended else SessionStatus.ACTIVE, "completed_at": now if ended else None},
    )
    return session


def active_session_ids(*, organization: Organization) -> tuple[list[int], list[int]]:
    """Advance the organization's classes; return the ids of its active sessions and of those that
    now need their final fetch."""
    finals = class_sessions_advance(organization=organization)["finals"]
    active = ClassSession.objects.filter(organization=organization, status=SessionStatus.ACTIVE)
    return list(active.values_list("pk", flat=True)), finals
