"""The bookings reports API: the figures a studio manager reads, as JSON or CSV."""

import csv
import io

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import renderers
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import customer_reports, selectors
from bookings.api import serializers as s
from bookings.api.views import PERIOD_PARAMETERS, REPORT_SCHEMA, CSVRenderer, StudioView, customer_for, report_body
from config.api import Pagination
from config.api import validated as _valid
from organizations.dates import local_today
from organizations.models import DESK_ROLES, MANAGER_ROLES


class ReportView(StudioView, APIView):
    """A report over `?start=&end=` (local dates, default: the last 30 days up to today), as JSON or
    `?format=csv` (the report's table)."""

    allowed_roles = MANAGER_ROLES
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]
    filename = "report"
    default_days = 30
    params_serializer = s.PeriodSerializer

    def period(self):
        params = _valid(self.params_serializer, self.request.query_params.dict(),
                        today=local_today(self.organization.tz), default_days=self.default_days)
        return params, params["start"], params["end"]

    def report(self, params, start, end) -> dict:
        raise NotImplementedError

    def table(self, report: dict) -> list[dict]:
        return report.get("rows", [report])

    @REPORT_SCHEMA
    def get(self, request, **kwargs):
        params, start, end = self.period()
        report = self.report(params, start, end)
        if request.accepted_renderer.format == "csv":
            name = f"{self.filename}-{start.isoformat()}-{end.isoformat()}.csv"
            return Response(self.table(report), headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return Response(report)


def _flat(row: dict) -> dict:
    return {k: v for k, v in row.items() if not isinstance(v, (dict, list))}


@report_body(s.StatisticsReportSerializer)
class StatisticsReport(ReportView):
    filename = "statistics"

    def report(self, params, start, end):
        return selectors.statistics(organization=self.organization, start=start, end=end)

    def table(self, report):
        return [{"start": report["period"]["start"], "end": report["period"]["end"], **_flat(report)}]


@report_body(s.CapacityReportSerializer)
class CapacityReport(ReportView):
    filename = "capacity"
    csv_columns = ["class_type_id", "class_type", "venue_id", "venue", "classes", "places", "bookings", "attended",
                   "attendance_rate", "utilisation", "booked_utilisation"]

    def report(self, params, start, end):
        return selectors.capacity(organization=self.organization, start=start, end=end)


@report_body(s.LateArrivalsReportSerializer)
class LateArrivalsReport(ReportView):
    """Late arrivals of the last 7 days by default, most minutes late first (`?order=class_start`
    for the order of the classes); the CSV is the list of late arrivals."""

    filename = "late-arrivals"
    csv_columns = ["class_type_id", "class_type", "attended", "late", "late_rate", "average_minutes_late", "max_minutes_late"]
    default_days = 7
    params_serializer = s.LateArrivalsParamsSerializer

    @extend_schema(parameters=[*PERIOD_PARAMETERS, OpenApiParameter(
        "order", OpenApiTypes.STR, enum=list(selectors.LATE_ORDERINGS), description="Default: minutes_late (descending).",
    )], responses={200: OpenApiTypes.OBJECT})
    def get(self, request, **kwargs):
        return super().get(request, **kwargs)

    def report(self, params, start, end):
        return selectors.late_arrivals(organization=self.organization, start=start, end=end, order=params["order"])

    def table(self, report):
        return report["arrivals"]


@report_body(s.TimelineReportSerializer, parameters=[
    OpenApiParameter("granularity", str, enum=["day", "week", "month"], description="Default: day."),
])
class TimelineReport(ReportView):
    filename = "timeline"

    def report(self, params, start, end):
        return selectors.timeline(organization=self.organization, start=start, end=end,
                                  granularity=params.get("granularity") or "day")


@report_body(s.InstructorReportSerializer)
class InstructorReport(ReportView):
    filename = "instructors"
    csv_columns = ["instructor_id", "instructor", "classes_taught", "attended", "average_attendance", "places",
                   "utilisation", "no_shows", "no_show_rate"]

    def report(self, params, start, end):
        return selectors.instructor_performance(organization=self.organization, start=start, end=end)


@report_body(s.RevenueReportSerializer)
class RevenueReport(ReportView):
    filename = "revenue"
    csv_columns = ["method", "bookings", "paid_pennies", "refunded_pennies", "net_pennies"]

    def report(self, params, start, end):
        return selectors.revenue(organization=self.organization, start=start, end=end)


@report_body(s.PeakHoursReportSerializer)
class PeakHoursReport(ReportView):
    filename = "peak-hours"

    def report(self, params, start, end):
        return selectors.peak_hours(organization=self.organization, start=start, end=end)

    def table(self, report):
        return report["cells"]


@report_body(s.EngagementReportSerializer, parameters=[
    OpenApiParameter("lapsed_days", int, description="Days without a class that make a customer lapsed."),
])
class EngagementReport(ReportView):
    filename = "engagement"
    csv_columns = ["customer_id", "name", "last_attended"]  # the lapsed customers

    def report(self, params, start, end):
        return customer_reports.engagement(organization=self.organization, start=start, end=end,
                                    lapsed_days=params.get("lapsed_days"))

    def table(self, report):
        return report["lapsed"]


@report_body(s.CustomerHistoryReportSerializer)
class CustomerHistoryReport(ReportView):
    filename = "customer-history"
    csv_columns = ["booking_id", "class_id", "class_type", "venue", "instructors", "starts_at", "status", "method",
                   "was_late", "minutes_late"]
    allowed_roles = DESK_ROLES

    @REPORT_SCHEMA
    def get(self, request, customer_id):
        customer = customer_for(self.organization, customer_id)
        params = _valid(s.PeriodSerializer, request.query_params.dict())
        report = customer_reports.customer_history(organization=self.organization, customer=customer,
                                            start=params.get("start"), end=params.get("end"))
        if request.accepted_renderer.format == "csv":
            return Response(report["bookings"],
                            headers={"Content-Disposition": f'attachment; filename="customer-{customer.pk}.csv"'})
        return Response(report)


class AttendancesReport(ReportView):
    """The all-attendances view: paginated JSON, or every row as streamed CSV."""

    filename = "attendances"

    @extend_schema(
        parameters=[*PERIOD_PARAMETERS, s.AttendanceFilterSerializer],
        responses={(200, "application/json"): s.AttendancesPageSerializer, (200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request, **kwargs):
        params = _valid(s.AttendanceFilterSerializer, request.query_params.dict(),
                        today=local_today(self.organization.tz), default_days=30)
        start, end = params["start"], params["end"]
        rows = selectors.attendances(organization=self.organization, start=start, end=end, filters=params)
        if request.accepted_renderer.format == "csv":
            return self._stream(rows, f"attendances-{start.isoformat()}-{end.isoformat()}.csv")
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(selectors.attendance_rows(self.organization, page))

    def _stream(self, rows, filename):
        organization = self.organization

        def chunks():
            batch: list = []
            header = True
            for booking in rows.iterator(chunk_size=2000):
                batch.append(booking)
                if len(batch) == 2000:
                    yield _csv_chunk(organization, batch, header)
                    header, batch = False, []
            if batch or header:
                yield _csv_chunk(organization, batch, header)

        # Under ASGI (uvicorn) Django wants an asynchronous iterator, or it warns and buffers the whole file.
        content = _async_chunks(chunks()) if getattr(self.request, "scope", None) is not None else chunks()
        response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


async def _async_chunks(iterator):
    """Yield a synchronous iterator's chunks from an async context, each read in the request's database thread."""
    read = sync_to_async(next, thread_sensitive=True)
    while (chunk := await read(iterator, None)) is not None:
        yield chunk


ATTENDANCE_COLUMNS = ["booking_id", "class_id", "class_type", "venue", "instructors", "starts_at", "customer_id",
                      "customer", "membership_status", "membership_plan", "status", "method", "was_late", "minutes_late"]


def _csv_chunk(organization, bookings, header: bool) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ATTENDANCE_COLUMNS)
    if header:
        writer.writeheader()
    writer.writerows(selectors.attendance_rows(organization, bookings))
    return out.getvalue()
