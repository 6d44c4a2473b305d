"""Writes of the meetings app: class sessions starting and ending, the Meet sync, links, credentials.

The sync talks to Google OUTSIDE any transaction, then writes everything it learned about one
class session in one transaction while holding that session's row lock, so two syncs of the
same class (a job and a manual one) cannot interleave. Attendance logs are keyed by the Meet
participant-session name: a re-fetch updates rows, it never adds duplicates. Attended time is
recorded into the engine after commit, once per (class session, person), idempotently.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from attendance import services as engine
from config.errors import DomainError
from meetings import conf, intervals
from meetings.meet import MeetClient, MeetError, MeetUnavailable, credentials_from_info, parse_time
from meetings.models import (
    AttendanceLog,
    ClassAttendance,
    ClassSession,
    DataState,
    GoogleCredential,
    ParticipantKind,
    ParticipantLink,
    ScheduledClass,
    SessionStatus,
    Student,
    SyncAttempt,
    SyncOutcome,
    Teacher,
)
from meetings.sessions import class_window
from organizations.models import Organization
from organizations.services import audit_log_record

logger = logging.getLogger(__name__)

ENGINE_SOURCE = "meetings"
LOG_FIELDS = ["participant_kind", "google_user_id", "display_name", "teacher", "student", "joined_at", "left_at", "duration_seconds"]


# --- credentials -----------------------------------------------------------------------------


def google_credential_store(
    *, organization: Organization, info: dict, scopes: list[str], account_email: str = "", actor=None
) -> GoogleCredential:
    """Store (or replace) the organization's Google authorized-user credentials."""
    with transaction.atomic():
        credential, _ = GoogleCredential.objects.update_or_create(
            organization=organization,
            defaults={"authorized_user_info": info, "scopes": sorted(set(scopes)), "account_email": account_email},
        )
        audit_log_record(
            organization=organization, action="meetings.google_credentials_stored", actor=actor, target=credential,
            data={"scopes": credential.scopes, "account_email": account_email},
        )
    return credential


def meet_client_for(organization: Organization) -> MeetClient:
    """Return a Meet client with the organization's credentials, or raise MeetUnavailable saying why."""
    credential = GoogleCredential.objects.filter(organization=organization).first()
    if credential is None:
        raise MeetUnavailable(conf.with_fix(conf.NO_CREDENTIALS_MESSAGE, organization.slug), code="meet_no_credentials")
    if conf.MEET_READONLY_SCOPE not in (credential.scopes or []):
        raise MeetUnavailable(conf.with_fix(conf.NO_SCOPE_MESSAGE, organization.slug), code="meet_scope_missing")
    client = MeetClient(credentials_from_info(credential.authorized_user_info, credential.scopes))
    client.stored_credential = credential
    return client


def _persist_refreshed_token(client: MeetClient) -> None:
    """Keep the access token google-auth refreshed during a sync, so the next run need not refresh again."""
    credential = getattr(client, "stored_credential", None)
    token = getattr(client.credentials, "token", None)
    if credential is None or not token or token == credential.authorized_user_info.get("token"):
        return
    info = {**credential.authorized_user_info, "token": token}
    expiry = getattr(client.credentials, "expiry", None)
    if expiry is not None:
        info["expiry"] = expiry.isoformat() + ("Z" if expiry.tzinfo is None else "")
    GoogleCredential.objects.filter(pk=credential.pk).update(authorized_user_info=info)
    credential.authorized_user_info = info


# --- the sync ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchedSession:
    name: str
    record: str
    participant: str
    kind: str
    google_user_id: str
    display_name: str
    start: datetime
    end: datetime | None


@dataclass
class SyncResult:
    class_session: ClassSession
    attempt: SyncAttempt
    records: int = 0
    logs_created: int = 0
    logs_updated: int = 0
    attendances: list[ClassAttendance] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return self.attempt.outcome


def fetch_meet_sessions(client: MeetClient, scheduled_class: ScheduledClass) -> tuple[int, list[FetchedSession]]:
    """Every participant session of every conference record of the class's space in its window."""
    start, window_end = class_window(scheduled_class)
    records = client.conference_records(
        space_name=scheduled_class.meet_space_name, meeting_code=scheduled_class.meet_meeting_code,
        start_from=start - timedelta(minutes=conf.EARLY_JOIN_MINUTES), start_to=window_end,
    )
    fetched: list[FetchedSession] = []
    for record in records:
        participants = client.participants(record["name"])
        sessions_of = client.participant_sessions_of([participant["name"] for participant in participants])
        for participant, sessions in zip(participants, sessions_of, strict=True):
            kind, user_id, display = _participant_identity(participant)
            for session in sessions:
                begin = parse_time(session.get("startTime"))
                if begin is None:
                    continue
                fetched.append(FetchedSession(
                    name=session["name"], record=record["name"], participant=participant["name"], kind=kind,
                    google_user_id=user_id, display_name=display, start=begin, end=parse_time(session.get("endTime")),
                ))
    return len(records), fetched


def _participant_identity(participant: dict) -> tuple[str, str, str]:
    if "signedinUser" in participant:
        user = participant["signedinUser"]
        return ParticipantKind.SIGNED_IN, user.get("user", ""), user.get("displayName", "")
    if "phoneUser" in participant:
        return ParticipantKind.PHONE, "", participant["phoneUser"].get("displayName", "")
    return ParticipantKind.ANONYMOUS, "", participant.get("anonymousUser", {}).get("displayName", "")


def class_session_sync(
    *, class_session: ClassSession, trigger: str = "job", now: datetime | None = None, client: MeetClient | None = None
) -> SyncResult:
    """Fetch the class's participants from Meet and bring its logs, attended time and engine sessions up to date.

    Records a SyncAttempt either way. Raises MeetError (after recording it) when Google did not
    answer usefully; `error.transient` says whether retrying soon makes sense.
    """
    now = now or timezone.now()
    class_session = ClassSession.objects.select_related("scheduled_class", "organization").get(pk=class_session.pk)
    attempt = SyncAttempt.objects.create(
        organization_id=class_session.organization_id, class_session=class_session, trigger=trigger, started_at=now
    )
    try:
        client = client or meet_client_for(class_session.organization)
        records, fetched = fetch_meet_sessions(client, class_session.scheduled_class)
    except MeetError as error:
        _sync_failed(class_session, attempt, error, now)
        raise
    finally:
        if client is not None:
            _persist_refreshed_token(client)
    return class_session_apply_fetch(class_session=class_session, attempt=attempt, records=records, fetched=fetched, now=now)


def class_session_apply_fetch(
    *, class_session: ClassSession, attempt: SyncAttempt, records: int, fetched: list[FetchedSession], now: datetime
) -> SyncResult:
    """Write what one fetch returned: logs, attended time, the session's data state, then engine sessions."""
    result = SyncResult(class_session=class_session, attempt=attempt, records=records)
    with transaction.atomic():
        locked = ClassSession.objects.select_for_update().select_related("scheduled_class", "organization").get(pk=class_session.pk)
        result.logs_created, result.logs_updated = _upsert_logs(locked, fetched, now)
        result.attendances = _recompute_attendances(locked, now)
        ongoing = any(f.end is None for f in fetched)
        failures, error = 0, ""
        if locked.status == SessionStatus.COMPLETED and records and not ongoing:
            locked.data_state, locked.final_data_at, locked.next_retry_at = DataState.FINAL, now, None
        elif locked.status == SessionStatus.COMPLETED and not records:
            # Meet has nothing for a class that is over: ask again later, backing off like a failure.
            locked.data_state = DataState.NONE
            failures, error = locked.consecutive_failures + 1, EMPTY_FETCH_MESSAGE
            locked.next_retry_at = now + retry_delay(failures)
        else:
            locked.data_state = DataState.PARTIAL if records else DataState.NONE
            # A completed class whose call is still open is looked at again by the next retry round.
            locked.next_retry_at = now if locked.status == SessionStatus.COMPLETED else None
        locked.last_synced_at, locked.consecutive_failures, locked.last_error = now, failures, error
        locked.save(update_fields=["data_state", "final_data_at", "next_retry_at", "last_synced_at", "consecutive_failures", "last_error"])
        attempt.finished_at, attempt.outcome = timezone.now(), SyncOutcome.SUCCESS
        attempt.records, attempt.logs_created, attempt.logs_updated = records, result.logs_created, result.logs_updated
        attempt.save(update_fields=["finished_at", "outcome", "records", "logs_created", "logs_updated"])
        result.class_session = locked
    if locked.status == SessionStatus.COMPLETED:
        _record_engine_sessions(locked, [a for a in result.attendances if a.check_in_id is None or getattr(a, "_changed", False)])
    return result


EMPTY_FETCH_MESSAGE = "Meet reported no conference record for this class (yet)."


def retry_delay(failures: int) -> timedelta:
    """Backoff after the n-th fetch in a row that failed or found nothing: base · 2^(n−1), capped."""
    return timedelta(seconds=min(conf.RETRY_BACKOFF_SECONDS * 2 ** (failures - 1), conf.RETRY_BACKOFF_MAX_SECONDS))


def _sync_failed(class_session: ClassSession, attempt: SyncAttempt, error: MeetError, now: datetime) -> None:
    failures = class_session.consecutive_failures + 1
    next_retry = now + retry_delay(failures)
    if isinstance(error, MeetUnavailable):
        outcome = SyncOutcome.NO_ACCESS
        logger.warning("meetings: class session %s: %s", class_session.pk, error.detail)
    else:
        outcome = SyncOutcome.TRANSIENT if error.transient else SyncOutcome.ERROR
        logger.warning("meetings: sync of class session %s failed (%s): %s", class_session.pk, error.code, error.detail)
    SyncAttempt.objects.filter(pk=attempt.pk).update(
        finished_at=timezone.now(), outcome=outcome, error_code=error.code, error=error.detail, next_retry_at=next_retry
    )
    ClassSession.objects.filter(pk=class_session.pk).update(
        consecutive_failures=failures, next_retry_at=next_retry, last_error=error.detail,
        data_state=DataState.FAILED if class_session.data_state != DataState.FINAL else DataState.FINAL,
    )
    attempt.refresh_from_db()
    class_session.refresh_from_db()


def _upsert_logs(class_session: ClassSession, fetched: list[FetchedSession], now: datetime) -> tuple[int, int]:
    """Create or update one AttendanceLog per fetched participant session. Session row lock held."""
    existing = {log.session_name: log for log in AttendanceLog.objects.filter(class_session=class_session)}
    matcher = _Matcher(class_session, fetched)
    created = updated = 0
    rows = []
    for item in fetched:
        teacher, student = matcher.match(item.kind, item.google_user_id, item.display_name)
        end = item.end or now
        values = {
            "participant_kind": item.kind, "google_user_id": item.google_user_id, "display_name": item.display_name,
            "teacher": teacher, "student": student, "joined_at": item.start, "left_at": item.end,
            "duration_seconds": max(0, int((end - item.start).total_seconds())),
        }
        log = existing.get(item.name)
        if log is None:
            created += 1
        elif all(_field_value(log, name) == _plain(value) for name, value in values.items()):
            continue
        else:
            updated += 1
        rows.append(AttendanceLog(
            organization_id=class_session.organization_id, class_session=class_session, session_name=item.name,
            conference_record=item.record, participant_name=item.participant, fetched_at=now, **values,
        ))
    # One INSERT … ON CONFLICT DO UPDATE for new and changed rows: Django's bulk_update builds a CASE
    # per row and field, which cost more CPU than the Meet calls at 500 classes a round.
    AttendanceLog.objects.bulk_create(
        rows, batch_size=500, update_conflicts=True, unique_fields=["class_session", "session_name"],
        update_fields=LOG_FIELDS + ["fetched_at"],
    )
    return created, updated


def _field_value(log: AttendanceLog, name: str):
    return getattr(log, f"{name}_id") if name in ("teacher", "student") else getattr(log, name)


def _plain(value):
    return value.pk if isinstance(value, Teacher | Student) else value


class _Matcher:
    """Who a Meet participant is: a remembered link first (one for this class before one for the
    whole organization), else a teacher or student by Google user id."""

    def __init__(self, class_session: ClassSession, fetched: list[FetchedSession]):
        organization_id = class_session.organization_id
        user_ids = {f.google_user_id for f in fetched if f.google_user_id}
        self.teachers = {t.google_user_id: t for t in Teacher.objects.filter(organization_id=organization_id, google_user_id__in=user_ids)}
        self.students = {s.google_user_id: s for s in Student.objects.filter(organization_id=organization_id, google_user_id__in=user_ids)}
        identities = user_ids | {f.display_name for f in fetched if f.kind != ParticipantKind.SIGNED_IN}
        links = (
            ParticipantLink.objects.filter(organization_id=organization_id, identity__in=identities)
            .filter(Q(class_session__isnull=True) | Q(class_session=class_session))
            .select_related("teacher", "student").order_by(F("class_session_id").asc(nulls_first=True))
        )
        self.links = {(link.participant_kind, link.identity): link for link in links}  # the class's link wins

    def match(self, kind: str, user_id: str, display_name: str) -> tuple[Teacher | None, Student | None]:
        link = self.links.get((kind, user_id if kind == ParticipantKind.SIGNED_IN else display_name))
        if link is not None:
            return link.teacher, link.student
        if user_id in self.teachers:
            return self.teachers[user_id], None
        if user_id in self.students:
            return None, self.students[user_id]
        return None, None


def _recompute_attendances(class_session: ClassSession, now: datetime) -> list[ClassAttendance]:
    """Rebuild the per-person union of attended time from the class session's logs. Row lock held.

    Returns the rows as they are now; rows whose figures changed carry `_changed = True`.
    """
    lo, hi = class_window(class_session.scheduled_class)
    per_person: dict[tuple[str, int], list[AttendanceLog]] = {}
    for log in AttendanceLog.objects.filter(class_session=class_session).exclude(teacher__isnull=True, student__isnull=True):
        key = ("teacher", log.teacher_id) if log.teacher_id else ("student", log.student_id)
        per_person.setdefault(key, []).append(log)
    existing = {a.person_key: a for a in ClassAttendance.objects.filter(class_session=class_session)}
    rows, write = [], []
    for (label, person_id), logs in per_person.items():
        clipped = [c for c in (intervals.clip(log.joined_at, log.left_at or now, lo, hi) for log in logs) if c]
        merged = intervals.union(clipped)
        figures = {
            "seconds": intervals.total_seconds(merged),
            "first_joined_at": merged[0][0] if merged else None,
            "last_left_at": merged[-1][1] if merged else None,
            "device_sessions": len(logs),
            "ongoing": any(log.left_at is None for log in logs),
        }
        key = f"{label}-{person_id}"
        row = existing.pop(key, None)
        if row is None:
            row = ClassAttendance(
                organization_id=class_session.organization_id, class_session=class_session, person_key=key,
                teacher_id=person_id if label == "teacher" else None, student_id=person_id if label == "student" else None,
                **figures,
            )
        elif all(getattr(row, name) == value for name, value in figures.items()):
            rows.append(row)
            continue
        else:
            for name, value in figures.items():
                setattr(row, name, value)
        row._changed = True
        write.append(row)
        rows.append(row)
    ClassAttendance.objects.bulk_create(
        write, update_conflicts=True, unique_fields=["class_session", "person_key"],
        update_fields=["seconds", "first_joined_at", "last_left_at", "device_sessions", "ongoing"],
    )
    if existing:  # people no longer in the logs (re-linked to someone else)
        ClassAttendance.objects.filter(pk__in=[a.pk for a in existing.values()]).delete()
        for gone in existing.values():
            if gone.check_in_id is not None:
                label, person_id = ("teacher", gone.teacher_id) if gone.teacher_id else ("student", gone.student_id)
                engine.session_remove(
                    organization=class_session.organization, source=ENGINE_SOURCE,
                    external_id=engine_external_id(class_session.pk, label, person_id),
                )
    return rows


def engine_external_id(class_session_id: int, label: str, person_id: int) -> str:
    return f"class-session-{class_session_id}:{label}-{person_id}"


def _record_engine_sessions(class_session: ClassSession, attendances: list[ClassAttendance]) -> None:
    """Record each person's attended time in the engine: one closed session per (class session, person).

    Idempotent by external id. Runs outside the sync's transaction; a failure is logged and the next
    sync (whose figures differ, or whose row has no check-in yet) records it again.
    """
    session_record = getattr(engine, "session_record", None)
    if session_record is None:  # pragma: no cover - engine without session_record
        logger.warning("meetings: attendance.services.session_record is missing; engine sessions not recorded")
        return
    teachers = {t.pk: t for t in Teacher.objects.filter(pk__in=[a.teacher_id for a in attendances if a.teacher_id])}
    students = {s.pk: s for s in Student.objects.filter(pk__in=[a.student_id for a in attendances if a.student_id])}
    for attendance in attendances:
        if not attendance.seconds or attendance.first_joined_at is None:
            continue
        label, person = ("teacher", teachers[attendance.teacher_id]) if attendance.teacher_id else ("student", students[attendance.student_id])
        try:
            result = session_record(
                organization=class_session.organization,
                attendee=person,
                checked_in_at=attendance.first_joined_at,
                # The engine's duration is the attended union, so its rollups add up to billed time.
                checked_out_at=attendance.first_joined_at + timedelta(seconds=attendance.seconds),
                method="google_meet",
                source=ENGINE_SOURCE,
                external_id=engine_external_id(class_session.pk, label, person.pk),
                metadata={
                    "class_session_id": class_session.pk,
                    "scheduled_class_id": class_session.scheduled_class_id,
                    "attended_seconds": attendance.seconds,
                    "last_left_at": attendance.last_left_at.isoformat() if attendance.last_left_at else None,
                    "device_sessions": attendance.device_sessions,
                },
            )
        except (DomainError, IntegrityError) as error:
            # Logged; the row keeps no check-in id, so the next sync records it again.
            logger.warning("meetings: engine session for %s not recorded: %s", person, getattr(error, "detail", error))
            continue
        row = getattr(result, "check_in", result)
        if row is not None and row.pk != attendance.check_in_id:
            ClassAttendance.objects.filter(pk=attendance.pk).update(check_in_id=row.pk)
            attendance.check_in_id = row.pk


# --- remembered participant links --------------------------------------------------------------


@dataclass(frozen=True)
class LinkPreview:
    """What linking an identity would touch: logs and classes, and the people they are matched to now."""

    logs: int
    classes: int
    already_matched: int


def _logs_of_identity(organization: Organization, participant_kind: str, identity: str, class_session: ClassSession | None):
    logs = AttendanceLog.objects.filter(organization=organization, participant_kind=participant_kind)
    logs = logs.filter(google_user_id=identity) if participant_kind == ParticipantKind.SIGNED_IN else logs.filter(display_name=identity)
    return logs.filter(class_session=class_session) if class_session is not None else logs


def participant_link_preview(
    *, organization: Organization, participant_kind: str, identity: str, class_session: ClassSession | None = None
) -> LinkPreview:
    """Count what `participant_link_create` would link, in one class or (no class) organization-wide."""
    logs = _logs_of_identity(organization, participant_kind, identity.strip(), class_session)
    return LinkPreview(
        logs=logs.count(), classes=logs.values("class_session_id").distinct().count(),
        already_matched=logs.filter(Q(teacher__isnull=False) | Q(student__isnull=False)).count(),
    )


def participant_link_create(
    *, organization: Organization, participant_kind: str, identity: str,
    teacher: Teacher | None = None, student: Student | None = None, class_session: ClassSession | None = None,
    organization_wide: bool = False, actor=None,
) -> tuple[ParticipantLink, int]:
    """Remember that a Meet identity is this teacher or student, and apply it to the existing logs.

    A signed-in user's Google id is unique, so its link holds in every class. A guest's or phone's
    display name is not: its link holds in `class_session` only, unless `organization_wide` is chosen
    explicitly (after `participant_link_preview`). Returns the link and the number of logs it
    matched; the affected classes get their attended time recomputed (and engine sessions recorded
    for completed classes).
    """
    if (teacher is None) == (student is None):
        raise MeetError("Link the participant to exactly one teacher or student.", code="link_needs_one_person", status_code=400)
    person = teacher or student
    if person.organization_id != organization.pk or (class_session is not None and class_session.organization_id != organization.pk):
        raise MeetError("That person or class belongs to another organization.", code="link_wrong_organization", status_code=400)
    identity = identity.strip()
    if not identity:
        raise MeetError("The participant has no identity to remember (no user id or display name).", code="link_no_identity", status_code=400)
    if participant_kind == ParticipantKind.SIGNED_IN or organization_wide:
        class_session = None
    elif class_session is None:
        raise MeetError(
            "A guest's or phone's name can belong to anyone: link it within one class, or choose the whole "
            "organization explicitly after previewing what it would link.", code="link_needs_class", status_code=400,
        )
    with transaction.atomic():
        link, _ = ParticipantLink.objects.update_or_create(
            organization=organization, class_session=class_session, participant_kind=participant_kind, identity=identity,
            defaults={"teacher": teacher, "student": student, "created_by": actor if getattr(actor, "pk", None) else None},
        )
        logs = _logs_of_identity(organization, participant_kind, identity, class_session)
        session_ids = sorted(set(logs.values_list("class_session_id", flat=True)))
        matched = logs.update(teacher=teacher, student=student)
        audit_log_record(
            organization=organization, action="meetings.participant_linked", actor=actor, target=link,
            data={"kind": participant_kind, "identity": identity, "logs": matched,
                  "class_session_id": class_session.pk if class_session else None},
        )
    now = timezone.now()
    for session_id in session_ids:
        with transaction.atomic():
            session = ClassSession.objects.select_for_update().select_related("scheduled_class", "organization").get(pk=session_id)
            rows = _recompute_attendances(session, now)
        if session.status == SessionStatus.COMPLETED:
            _record_engine_sessions(session, [a for a in rows if a.check_in_id is None or getattr(a, "_changed", False)])
    return link, matched
