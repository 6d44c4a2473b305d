"""Reads of the meetings app: billing, payroll, attendance logs and the status page.

A person's attended time in a class counts toward the local month (academy time zone) of their
first join inside the class's counted window (`ClassAttendance.first_joined_at`). That instant is
the check-in of the engine session recorded for it, and the engine's rollups count a session in the
local month of its check-in: billing, payroll and the rollups agree by construction, also for a class
that crosses midnight at a month's end. Amounts are integer cents: per person and month,
round-half-up(attended seconds × rate ÷ seconds of the rate unit).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from meetings import beat, conf, sessions
from meetings.models import (
    RATE_UNIT_SECONDS,
    AttendanceLog,
    ClassAttendance,
    ClassSession,
    DataState,
    Family,
    GoogleCredential,
    SessionStatus,
    SyncAttempt,
    SyncOutcome,
    Teacher,
)
from organizations.dates import month_bounds
from organizations.models import Organization


def amount_cents(seconds: int, rate_cents: int, rate_unit: str) -> int:
    """Round half up, in integers: no float ever touches money."""
    unit = RATE_UNIT_SECONDS[rate_unit]
    return (2 * seconds * rate_cents + unit) // (2 * unit)


def minutes(seconds: int) -> float:
    return round(seconds / 60, 2)


def _month_attendance(organization: Organization, year: int, month: int):
    """The attendances billed in a local month: by first join, the engine session's check-in (see above)."""
    start, end = month_bounds(year, month, organization.tz)
    return ClassAttendance.objects.filter(organization=organization, first_joined_at__gte=start, first_joined_at__lt=end)


def family_billing(*, organization: Organization, year: int, month: int) -> dict:
    """Minutes and amount per family and student for a local month (four queries)."""
    totals = {
        row["student_id"]: row
        for row in _month_attendance(organization, year, month).filter(student__isnull=False)
        .values("student_id").annotate(seconds=Sum("seconds"), classes=Count("class_session", distinct=True))
    }
    families = []
    grand_seconds = grand_amount = 0
    for family in Family.objects.filter(organization=organization).prefetch_related("students").order_by("name", "id"):
        students = []
        for student in sorted(family.students.all(), key=lambda s: (s.last_name, s.first_name, s.pk)):
            row = totals.get(student.pk, {"seconds": 0, "classes": 0})
            seconds = row["seconds"] or 0
            students.append({
                "student_id": student.pk, "name": student.full_name, "email": student.email,
                "classes": row["classes"], "seconds": seconds, "minutes": minutes(seconds),
                "amount_cents": amount_cents(seconds, family.rate_cents, family.rate_unit),
            })
        seconds = sum(s["seconds"] for s in students)
        amount = sum(s["amount_cents"] for s in students)
        grand_seconds += seconds
        grand_amount += amount
        families.append({
            "family_id": family.pk, "name": family.name, "billing_email": family.billing_email,
            "rate_cents": family.rate_cents, "rate_unit": family.rate_unit,
            "seconds": seconds, "minutes": minutes(seconds), "amount_cents": amount, "students": students,
        })
    return {
        "year": year, "month": month, "time_zone": organization.time_zone, "families": families,
        "total_seconds": grand_seconds, "total_minutes": minutes(grand_seconds), "total_amount_cents": grand_amount,
    }


def teacher_payroll(*, organization: Organization, year: int, month: int) -> dict:
    """Minutes and amount per teacher for a local month (two queries)."""
    totals = {
        row["teacher_id"]: row
        for row in _month_attendance(organization, year, month).filter(teacher__isnull=False)
        .values("teacher_id").annotate(seconds=Sum("seconds"), classes=Count("class_session", distinct=True))
    }
    teachers = []
    for teacher in Teacher.objects.filter(organization=organization).order_by("last_name", "first_name", "id"):
        row = totals.get(teacher.pk, {"seconds": 0, "classes": 0})
        seconds = row["seconds"] or 0
        teachers.append({
            "teacher_id": teacher.pk, "name": teacher.full_name, "email": teacher.email, "classes": row["classes"],
            "seconds": seconds, "minutes": minutes(seconds), "rate_cents": teacher.pay_rate_cents,
            "rate_unit": teacher.pay_rate_unit, "amount_cents": amount_cents(seconds, teacher.pay_rate_cents, teacher.pay_rate_unit),
        })
    return {
        "year": year, "month": month, "time_zone": organization.time_zone, "teachers": teachers,
        "total_seconds": sum(t["seconds"] for t in teachers), "total_amount_cents": sum(t["amount_cents"] for t in teachers),
    }


def attendance_logs(*, organization: Organization, session_id: int | None = None, user_email: str = "", teacher_user=None):
    """Logs of the organization, by class session or by the email of the matched person.

    With `teacher_user`, only logs of classes that user teaches.
    """
    logs = AttendanceLog.objects.filter(organization=organization).select_related(
        "teacher", "student", "class_session__scheduled_class"
    )
    if session_id is not None:
        logs = logs.filter(class_session_id=session_id)
    if user_email:
        logs = logs.filter(Q(teacher__email__iexact=user_email) | Q(student__email__iexact=user_email))
    if teacher_user is not None:
        logs = logs.filter(class_session__scheduled_class__teacher__user=teacher_user)
    return logs.order_by("joined_at", "id")


# --- the status page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JobStatus:
    name: str
    task: str
    enabled: bool
    every_seconds: int | None
    last_run_at: datetime | None
    next_run_at: datetime | None
    installed: bool


def job_statuses(*, now: datetime | None = None) -> list[JobStatus]:
    """Each meetings job with its last run (django-celery-beat) and the next one its interval implies."""
    now = now or timezone.now()
    tasks = {t.name: t for t in PeriodicTask.objects.filter(name__in=[e["name"] for e in beat.schedules()]).select_related("interval")}
    statuses = []
    for entry in beat.schedules():
        task = tasks.get(entry["name"])
        every = entry["every_seconds"]
        last = task.last_run_at if task else None
        if task is not None and task.interval is not None:
            every = task.interval.every * {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}.get(task.interval.period, 1)
        next_run = max(last + timedelta(seconds=every), now) if last else (now if task and task.enabled else None)
        statuses.append(JobStatus(
            name=entry["name"], task=entry["task"], enabled=bool(task and task.enabled), every_seconds=every,
            last_run_at=last, next_run_at=next_run, installed=task is not None,
        ))
    return statuses


def meet_access(*, organization: Organization) -> dict:
    """Whether the jobs can reach Meet for this organization, and the message to show when not: every
    "not available" message ends with the command that fixes it, with the organization's slug."""
    credential = GoogleCredential.objects.filter(organization=organization).first()
    fix = conf.setup_command(organization.slug)
    if credential is None:
        return {"ok": False, "message": conf.with_fix(conf.NO_CREDENTIALS_MESSAGE, organization.slug), "fix": fix,
                "account_email": ""}
    if conf.MEET_READONLY_SCOPE not in (credential.scopes or []):
        return {"ok": False, "message": conf.with_fix(conf.NO_SCOPE_MESSAGE, organization.slug), "fix": fix,
                "account_email": credential.account_email}
    last = (
        SyncAttempt.objects.filter(organization=organization).exclude(outcome=SyncOutcome.RUNNING).order_by("-started_at", "-id").first()
    )
    if last is not None and last.outcome == SyncOutcome.NO_ACCESS:
        return {"ok": False, "message": conf.with_fix(last.error, organization.slug), "fix": fix,
                "account_email": credential.account_email}
    return {"ok": True, "message": "Google Meet API access configured.", "fix": "", "account_email": credential.account_email}


def recent_failures(*, organization: Organization, limit: int = 20):
    return (
        SyncAttempt.objects.filter(organization=organization)
        .exclude(outcome__in=[SyncOutcome.SUCCESS, SyncOutcome.RUNNING])
        .select_related("class_session__scheduled_class")
        .order_by("-started_at", "-id")[:limit]
    )


def classes_waiting_for_data(*, organization: Organization, now: datetime | None = None):
    """Completed classes within their retry window whose final data is not in yet."""
    now = now or timezone.now()
    waiting = ClassSession.objects.filter(organization=organization, status=SessionStatus.COMPLETED).exclude(
        data_state=DataState.FINAL
    )
    return sessions.within_retry_window(waiting, now).select_related("scheduled_class__teacher").order_by("completed_at", "id")


def active_sessions(*, organization: Organization):
    return (
        ClassSession.objects.filter(organization=organization, status=SessionStatus.ACTIVE)
        .select_related("scheduled_class__teacher")
        .order_by("started_at", "id")
    )
