"""Reads and reports of the bookings app, all in the studio's time zone.

A report covers the classes that START within the local dates `start`..`end` (both included).
Definitions (docs/bookings.md repeats them):
- settled bookings = attended + no-shows + late cancellations (early cancellations free the place
  and are left out; registered bookings have no outcome yet);
- attendance rate = attended / settled, no-show rate = no-shows / settled, in %, one decimal;
- "held" classes = not cancelled and started by `now`; average class size = attended / held classes;
- capacity of a class = its capacity override, else its venue's; utilisation = attended / capacity.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from attendance.models import Member
from bookings.models import (
    COUNTED_STATUSES,
    Booking,
    BookingMethod,
    BookingStatus,
    CustomerMembership,
    FitnessClass,
    Instructor,
)
from organizations.dates import local_date, month_start, next_month, period_bounds
from organizations.models import Organization

A = BookingStatus


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    lo: datetime  # UTC, inclusive
    hi: datetime  # UTC, exclusive

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def period(organization: Organization, start: date, end: date) -> Period:
    lo, hi = period_bounds(start, end, organization.tz)
    return Period(start=start, end=end, lo=lo, hi=hi)


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def ratio(part: int, whole: int, digits: int = 2) -> float | None:
    return round(part / whole, digits) if whole else None


def bookings_in(organization: Organization, p: Period):
    """Bookings of the classes starting in the period (the class's current start: a rescheduled
    class takes its bookings with it)."""
    return Booking.objects.filter(
        organization=organization, fitness_class__starts_at__gte=p.lo, fitness_class__starts_at__lt=p.hi
    )


def held_classes(organization: Organization, p: Period, now: datetime):
    return FitnessClass.objects.filter(
        organization=organization, starts_at__gte=p.lo, starts_at__lt=min(p.hi, now), cancelled_at__isnull=True
    )


def _status_counts() -> dict:
    # Counting the (never null) status column lets PostgreSQL read it from the
    # (fitness_class, status, organization) index alone.
    return {
        "total": Count("status"),
        "registered": Count("status", filter=Q(status=A.REGISTERED)),
        "attended": Count("status", filter=Q(status=A.ATTENDED)),
        "no_shows": Count("status", filter=Q(status=A.NO_SHOW)),
        "cancellations": Count("status", filter=Q(status=A.CANCELLED)),
        "late_cancellations": Count("status", filter=Q(status=A.LATE_CANCELLED)),
    }


def settled(row: dict) -> int:
    """The one denominator of every attendance and no-show rate."""
    return row["attended"] + row["no_shows"] + row["late_cancellations"]


def rates(row: dict) -> dict:
    return {"attendance_rate": pct(row["attended"], settled(row)), "no_show_rate": pct(row["no_shows"], settled(row))}


# --- statistics ---------------------------------------------------------------------------------


def statistics(*, organization: Organization, start: date, end: date, now: datetime | None = None) -> dict:
    """Totals by status, attendance and no-show rates, and the average class size of the period."""
    now = now or timezone.now()
    p = period(organization, start, end)
    counts = bookings_in(organization, p).aggregate(**_status_counts())
    classes = held_classes(organization, p, now).count()
    return {
        "period": p.as_dict(),
        "total_bookings": counts["total"],
        "registered": counts["registered"],
        "attended": counts["attended"],
        "no_shows": counts["no_shows"],
        "cancellations": counts["cancellations"],
        "late_cancellations": counts["late_cancellations"],
        **rates(counts),
        "classes_held": classes,
        "average_class_size": ratio(counts["attended"], classes),
    }


# --- capacity -----------------------------------------------------------------------------------


def _per_class_counts(held) -> dict[int, dict]:
    """Bookings (not early-cancelled) and outcomes per held class, read from the
    (fitness_class, status, organization) index alone."""
    rows = (
        Booking.objects.filter(fitness_class__in=held.values("id")).exclude(status=A.CANCELLED)
        .values("fitness_class_id")
        .annotate(bookings=Count("status"), **{k: v for k, v in _status_counts().items() if k != "total"})
        .order_by()
    )
    return {r["fitness_class_id"]: r for r in rows}


EMPTY_COUNTS = {"bookings": 0, "registered": 0, "attended": 0, "no_shows": 0, "cancellations": 0, "late_cancellations": 0}
GROUP_COUNTS = ("bookings", "attended", "no_shows", "late_cancellations")


def capacity(*, organization: Organization, start: date, end: date, now: datetime | None = None) -> dict:
    """Per class type and venue, over held classes: classes, places, bookings (not early-cancelled),
    attended, attendance and no-show rates (of settled bookings) and utilisation (attended / places)."""
    now = now or timezone.now()
    p = period(organization, start, end)
    held = held_classes(organization, p, now)
    counts = _per_class_counts(held)
    groups: dict[tuple, dict] = {}
    for c in held.values("id", "class_type_id", "class_type__name", "venue_id", "venue__name",
                         places=Coalesce("capacity_override", "venue__capacity")):
        key = (c["class_type__name"], c["venue__name"], c["class_type_id"], c["venue_id"])
        g = groups.setdefault(key, {"classes": 0, "places": 0, **{k: 0 for k in GROUP_COUNTS}})
        b = counts.get(c["id"], EMPTY_COUNTS)
        g["classes"] += 1
        g["places"] += c["places"]
        for k in GROUP_COUNTS:
            g[k] += b[k]
    rows = []
    for (type_name, venue_name, type_id, venue_id), g in sorted(groups.items()):
        rows.append({
            "class_type_id": type_id, "class_type": type_name, "venue_id": venue_id, "venue": venue_name,
            "classes": g["classes"], "places": g["places"], "bookings": g["bookings"], "attended": g["attended"],
            "no_shows": g["no_shows"], "late_cancellations": g["late_cancellations"], **rates(g),
            "utilisation": pct(g["attended"], g["places"]),
            "booked_utilisation": pct(g["bookings"], g["places"]),
        })
    return {"period": p.as_dict(), "rows": rows}


# --- late arrivals ------------------------------------------------------------------------------

LATE_BUCKETS = [("0", 0, 0), ("1-5", 1, 5), ("6-10", 6, 10), ("11-15", 11, 15), ("16+", 16, None)]


LATE_ORDERINGS = {
    "minutes_late": ("-minutes_late", "fitness_class__starts_at", "id"),
    "class_start": ("fitness_class__starts_at", "id"),
}
LATE_LIST_LIMIT = 500


def late_arrivals(*, organization: Organization, start: date, end: date, order: str = "minutes_late") -> dict:
    """Attended bookings: how many arrived late (past the grace period), how late, per class type, and
    the late arrivals themselves, most minutes late first (or by class start with order="class_start")."""
    p = period(organization, start, end)
    attended = bookings_in(organization, p).filter(status=A.ATTENDED)
    per_type = (
        attended.values("fitness_class__class_type_id", "fitness_class__class_type__name")
        .annotate(
            attended=Count("id"), late=Count("id", filter=Q(was_late=True)),
            late_minutes=Sum("minutes_late", filter=Q(was_late=True)), max_minutes_late=Max("minutes_late"),
        )
        .order_by("fitness_class__class_type__name")
    )
    buckets = {}
    for label, lo, hi in LATE_BUCKETS:
        q = Q(minutes_late__gte=lo) if hi is None else Q(minutes_late__gte=lo, minutes_late__lte=hi)
        buckets[label] = Count("id", filter=q)
    totals = attended.aggregate(
        attended=Count("id"), late=Count("id", filter=Q(was_late=True)),
        late_minutes=Sum("minutes_late", filter=Q(was_late=True)), **buckets,
    )
    tz = organization.tz
    late_rows = (
        attended.filter(was_late=True).select_related("customer", "fitness_class__class_type")
        .order_by(*LATE_ORDERINGS[order])[:LATE_LIST_LIMIT]
    )
    return {
        "period": p.as_dict(),
        "order": order,
        "arrivals": [
            {"booking_id": r.pk, "customer_id": r.customer_id, "customer": r.customer.full_name,
             "class_id": r.fitness_class_id, "class_type": r.fitness_class.class_type.name,
             "starts_at": r.fitness_class.starts_at.astimezone(tz).isoformat(), "minutes_late": r.minutes_late}
            for r in late_rows
        ],
        "attended": totals["attended"],
        "late": totals["late"],
        "late_rate": pct(totals["late"], totals["attended"]),
        "average_minutes_late": ratio(totals["late_minutes"] or 0, totals["late"], 1),
        "minutes_late_buckets": [{"minutes": label, "bookings": totals[label]} for label, _, _ in LATE_BUCKETS],
        "by_class_type": [
            {
                "class_type_id": r["fitness_class__class_type_id"], "class_type": r["fitness_class__class_type__name"],
                "attended": r["attended"], "late": r["late"], "late_rate": pct(r["late"], r["attended"]),
                "average_minutes_late": ratio(r["late_minutes"] or 0, r["late"], 1),
                "max_minutes_late": r["max_minutes_late"] or 0,
            }
            for r in per_type
        ],
    }


# --- daily, weekly, monthly ---------------------------------------------------------------------

GRANULARITIES = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def _period_starts(start: date, end: date, granularity: str) -> list[date]:
    if granularity == "day":
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if granularity == "week":
        first = start - timedelta(days=start.weekday())
        return [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
    months, current = [], start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def timeline(*, organization: Organization, start: date, end: date, granularity: str = "day") -> dict:
    """Bookings by status per local day, week (from Monday) or month; empty periods included."""
    tz = organization.tz
    p = period(organization, start, end)
    trunc = GRANULARITIES[granularity]
    rows = (
        bookings_in(organization, p).annotate(bucket=trunc("fitness_class__starts_at", tzinfo=tz))
        .values("bucket").annotate(**_status_counts()).order_by("bucket")
    )
    found = {local_date(r["bucket"], tz) if isinstance(r["bucket"], datetime) else r["bucket"]: r for r in rows}
    out = []
    for first in _period_starts(start, end, granularity):
        r = found.get(first) or {k: 0 for k in _status_counts()}
        out.append({
            "period_start": first.isoformat(), "total_bookings": r["total"], "attended": r["attended"],
            "no_shows": r["no_shows"], "cancellations": r["cancellations"],
            "late_cancellations": r["late_cancellations"], "registered": r["registered"], **rates(r),
        })
    return {"period": p.as_dict(), "granularity": granularity, "rows": out}


# --- instructors, revenue, peak hours -----------------------------------------------------------


def instructor_performance(*, organization: Organization, start: date, end: date, now: datetime | None = None) -> dict:
    """Per instructor, over held classes (a team-taught class counts for each of its instructors):
    classes taught, average attendance per class, utilisation and no-show rate."""
    now = now or timezone.now()
    p = period(organization, start, end)
    held = held_classes(organization, p, now)
    counts = _per_class_counts(held)
    places = dict(held.values_list("id", Coalesce("capacity_override", "venue__capacity")))
    totals: dict[int, dict] = defaultdict(lambda: {"classes": 0, "places": 0, "attended": 0, "no_shows": 0, "settled": 0})
    for class_id, instructor_id in FitnessClass.instructors.through.objects.filter(
        fitnessclass_id__in=held.values("id")
    ).values_list("fitnessclass_id", "instructor_id"):
        b = counts.get(class_id, EMPTY_COUNTS)
        t = totals[instructor_id]
        t["classes"] += 1
        t["places"] += places[class_id]
        t["attended"] += b["attended"]
        t["no_shows"] += b["no_shows"]
        t["settled"] += b["attended"] + b["no_shows"] + b["late_cancellations"]
    rows = []
    for instructor in Instructor.objects.filter(organization=organization).order_by("name"):
        t = totals.get(instructor.pk) or {"classes": 0, "places": 0, "attended": 0, "no_shows": 0, "settled": 0}
        rows.append({
            "instructor_id": instructor.pk, "instructor": instructor.name, "classes_taught": t["classes"],
            "attended": t["attended"], "average_attendance": ratio(t["attended"], t["classes"]),
            "places": t["places"], "utilisation": pct(t["attended"], t["places"]),
            "no_shows": t["no_shows"], "no_show_rate": pct(t["no_shows"], t["settled"]),
        })
    return {"period": p.as_dict(), "rows": rows}


def membership_shares(*, organization: Organization, start: date, end: date) -> dict[int, int]:
    """Pennies of its plan's price attributed to each membership booking whose class starts in the period.

    A plan's `price_pennies` is its price per local calendar month. It is shared equally among the
    classes booked with that membership in that month that use the allowance (registered, attended,
    no-show, late-cancelled; an early cancellation gets nothing); in order of class start, the k-th
    of n gets price·(k+1)//n − price·k//n, so a month's shares add up to the price exactly.
    """
    tz = organization.tz
    lo, hi = period_bounds(month_start(start), next_month(month_start(end)) - timedelta(days=1), tz)
    rows = (
        Booking.objects.filter(
            organization=organization, method=BookingMethod.MEMBERSHIP, membership__isnull=False,
            status__in=COUNTED_STATUSES, fitness_class__starts_at__gte=lo, fitness_class__starts_at__lt=hi,
        )
        .values_list("id", "membership_id", "membership__plan__price_pennies", "fitness_class__starts_at")
        .order_by("fitness_class__starts_at", "id")
    )
    groups: dict[tuple[int, date], list[tuple[int, int, datetime]]] = defaultdict(list)
    for pk, membership_id, price, starts_at in rows:
        groups[(membership_id, month_start(local_date(starts_at, tz)))].append((pk, price, starts_at))
    p = period(organization, start, end)
    shares = {}
    for items in groups.values():
        n = len(items)
        for k, (pk, price, starts_at) in enumerate(items):
            if p.lo <= starts_at < p.hi:
                shares[pk] = price * (k + 1) // n - price * k // n
    return shares


def revenue(*, organization: Organization, start: date, end: date) -> dict:
    """Per booking method: bookings (not early-cancelled), amounts paid, refunds and net, in pennies.
    Membership bookings carry their share of the plan's monthly price (`membership_shares`)."""
    p = period(organization, start, end)
    found = {
        r["method"]: r
        for r in bookings_in(organization, p).values("method").annotate(
            bookings=Count("id", filter=~Q(status=A.CANCELLED)),
            paid=Coalesce(Sum("amount_paid_pennies"), 0), refunded=Coalesce(Sum("refunded_pennies"), 0),
        )
    }
    membership_paid = sum(membership_shares(organization=organization, start=start, end=end).values())
    rows = []
    for method in BookingMethod.values:
        r = found.get(method, {"bookings": 0, "paid": 0, "refunded": 0})
        paid = membership_paid if method == BookingMethod.MEMBERSHIP else r["paid"]
        rows.append({"method": method, "bookings": r["bookings"], "paid_pennies": paid,
                     "refunded_pennies": r["refunded"], "net_pennies": paid - r["refunded"]})
    total = {k: sum(r[k] for r in rows) for k in ("bookings", "paid_pennies", "refunded_pennies", "net_pennies")}
    return {"period": p.as_dict(), "rows": rows, "total": total}


def peak_hours(*, organization: Organization, start: date, end: date) -> dict:
    """Attended and booked (not early-cancelled) places by local weekday (1 = Monday) and hour of
    the class start: a 7 x 24 heat map.

    The database groups by class start (a few thousand values, from the index alone); weekday and
    hour are then taken in Python with zoneinfo, which is cheaper than converting every booking's
    time in SQL and exact across DST changes.
    """
    tz = organization.tz
    p = period(organization, start, end)
    starts = (
        bookings_in(organization, p).exclude(status=A.CANCELLED)
        .values(class_start=F("fitness_class__starts_at"))
        .annotate(bookings=Count("status"), attended=Count("status", filter=Q(status=A.ATTENDED)))
        .order_by()
    )
    attended = [[0] * 24 for _ in range(7)]
    booked = [[0] * 24 for _ in range(7)]
    for row in starts:
        local = row["class_start"].astimezone(tz)
        attended[local.weekday()][local.hour] += row["attended"]
        booked[local.weekday()][local.hour] += row["bookings"]
    rows = [
        {"weekday": d + 1, "hour": h, "bookings": booked[d][h], "attended": attended[d][h]}
        for d in range(7) for h in range(24) if booked[d][h]
    ]
    busiest = max(rows, key=lambda r: (r["attended"], r["bookings"]), default=None)
    return {"period": p.as_dict(), "cells": rows, "attended": attended, "bookings": booked, "busiest": busiest,
            "max_attended": max((r["attended"] for r in rows), default=0)}


# --- the all-attendances view -------------------------------------------------------------------


def attendances(*, organization: Organization, start: date, end: date, filters: dict | None = None):
    """Bookings of the period with class, venue and customer, filtered by any of: class_type, venue,
    instructor, customer, status, method, was_late. Ordered by class start."""
    filters = filters or {}
    p = period(organization, start, end)
    qs = bookings_in(organization, p).select_related(
        "fitness_class__class_type", "fitness_class__venue", "customer"
    ).prefetch_related("fitness_class__instructors")
    mapping = {
        "class_type": "fitness_class__class_type_id", "venue": "fitness_class__venue_id",
        "instructor": "fitness_class__instructors", "customer": "customer_id", "status": "status",
        "method": "method", "was_late": "was_late",
    }
    for key, lookup in mapping.items():
        if filters.get(key) not in (None, ""):
            qs = qs.filter(**{lookup: filters[key]})
    return qs.order_by("fitness_class__starts_at", "id")


def attendance_rows(organization: Organization, bookings: list[Booking]) -> list[dict]:
    """Shape bookings for the all-attendances view (one extra query for membership status)."""
    tz = organization.tz
    customer_ids = {b.customer_id for b in bookings}
    memberships = defaultdict(list)
    for m in CustomerMembership.objects.filter(customer_id__in=customer_ids).select_related("plan"):
        memberships[m.customer_id].append(m)
    rows = []
    for b in bookings:
        day = local_date(b.fitness_class.starts_at, tz)
        plan = next((m.plan.name for m in memberships[b.customer_id] if m.covers(day)), None)
        rows.append({
            "booking_id": b.pk,
            "class_id": b.fitness_class_id,
            "class_type": b.fitness_class.class_type.name,
            "venue": b.fitness_class.venue.name,
            "instructors": ", ".join(i.name for i in b.fitness_class.instructors.all()),
            "starts_at": b.fitness_class.starts_at.astimezone(tz).isoformat(),
            "customer_id": b.customer_id,
            "customer": b.customer.full_name,
            "membership_status": "active" if plan else "none",
            "membership_plan": plan or "",
            "status": b.status,
            "method": b.method,
            "was_late": b.was_late,
            "minutes_late": b.minutes_late,
        })
    return rows


def classes_on(*, organization: Organization, day: date):
    """The classes of a local day with their booking counts (front desk and schedule)."""
    p = period(organization, day, day)
    return (
        FitnessClass.objects.filter(organization=organization, starts_at__gte=p.lo, starts_at__lt=p.hi)
        .select_related("class_type", "venue").prefetch_related("instructors")
        .annotate(
            booked=Count("bookings", filter=Q(bookings__status__in=[A.REGISTERED, A.ATTENDED])),
            attended=Count("bookings", filter=Q(bookings__status=A.ATTENDED)),
        )
        .order_by("starts_at", "id")
    )


def customer_search(*, organization: Organization, query: str, limit: int = 10) -> list[Member]:
    """Active customers whose name, email or phone contains every word of `query` (the desk's walk-in search)."""
    words = query.split()
    if not words:
        return []
    customers = Member.objects.filter(organization=organization, status="active")
    for word in words:
        customers = customers.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word)
                                     | Q(email__icontains=word) | Q(phone__icontains=word))
    return list(customers.order_by("last_name", "first_name", "id")[:limit])
