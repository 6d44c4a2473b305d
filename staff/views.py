"""Staff pages: the clock page, the big-screen board and the timesheet (HTML and CSV)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import ValidationError

from attendance import registry
from attendance.models import WeeklyShift
from config.errors import DomainError, NotFound
from organizations.authentication import device_for_key
from organizations.models import MANAGER_ROLES, DeviceKind
from organizations.tenancy import resolve_principal
from staff.api.views import timesheet_for_request
from staff.exports import csv_filename, timesheet_csv
from staff.kiosk import kiosk_credentials_set
from staff.models import Staff


def _principal(request, hotel_slug):
    return resolve_principal(user=request.user, device=None, slug=hotel_slug)


def _context(request, principal, **extra) -> dict:
    hotel = principal.organization
    me = Staff.objects.filter(organization=hotel, user=request.user).first() if principal.user else None
    return {"hotel": hotel, "role": principal.role, "clock_staff": me, "is_manager": principal.role in MANAGER_ROLES,
            # The navbar names the hotel of the page, not the user's first organization.
            "current_organization": hotel, "current_role": principal.role,
            "hotel_config": _config(hotel, user_id=request.user.pk, staff=me, display_key=""), **extra}


def _config(hotel, *, user_id, staff, display_key) -> dict:
    """What the page's scripts need: the hotel, who is looking, and the display key of a TV."""
    return {"slug": hotel.slug, "timeZone": hotel.time_zone, "userId": user_id,
            "staffId": staff.pk if staff else None, "displayKey": display_key}


@require_GET
@login_required
@ensure_csrf_cookie
def staff_home(request, hotel_slug):
    """My clock (for staff) and the hotel's staff list with on-behalf clocking (for managers)."""
    return _home(request, _principal(request, hotel_slug))


def _home(request, principal, status=200, **extra):
    context = _context(request, principal, **extra)
    if context["clock_staff"] is not None:
        ct = registry.content_type_for(Staff)
        context["my_shifts"] = WeeklyShift.objects.filter(attendee_type=ct, attendee_id=context["clock_staff"].pk,
                                                         valid_until__isnull=True)
    if principal.role in MANAGER_ROLES or principal.role == "receptionist":
        context["people"] = Staff.objects.filter(organization=principal.organization).order_by(
            "department", "last_name", "first_name")
    return render(request, "staff/home.html", context, status=status)


@require_POST
@login_required
def kiosk_pin_set(request, hotel_slug):
    """A staff member sets their own kiosk PIN (signed in: no current password asked)."""
    principal = _principal(request, hotel_slug)
    me = Staff.objects.filter(organization=principal.organization, user=request.user).first()
    if me is None:
        raise Http404("You are not on this hotel's staff.")
    try:
        kiosk_credentials_set(staff=me, pin=request.POST.get("pin", ""), actor=request.user)
    except DomainError as error:
        return _home(request, principal, status=400, pin_error=error.detail)
    messages.success(request, "Your kiosk PIN is set.")
    return redirect("staff-home", hotel_slug=principal.organization.slug)


@require_GET
@ensure_csrf_cookie
def board(request, hotel_slug):
    """The full-screen board. A TV opens it with `?key=<display key>`; a person signs in."""
    raw_key = request.GET.get("key", "")
    if raw_key:
        device = device_for_key(raw_key)
        if device is None or device.organization.slug != hotel_slug or device.kind != DeviceKind.DISPLAY:
            raise Http404("No such board.")
        context = {"hotel": device.organization, "clock_staff": None,
                   "hotel_config": _config(device.organization, user_id=None, staff=None, display_key=raw_key)}
    else:
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        context = _context(request, _principal(request, hotel_slug))
    return render(request, "staff/board.html", context)


def _timesheet(request, hotel_slug):
    principal = _principal(request, hotel_slug)
    try:
        data = timesheet_for_request(request, principal.organization, principal.role, request.user)
    except ValidationError as error:
        raise DomainError(str(error.detail), code="invalid") from error
    return principal, data


@require_GET
@login_required
@ensure_csrf_cookie
def timesheet_page(request, hotel_slug):
    try:
        principal, data = _timesheet(request, hotel_slug)
    except NotFound as error:  # not on the staff, or someone else's / another hotel's staff id
        raise Http404(error.detail) from error
    except DomainError as error:
        principal = _principal(request, hotel_slug)
        return render(request, "staff/timesheet.html", _context(request, principal, error=error.detail), status=400)
    context = _context(request, principal, data=data, query=request.GET.urlencode())
    return render(request, "staff/timesheet.html", context)


@require_GET
@login_required
def timesheet_csv_page(request, hotel_slug):
    try:
        _, data = _timesheet(request, hotel_slug)
    except NotFound as error:
        raise Http404(error.detail) from error
    except DomainError as error:
        return HttpResponse(error.detail, status=400, content_type="text/plain")
    response = HttpResponse(timesheet_csv(data), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(data)}"'
    return response
