"""The staff REST API under /api/staff/<hotel_slug>/. Views parse, call a service or selector, shape."""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.views import APIView

from attendance.api.permissions import record_options
from attendance.models import with_open_session
from config.api import JSONParser
from config.api import validated as _valid
from config.errors import DomainError, Forbidden, NotFound
from organizations.dates import local_today
from organizations.idempotency import HEADER_PARAMETER, idempotent
from organizations.models import MANAGER_ROLES, WORKER_ROLES, DeviceKind, Role
from organizations.permissions import principal_user
from organizations.pusher_client import get_pusher
from organizations.realtime import pusher_channel_name
from staff import selectors, services
from staff.api import serializers as s
from staff.events import hotel_channel
from staff.exports import csv_filename, timesheet_csv
from staff.models import Staff

ANY_ROLE = frozenset(Role.values)


def _clock_response(result, staff) -> Response:
    body = s.ClockOutputSerializer.of(result)
    warning = selectors.shift_warning(staff=staff, at=result.clock_time) if result.action == "clock_in" else None
    if warning:
        body["shift_warning"] = warning
    return Response(body)


class HotelView(APIView):
    organization_url_kwarg = "hotel_slug"
    allowed_roles = ANY_ROLE

    @property
    def hotel(self):
        return self.request.principal.organization

    @property
    def actor(self):
        return principal_user(self.request)

    def me(self):
        return selectors.staff_for_user(organization=self.hotel, user=self.actor)


class ClockView(HotelView):
    """Toggle the caller's clock: in when off duty, out when on duty."""

    @extend_schema(request=s.ClockInputSerializer, responses={200: s.ClockOutputSerializer},
                   parameters=[HEADER_PARAMETER])
    @idempotent
    def post(self, request, hotel_slug):
        data = _valid(s.ClockInputSerializer, request.data)
        staff = self.me()
        result = services.staff_clock_toggle(staff=staff, method=data["method"], actor=self.actor)
        return _clock_response(result, staff)


class ClockInView(HotelView):
    """Clock the caller in; 409 `already_on_duty` if they already are."""

    @extend_schema(request=s.ClockInputSerializer, responses={200: s.ClockOutputSerializer},
                   parameters=[HEADER_PARAMETER])
    @idempotent
    def post(self, request, hotel_slug):
        data = _valid(s.ClockInputSerializer, request.data)
        staff = self.me()
        result = services.staff_clock_in(staff=staff, method=data["method"], actor=self.actor)
        return _clock_response(result, staff)


class ClockOutView(HotelView):
    """Clock the caller out; 409 `not_on_duty` if they are not on duty."""

    @extend_schema(request=None, responses={200: s.ClockOutputSerializer}, parameters=[HEADER_PARAMETER])
    @idempotent
    def post(self, request, hotel_slug):
        staff = self.me()
        result = services.staff_clock_out(staff=staff, actor=self.actor)
        return _clock_response(result, staff)


class MeView(HotelView):
    """The caller's staff record and clock state."""

    @extend_schema(responses={200: s.StaffSerializer})
    def get(self, request, hotel_slug):
        return Response(s.StaffSerializer(self.me()).data)


class StaffListView(HotelView):
    """Every staff member of the hotel with their clock state (workers of the hotel)."""

    allowed_roles = WORKER_ROLES

    @extend_schema(responses={200: s.StaffSerializer(many=True)})
    def get(self, request, hotel_slug):
        people = with_open_session(self.hotel.staff_members.all()).annotate(
            last_clock_in=Staff.last_clock_in_subquery(), last_clock_out=Staff.last_clock_out_subquery()
        ).order_by(
            "department", "last_name", "first_name", "id"
        )
        return Response(s.StaffSerializer(people, many=True).data)


class OnBehalfClockInView(HotelView):
    """A manager clocks a staff member in, with a reason kept in the audit log."""

    @extend_schema(request=s.OnBehalfInputSerializer, responses={200: s.ClockOutputSerializer})
    def post(self, request, hotel_slug, staff_id):
        data = _valid(s.OnBehalfInputSerializer, request.data)
        staff = selectors.staff_get(organization=self.hotel, staff_id=staff_id)
        record_options(request, staff, at=data.get("at"), reason=data["reason"])  # the hotel's policy: who, when
        result = services.staff_clock_in(staff=staff, method=data["method"], actor=self.actor, at=data.get("at"),
                                         reason=data["reason"])
        return Response(s.ClockOutputSerializer.of(result))


class OnBehalfClockOutView(HotelView):
    """A manager clocks a staff member out, with a reason kept in the audit log."""

    @extend_schema(request=s.OnBehalfInputSerializer, responses={200: s.ClockOutputSerializer})
    def post(self, request, hotel_slug, staff_id):
        data = _valid(s.OnBehalfInputSerializer, request.data)
        staff = selectors.staff_get(organization=self.hotel, staff_id=staff_id)
        record_options(request, staff, at=data.get("at"), reason=data["reason"])  # the hotel's policy: who, when
        result = services.staff_clock_out(staff=staff, actor=self.actor, at=data.get("at"), reason=data["reason"])
        return Response(s.ClockOutputSerializer.of(result))


class ShiftsView(HotelView):
    """A staff member's weekly schedule: anyone of the hotel's workers reads it, managers replace it."""

    allowed_roles = WORKER_ROLES

    def get_permissions(self):
        if self.request.method == "PUT":
            self.allowed_roles = MANAGER_ROLES
        return super().get_permissions()

    def _shifts(self, staff):
        from attendance import registry
        from attendance.models import WeeklyShift
        from staff.models import Staff

        rows = WeeklyShift.objects.filter(attendee_type=registry.content_type_for(Staff), attendee_id=staff.pk,
                                          valid_until__isnull=True)
        return {"staff_id": staff.pk, "shifts": s.ShiftSerializer(rows.order_by("weekday"), many=True).data}

    @extend_schema(responses={200: s.ShiftsInputSerializer})
    def get(self, request, hotel_slug, staff_id):
        return Response(self._shifts(selectors.staff_get(organization=self.hotel, staff_id=staff_id)))

    @extend_schema(request=s.ShiftsInputSerializer, responses={200: s.ShiftsInputSerializer})
    def put(self, request, hotel_slug, staff_id):
        data = _valid(s.ShiftsInputSerializer, request.data)
        staff = selectors.staff_get(organization=self.hotel, staff_id=staff_id)
        services.staff_shifts_set(staff=staff, shifts=data["shifts"], actor=self.actor,
                                  effective_from=data.get("effective_from"))
        return Response(self._shifts(staff))


class BoardView(HotelView):
    """The big screen's snapshot: on duty since when, counts per department, recent clock events."""

    allow_devices = {DeviceKind.DISPLAY}

    @extend_schema(responses={200: s.BoardSerializer})
    def get(self, request, hotel_slug):
        return Response(selectors.board_snapshot(organization=self.hotel))


def timesheet_for_request(request, hotel, role, user) -> dict:
    """Resolve the period and scope of a timesheet request (staff see only their own)."""
    data = _valid(s.PeriodSerializer, request.query_params if hasattr(request, "query_params") else request.GET)
    today = local_today(hotel.tz)
    start = data.get("start") or today.replace(day=1)
    end = data.get("end") or max(today, start)
    if (end - start).days >= s.MAX_PERIOD_DAYS or end < start:
        raise DomainError("Choose a period of at most a year, end after start.", code="invalid_period")
    staff_ids = [data["staff_id"]] if "staff_id" in data else None
    if role not in MANAGER_ROLES:
        mine = selectors.staff_for_user(organization=hotel, user=user)
        if staff_ids is not None and staff_ids != [mine.pk]:
            raise NotFound("No such staff member in this hotel.", code="staff_not_found")
        staff_ids = [mine.pk]
    elif staff_ids is not None:
        selectors.staff_get(organization=hotel, staff_id=staff_ids[0])
    return selectors.timesheet(organization=hotel, start=start, end=end, staff_ids=staff_ids,
                               include_sessions=staff_ids is not None)


class TimesheetView(HotelView):
    """Hours, overtime, half days, late arrivals and auto-closed sessions for a period (local dates)."""

    @extend_schema(parameters=[s.PeriodSerializer], responses={200: s.TimesheetSerializer})
    def get(self, request, hotel_slug):
        return Response(timesheet_for_request(request, self.hotel, request.principal.role, self.actor))


class TimesheetCsvView(HotelView):
    """The same timesheet as CSV."""

    @extend_schema(parameters=[s.PeriodSerializer], responses={(200, "text/csv"): str})
    def get(self, request, hotel_slug):
        data = timesheet_for_request(request, self.hotel, request.principal.role, self.actor)
        response = HttpResponse(timesheet_csv(data), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{csv_filename(data)}"'
        return response


class PusherAuthView(HotelView):
    """Sign a Pusher private-channel subscription for the hotel's own channel only."""

    allow_devices = {DeviceKind.DISPLAY}
    parser_classes = [JSONParser, FormParser]  # pusher-js posts its auth request form-encoded
    error_codes = {403: ["channel_forbidden"], 404: ["pusher_not_configured"]}

    @extend_schema(
        # pusher-js posts the same fields form-encoded; the schema declares JSON only, since generated
        # clients cannot take one body under two media types.
        request={"application/json": s.PusherAuthInputSerializer}, responses={200: s.PusherAuthSerializer},
    )
    def post(self, request, hotel_slug):
        if not settings.PUSHER_ENABLED:
            raise NotFound("Pusher is not configured on this server.", code="pusher_not_configured")
        data = _valid(s.PusherAuthInputSerializer, request.data)
        expected = pusher_channel_name(hotel_channel(self.hotel.slug))
        if not expected.startswith("private-") or data["channel_name"] != expected:
            raise Forbidden(f"You may subscribe only to {expected}.", code="channel_forbidden")
        return Response(get_pusher().authenticate(channel=data["channel_name"], socket_id=data["socket_id"]))
