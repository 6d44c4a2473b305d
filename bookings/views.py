"""Pages: the manager's reports dashboard, the front desk's class list and class roster (check-in,
cancel). Charts are server-side SVG; forms post to thin views that call the services."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from attendance.models import Member
from bookings import checkins, customer_reports, rls, selectors, services
from bookings.models import Booking, BookingSource, FitnessClass, WaitlistEntry
from config.errors import DomainError
from organizations.dates import local_today
from organizations.models import DESK_ROLES, MANAGER_ROLES
from organizations.tenancy import resolve_principal

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
CHART_HEIGHT = 160


def _principal(request, slug, roles):
    principal = resolve_principal(user=request.user, device=None, slug=slug)  # 404 for other tenants
    if principal.role not in roles:
        raise PermissionDenied
    rls.activate(principal.organization)
    return principal


def _date_param(request, name: str) -> date | None:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


def _presets(today: date) -> list[dict]:
    first_this = today.replace(day=1)
    last_prev = first_this - timedelta(days=1)
    return [
        {"label": "Last 7 days", "start": today - timedelta(days=6), "end": today},
        {"label": "Last 30 days", "start": today - timedelta(days=29), "end": today},
        {"label": "This month", "start": first_this, "end": today},
        {"label": "Last month", "start": last_prev.replace(day=1), "end": last_prev},
        {"label": "Last 90 days", "start": today - timedelta(days=89), "end": today},
    ]


def _stacked_bars(rows: list[dict], keys: list[str], label_key: str = "period_start") -> dict:
    """SVG geometry of a stacked bar chart: one bar per row, one segment per key."""
    peak = max((sum(r[k] for k in keys) for r in rows), default=0) or 1
    width = max(4, min(40, 760 // max(1, len(rows))))
    bars = []
    for i, row in enumerate(rows):
        y = CHART_HEIGHT
        segments = []
        for key in keys:
            h = round(row[key] / peak * CHART_HEIGHT, 1)
            y -= h
            segments.append({"key": key, "value": row[key], "y": round(y, 1), "height": h})
        bars.append({"x": i * width, "width": width - 1, "label": row[label_key], "segments": segments,
                     "total": sum(row[k] for k in keys)})
    return {"bars": bars, "width": len(rows) * width, "height": CHART_HEIGHT, "peak": peak,
            "label_every": max(1, len(rows) // 10)}


def _bar_rows(rows: list[dict], value_key: str, label_key: str) -> list[dict]:
    peak = max((r[value_key] or 0 for r in rows), default=0) or 1
    return [{**r, "label": r[label_key], "value": r[value_key] or 0, "pct_width": round((r[value_key] or 0) / peak * 100, 1)}
            for r in rows]


def _heat_map(report: dict) -> dict:
    peak = report["max_attended"] or 1
    hours = [h for h in range(24) if any(report["bookings"][d][h] for d in range(7))] or list(range(6, 22))
    hours = list(range(min(hours), max(hours) + 1))
    cells = []
    for d in range(7):
        for j, h in enumerate(hours):
            value = report["attended"][d][h]
            cells.append({"x": 44 + j * 30, "y": 18 + d * 26, "value": value, "booked": report["bookings"][d][h],
                          "opacity": round(0.08 + 0.92 * value / peak, 2) if value else 0, "weekday": WEEKDAYS[d], "hour": h})
    return {"cells": cells, "hours": [{"x": 44 + j * 30 + 15, "hour": h} for j, h in enumerate(hours)],
            "days": [{"y": 18 + d * 26 + 17, "name": WEEKDAYS[d]} for d in range(7)],
            "width": 44 + len(hours) * 30, "height": 18 + 7 * 26}


@login_required
def reports_dashboard(request, slug):
    """The manager's dashboard: every report of the chosen period as charts and tables."""
    principal = _principal(request, slug, MANAGER_ROLES)
    organization = principal.organization
    today = local_today(organization.tz)
    end = _date_param(request, "end") or today
    start = _date_param(request, "start") or end - timedelta(days=29)
    if start > end:
        start, end = end, start
    if (end - start).days > 3 * 366:
        start = end - timedelta(days=3 * 366)
    days = (end - start).days + 1
    granularity = "day" if days <= 45 else "week" if days <= 210 else "month"
    kwargs = {"organization": organization, "start": start, "end": end}
    timeline = selectors.timeline(**kwargs, granularity=granularity)
    stats = selectors.statistics(**kwargs)
    capacity = selectors.capacity(**kwargs)
    instructors = selectors.instructor_performance(**kwargs)
    revenue = selectors.revenue(**kwargs)
    late = selectors.late_arrivals(**kwargs)
    peak = selectors.peak_hours(**kwargs)
    engagement = customer_reports.engagement(**kwargs)
    query = f"?start={start.isoformat()}&end={end.isoformat()}"
    api = "/api/v1/bookings/reports/"
    context = {
        "organization": organization,
        "start": start, "end": end, "granularity": granularity,
        "presets": _presets(today),
        "stats": stats,
        "timeline_chart": _stacked_bars(timeline["rows"], ["attended", "no_shows", "late_cancellations", "registered"]),
        "capacity": _bar_rows(capacity["rows"], "utilisation", "class_type"),
        "instructors": _bar_rows(instructors["rows"], "average_attendance", "instructor"),
        "revenue": _bar_rows(revenue["rows"], "net_pennies", "method"),
        "revenue_total": revenue["total"],
        "late": late,
        "late_buckets": _bar_rows(late["minutes_late_buckets"], "bookings", "minutes"),
        "heat": _heat_map(peak),
        "busiest": peak["busiest"],
        "busiest_day": WEEKDAYS[peak["busiest"]["weekday"] - 1] if peak["busiest"] else None,
        "engagement": engagement,
        "bands": _bar_rows(engagement["frequency_bands"], "customers", "attended"),
        "csv": {name.replace("-", "_"): f"{api}{name}/{query}&format=csv&org={organization.slug}" for name in (
            "statistics", "capacity", "late-arrivals", "timeline", "instructors", "revenue", "peak-hours",
            "engagement", "attendances")},
        "query": query,
    }
    return render(request, "bookings/reports.html", context)


@login_required
def desk(request, slug):
    """The front desk's list of a day's classes with bookings, places left and waitlists."""
    principal = _principal(request, slug, DESK_ROLES)
    organization = principal.organization
    day = _date_param(request, "date") or local_today(organization.tz)
    classes = list(selectors.classes_on(organization=organization, day=day))
    waiting = {}
    for entry in WaitlistEntry.objects.filter(fitness_class__in=classes, status="waiting").values("fitness_class_id"):
        waiting[entry["fitness_class_id"]] = waiting.get(entry["fitness_class_id"], 0) + 1
    tz = organization.tz
    rows = [{
        "cls": c, "starts": c.starts_at.astimezone(tz), "ends": c.ends_at.astimezone(tz), "capacity": c.capacity,
        "left": max(0, c.capacity - c.booked), "waiting": waiting.get(c.pk, 0),
        "instructors": ", ".join(i.name for i in c.instructors.all()),
    } for c in classes]
    return render(request, "bookings/desk.html", {
        "organization": organization, "day": day, "rows": rows,
        "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
        "reports_url": reverse("bookings-reports", args=[organization.slug]) if principal.role in MANAGER_ROLES else None,
    })


@login_required
def class_roster(request, slug, class_id):
    """One class's bookings and waitlist; the desk checks customers in or cancels bookings (POST)."""
    principal = _principal(request, slug, DESK_ROLES)
    organization = principal.organization
    cls = get_object_or_404(
        FitnessClass.objects.select_related("class_type", "venue").prefetch_related("instructors"),
        organization=organization, pk=class_id,
    )
    if request.method == "POST" and request.POST.get("action") == "add_place":
        # Promote from the waitlist at the desk: one more place, which goes to the first person waiting.
        try:
            services.fitness_class_set_capacity(organization=organization, fitness_class=cls, capacity=cls.capacity + 1)
        except DomainError as error:
            messages.error(request, f"{error.detail} ({error.code})")
        else:
            messages.success(request, f"One more place ({cls.capacity + 1}); it went to the first person waiting.")
        return redirect(request.path)
    if request.method == "POST" and request.POST.get("action") == "book":
        customer = get_object_or_404(Member, organization=organization, pk=request.POST.get("customer_id"))
        try:
            outcome = services.booking_create(organization=organization, fitness_class=cls, customer=customer,
                                              source=BookingSource.STAFF)
        except DomainError as error:
            messages.error(request, f"{customer.full_name}: {error.detail} ({error.code})")
        else:
            placed = "booked" if outcome.booking else "put on the waitlist (the class is full)"
            messages.success(request, f"{customer.full_name} {placed}.")
        return redirect(request.path)
    if request.method == "POST":
        booking = get_object_or_404(Booking, organization=organization, fitness_class=cls, pk=request.POST.get("booking_id"))
        try:
            if request.POST.get("action") == "cancel":
                booking = services.booking_cancel(organization=organization, booking=booking)
                messages.success(request, f"{booking.customer.full_name}: booking {booking.get_status_display().lower()}.")
            else:
                booking = checkins.class_check_in(organization=organization, customer=booking.customer, booking=booking,
                                                  method="manual", actor=request.user)
                late = f", {booking.minutes_late} min late" if booking.was_late else ""
                messages.success(request, f"{booking.customer.full_name} checked in{late}.")
        except DomainError as error:
            messages.error(request, f"{booking.customer.full_name}: {error.detail} ({error.code})")
        return redirect(request.path)
    tz = organization.tz
    bookings = list(cls.bookings.select_related("customer").order_by("status", "customer__last_name", "customer__first_name"))
    waiting = list(cls.waitlist.filter(status="waiting").select_related("customer").order_by("created_at", "id"))
    return render(request, "bookings/roster.html", {
        "organization": organization, "cls": cls, "starts": cls.starts_at.astimezone(tz), "ends": cls.ends_at.astimezone(tz),
        "bookings": bookings, "waiting": waiting,
        "query": request.GET.get("q", "").strip()[:100],
        "found": selectors.customer_search(organization=organization, query=request.GET.get("q", "")[:100]),
        "held": sum(1 for b in bookings if b.status in ("registered", "attended")),
        "desk_url": reverse("bookings-desk", args=[organization.slug]) + f"?date={cls.starts_at.astimezone(tz).date()}",
    })
