"""Customer reports of the bookings app: one customer's history, and engagement (frequency bands,
lapsed customers). Definitions as in bookings.selectors."""

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count, Max, Q

from attendance.models import Member
from bookings.models import Booking
from bookings.selectors import A, bookings_in, period, rates, ratio
from organizations.dates import local_date
from organizations.models import Organization


def customer_history(*, organization: Organization, customer: Member, start: date | None = None,
                     end: date | None = None) -> dict:
    """A customer's bookings (newest class first) with their summary."""
    rows = (
        Booking.objects.filter(organization=organization, customer=customer)
        .select_related("fitness_class__class_type", "fitness_class__venue")
        .prefetch_related("fitness_class__instructors")
        .order_by("-fitness_class__starts_at", "-id")
    )
    if start and end:
        p = period(organization, start, end)
        rows = rows.filter(fitness_class__starts_at__gte=p.lo, fitness_class__starts_at__lt=p.hi)
    rows = list(rows)
    counts = defaultdict(int)
    for r in rows:
        counts[r.status] += 1
    summary = {
        "total_bookings": len(rows), "attended": counts[A.ATTENDED], "no_shows": counts[A.NO_SHOW],
        "cancellations": counts[A.CANCELLED], "late_cancellations": counts[A.LATE_CANCELLED],
        "registered": counts[A.REGISTERED], "late_arrivals": sum(1 for r in rows if r.was_late),
    }
    summary.update(rates(summary))
    tz = organization.tz
    return {
        "customer": {"id": customer.pk, "name": customer.full_name, "email": customer.email},
        "summary": summary,
        "bookings": [
            {
                "booking_id": r.pk, "class_id": r.fitness_class_id, "class_type": r.fitness_class.class_type.name,
                "venue": r.fitness_class.venue.name,
                "instructors": [i.name for i in r.fitness_class.instructors.all()],
                "starts_at": r.fitness_class.starts_at.astimezone(tz).isoformat(), "status": r.status, "method": r.method,
                "was_late": r.was_late, "minutes_late": r.minutes_late,
            }
            for r in rows
        ],
    }


LAPSED_LIST_LIMIT = 100
FREQUENCY_BANDS = [("0", 0, 0), ("1", 1, 1), ("2-3", 2, 3), ("4-7", 4, 7), ("8+", 8, None)]


def engagement(*, organization: Organization, start: date, end: date, lapsed_days: int | None = None) -> dict:
    """Bookings per customer, customers by number of classes attended (frequency bands), and lapsed
    customers: attended before, but not in the `lapsed_days` up to the end of the period."""
    from bookings.services import studio_options

    lapsed_days = lapsed_days if lapsed_days is not None else studio_options(organization).lapsed_after_days
    p = period(organization, start, end)
    per_customer = list(
        bookings_in(organization, p).exclude(status=A.CANCELLED).values("customer_id")
        .annotate(bookings=Count("id"), attended=Count("id", filter=Q(status=A.ATTENDED)))
    )
    bands = []
    for label, lo, hi in FREQUENCY_BANDS:
        n = sum(1 for r in per_customer if r["attended"] >= lo and (hi is None or r["attended"] <= hi))
        bands.append({"attended": label, "customers": n})
    total_bookings = sum(r["bookings"] for r in per_customer)
    cutoff = p.hi - timedelta(days=lapsed_days)
    lapsed_q = (
        Booking.objects.filter(organization=organization, status=A.ATTENDED, fitness_class__starts_at__lt=p.hi)
        .values("customer_id").annotate(last=Max("fitness_class__starts_at")).filter(last__lt=cutoff)
    )
    lapsed_rows = sorted(lapsed_q, key=lambda r: r["last"], reverse=True)
    names = {m.pk: m for m in Member.objects.filter(pk__in=[r["customer_id"] for r in lapsed_rows[:LAPSED_LIST_LIMIT]])}
    tz = organization.tz
    return {
        "period": p.as_dict(),
        "active_customers": len(per_customer),
        "bookings": total_bookings,
        "bookings_per_customer": ratio(total_bookings, len(per_customer)),
        "frequency_bands": bands,
        "lapsed_after_days": lapsed_days,
        "lapsed_customers": len(lapsed_rows),
        "lapsed": [
            {"customer_id": r["customer_id"], "name": names[r["customer_id"]].full_name,
             "last_attended": local_date(r["last"], tz).isoformat()}
            for r in lapsed_rows[:LAPSED_LIST_LIMIT]
        ],
    }
