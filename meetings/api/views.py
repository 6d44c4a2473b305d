"""The monitoring API of online classes: sync triggers, attendance logs, billing and payroll."""

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import validated as _valid
from config.errors import DomainError, NotFound
from meetings import selectors, services, sessions, tasks
from meetings.api import serializers as s
from meetings.api.renderers import CSVRenderer
from meetings.models import AttendanceLog, ScheduledClass, Teacher
from organizations.dates import local_today
from organizations.models import DESK_ROLES, MANAGER_ROLES, Role
from organizations.permissions import principal_user

ALL_ROLES = frozenset(Role)


class SyncParticipantsView(APIView):
    """Fetch one class's participants from Meet now (starting its session if its start has come)."""

    allowed_roles = DESK_ROLES
    error_codes = {
        404: ["class_not_found"],
        502: ["meet_error", "meet_not_found", "meet_temporarily_unavailable", "meet_space_missing"],
        503: ["meet_unavailable", "meet_no_credentials", "meet_scope_missing", "meet_credentials_rejected",
              "meet_access_denied"],
    }

    @extend_schema(request=None, responses={200: s.SyncParticipantsSerializer})
    def post(self, request, class_id: int):
        organization = request.principal.organization
        scheduled_class = ScheduledClass.objects.filter(organization=organization, pk=class_id).first()
        if scheduled_class is None:
            raise NotFound("No such class in this organization.", code="class_not_found")
        session = sessions.class_session_for_sync(scheduled_class=scheduled_class)
        result = services.class_session_sync(class_session=session, trigger="manual")
        return Response({
            "class_id": scheduled_class.pk,
            "class_session_id": session.pk,
            "status": result.class_session.status,
            "data_state": result.class_session.data_state,
            "outcome": result.outcome,
            "conference_records": result.records,
            "logs_created": result.logs_created,
            "logs_updated": result.logs_updated,
            "attendance": [
                {"person_type": "teacher" if a.teacher_id else "student", "person_id": a.teacher_id or a.student_id,
                 "seconds": a.seconds, "ongoing": a.ongoing}
                for a in result.attendances
            ],
        })


class SyncAllActiveView(APIView):
    """Queue a fetch for every active class of the organization (sessions due to start are started)."""

    allowed_roles = DESK_ROLES

    @extend_schema(request=None, responses={202: s.SyncQueuedSerializer})
    def post(self, request):
        organization = request.principal.organization
        with transaction.atomic():
            ids, finals = sessions.active_session_ids(organization=organization)
            tasks.enqueue_syncs(ids, trigger="manual")
            tasks.enqueue_syncs(finals, trigger="final")
        return Response({"queued": len(ids), "class_session_ids": ids}, status=status.HTTP_202_ACCEPTED)


class AttendanceLogListView(ListAPIView):
    """Attendance logs by `session_id` (a class session) or `user_email` (a teacher's or student's).

    Managers and the front desk see every log; a teacher with a login sees those of their own classes.
    """

    serializer_class = s.AttendanceLogSerializer
    allowed_roles = ALL_ROLES

    @extend_schema(parameters=[s.LogQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AttendanceLog.objects.none()
        query = _valid(s.LogQuerySerializer, self.request.query_params)
        principal = self.request.principal
        teacher_user = None
        if principal.role not in DESK_ROLES:
            user = principal_user(self.request)
            if not Teacher.objects.filter(organization=principal.organization, user=user).exists():
                raise PermissionDenied("Only managers, the front desk and the class's teacher may see attendance logs.")
            teacher_user = user
        return selectors.attendance_logs(
            organization=principal.organization, session_id=query.get("session_id"),
            user_email=query.get("user_email", ""), teacher_user=teacher_user,
        )


class _MonthReportView(APIView):
    allowed_roles = MANAGER_ROLES
    renderer_classes = [JSONRenderer, CSVRenderer]
    error_codes = {400: ["month_incomplete"]}

    def _month(self, request) -> tuple[int, int]:
        query = _valid(s.MonthQuerySerializer, request.query_params)
        today = local_today(request.principal.organization.tz)
        if ("year" in query) != ("month" in query):
            raise DomainError("Give both year and month, or neither for the current month.", code="month_incomplete")
        return query.get("year", today.year), query.get("month", today.month)

    def _respond(self, request, report: dict, rows: list[dict], name: str) -> Response:
        if getattr(request, "accepted_renderer", None) and request.accepted_renderer.format == "csv":
            filename = f"{name}-{report['year']}-{report['month']:02d}.csv"
            return Response({"csv": rows}, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
        return Response(report)


class FamilyBillingView(_MonthReportView):
    """Minutes and amount per family and student for a month (local time), JSON or CSV."""

    @extend_schema(parameters=[s.MonthQuerySerializer], responses=s.month_report(s.FamilyBillingSerializer))
    def get(self, request):
        year, month = self._month(request)
        report = selectors.family_billing(organization=request.principal.organization, year=year, month=month)
        rows = [
            {"year": year, "month": month, "family_id": f["family_id"], "family": f["name"], "student_id": st["student_id"],
             "student": st["name"], "classes": st["classes"], "seconds": st["seconds"], "minutes": f"{st['minutes']:.2f}",
             "rate_cents": f["rate_cents"], "rate_unit": f["rate_unit"], "amount_cents": st["amount_cents"]}
            for f in report["families"] for st in f["students"]
        ]
        return self._respond(request, report, rows, "billing-families")


class TeacherPayrollView(_MonthReportView):
    """Minutes and amount per teacher for a month (local time), JSON or CSV."""

    @extend_schema(parameters=[s.MonthQuerySerializer], responses=s.month_report(s.TeacherPayrollSerializer))
    def get(self, request):
        year, month = self._month(request)
        report = selectors.teacher_payroll(organization=request.principal.organization, year=year, month=month)
        rows = [
            {"year": year, "month": month, "teacher_id": t["teacher_id"], "teacher": t["name"], "email": t["email"],
             "classes": t["classes"], "seconds": t["seconds"], "minutes": f"{t['minutes']:.2f}",
             "rate_cents": t["rate_cents"], "rate_unit": t["rate_unit"], "amount_cents": t["amount_cents"]}
            for t in report["teachers"]
        ]
        return self._respond(request, report, rows, "payroll-teachers")


class StatusView(APIView):
    """The jobs, Meet access, recent failures and classes waiting for data, as JSON."""

    allowed_roles = DESK_ROLES

    @extend_schema(responses={200: s.MonitoringStatusSerializer})
    def get(self, request):
        organization = request.principal.organization
        now = timezone.now()
        return Response({
            "meet_access": selectors.meet_access(organization=organization),
            "jobs": [
                {"name": j.name, "task": j.task, "enabled": j.enabled, "installed": j.installed, "every_seconds": j.every_seconds,
                 "last_run_at": j.last_run_at, "next_run_at": j.next_run_at}
                for j in selectors.job_statuses(now=now)
            ],
            "recent_failures": s.SyncAttemptSerializer(selectors.recent_failures(organization=organization), many=True).data,
            "classes_waiting_for_data": [
                {"class_session_id": cs.pk, "class_id": cs.scheduled_class_id, "title": cs.scheduled_class.title,
                 "completed_at": cs.completed_at, "data_state": cs.data_state, "next_retry_at": cs.next_retry_at,
                 "last_error": cs.last_error}
                for cs in selectors.classes_waiting_for_data(organization=organization, now=now)
            ],
        })
