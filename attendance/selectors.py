"""The engine's reads: occupancy, dashboard and an attendee's history.

Every query is bounded by the period asked for and served by an index, so the number of queries is
fixed and their cost follows the period's rows, not the whole history.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from attendance import registry
from attendance.models import CheckIn, Member, MonthlyRollup
from attendance.services.retention import retention_cutoff
from organizations.dates import local_date, local_today, month_start, next_month, period_bounds
from organizations.models import Organization

TOP_LIMIT = 10
AT_RISK_LIMIT = 20


def member_stand_in(*, organization: Organization, qr_token: str | None = None, rfid_tag: str | None = None):
    """The member of `organization` holding this QR token (or RFID tag), or None, loaded with its id
    and organization only: a stand-in for services that lock, and so read, the row themselves (see
    registry.attendee_stand_in)."""
    lookup = {"qr_token": qr_token} if qr_token else {"rfid_tag": rfid_tag}
    return Member.objects.filter(organization_id=organization.pk, **lookup).only("id", "organization_id").first()


def occupancy(*, organization: Organization) -> dict:
    """Who is in right now: the total and the count per location."""
    # COUNT(*), not COUNT(id): the open-session index (checkin_open_loc) holds all the query needs.
    rows = (
        CheckIn.objects.filter(organization_id=organization.pk, checked_out_at__isnull=True)
        .values_list("location").annotate(n=Count("*")).order_by("location")
    )
    by_location = {location or "": n for location, n in rows}
    return {"total": sum(by_location.values()), "by_location": by_location, "at": timezone.now().isoformat()}


def check_ins_for(organization: Organization):
    return CheckIn.objects.filter(organization=organization).select_related("attendee_type", "device")


def _names(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Display names for (content type id, attendee id) pairs: one query per attendee model."""
    by_type: dict[int, list[int]] = {}
    for type_id, attendee_id in pairs:
        by_type.setdefault(type_id, []).append(attendee_id)
    names = {}
    for type_id, ids in by_type.items():
        model = registry.model_for_content_type_id(type_id)
        for attendee in model.objects.filter(pk__in=ids):
            names[(type_id, attendee.pk)] = attendee.attendance_name()
    return names


def _engagement_band(visits: int, weeks: float) -> str:
    rate = visits / weeks
    if rate >= 2:
        return "high"
    return "medium" if rate >= 1 else "low"


def _purged_months(organization: Organization, start: date, end: date) -> list[date]:
    """The whole local months of start..end that begin before the retention cutoff: their rows may be
    purged (wholly, or up to the cutoff), while their rollups still count every visit."""
    cutoff = retention_cutoff(organization)
    if cutoff is None:
        return []
    last = month_start(local_date(cutoff, organization.tz))
    month = start if start.day == 1 else next_month(start)
    months = []
    while month <= last and next_month(month) - timedelta(days=1) <= end:
        months.append(month)
        month = next_month(month)
    return months


def dashboard(*, organization: Organization, start: date, end: date, at_risk_days: int | None = None) -> dict:
    """Figures for the local dates start..end (both included), in the organization's time zone.

    Engagement bands are visits per week in the period: high ≥ 2, medium ≥ 1, low > 0; enabled
    attendees with no visit are inactive. At-risk attendees have had no visit for `at_risk_days`.
    """
    tz = organization.tz
    lo, hi = period_bounds(start, end, tz)
    rows = CheckIn.objects.filter(organization=organization, checked_in_at__gte=lo, checked_in_at__lt=hi)
    days = (end - start).days + 1
    weeks = max(days / 7, 1 / 7)

    # One scan of the period grouped by local (day, hour) gives the per-day, per-hour and
    # per-weekday counts (at most 24 rows a day), instead of three scans of the same rows.
    per_day: dict[date, int] = {}
    per_hour: dict[int, int] = {}
    per_weekday: dict[int, int] = {}
    slots = (
        rows.annotate(day=TruncDate("checked_in_at", tzinfo=tz), hour=ExtractHour("checked_in_at", tzinfo=tz))
        .values("day", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in slots:
        per_day[row["day"]] = per_day.get(row["day"], 0) + row["n"]
        per_hour[row["hour"]] = per_hour.get(row["hour"], 0) + row["n"]
        weekday = row["day"].isoweekday()
        per_weekday[weekday] = per_weekday.get(weekday, 0) + row["n"]
    # Totals, engagement and top attendees: whole months whose rows retention may have purged count
    # from their rollups, the rest from the rows. Per-day, per-hour and per-weekday figures need the
    # rows, so they show what is kept.
    counted = rows
    rolled = _purged_months(organization, start, end)
    for month in rolled:
        month_lo, month_hi = period_bounds(month, next_month(month) - timedelta(days=1), tz)
        counted = counted.exclude(checked_in_at__gte=month_lo, checked_in_at__lt=month_hi)
    visits: dict[tuple[int, int], int] = {
        (r["attendee_type_id"], r["attendee_id"]): r["n"]
        for r in counted.values("attendee_type_id", "attendee_id").annotate(n=Count("id")).order_by()
    }
    if rolled:
        for r in (MonthlyRollup.objects.filter(organization=organization, month__in=rolled, visits__gt=0)
                  .values("attendee_type_id", "attendee_id").annotate(n=Sum("visits")).order_by()):
            key = (r["attendee_type_id"], r["attendee_id"])
            visits[key] = visits.get(key, 0) + r["n"]
    per_attendee = [
        {"attendee_type_id": key[0], "attendee_id": key[1], "n": n}
        for key, n in sorted(visits.items(), key=lambda item: (-item[1], item[0]))
    ]
    total_visits = sum(visits.values())

    bands = {"high": 0, "medium": 0, "low": 0, "inactive": 0}
    for entry in per_attendee:
        bands[_engagement_band(entry["n"], weeks)] += 1

    at_risk_days = at_risk_days or organization.option("at_risk_days", settings.ATTENDANCE_AT_RISK_DAYS)
    risk_cutoff = timezone.now() - timedelta(days=at_risk_days)
    enabled_total = 0
    at_risk = []
    at_risk_count = 0
    for model in registry.registered_models():
        scoped = model.objects.filter(organization=organization, attendance_enabled=True)
        counts = scoped.aggregate(
            total=Count("pk"),
            risk=Count("pk", filter=Q(last_visit_at__lt=risk_cutoff)),
        )
        enabled_total += counts["total"]
        at_risk_count += counts["risk"]
        if counts["risk"]:
            for attendee in scoped.filter(last_visit_at__lt=risk_cutoff).order_by("last_visit_at")[:AT_RISK_LIMIT]:
                at_risk.append(
                    {
                        "attendee_type": registry.label_for(model),
                        "attendee_id": attendee.pk,
                        "name": attendee.attendance_name(),
                        "last_visit_at": attendee.last_visit_at.isoformat(),
                        "days_absent": (timezone.now() - attendee.last_visit_at).days,
                    }
                )
    at_risk.sort(key=lambda a: a["last_visit_at"])
    active = len(per_attendee)
    bands["inactive"] = max(enabled_total - active, 0)

    top = per_attendee[:TOP_LIMIT]
    names = _names([(t["attendee_type_id"], t["attendee_id"]) for t in top])
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat(), "time_zone": organization.time_zone},
        "totals": {
            "visits": total_visits,
            "unique_attendees": active,
            "enabled_attendees": enabled_total,
            "activation_rate": round(100 * active / enabled_total, 1) if enabled_total else 0.0,
            "average_visits_per_day": round(total_visits / days, 2),
        },
        "visits_per_day": [
            {"date": (start + timedelta(days=i)).isoformat(), "visits": per_day.get(start + timedelta(days=i), 0)}
            for i in range(days)
        ],
        "time_slots": [{"hour": h, "visits": per_hour.get(h, 0)} for h in range(24)],
        "weekdays": [{"weekday": d, "visits": per_weekday.get(d, 0)} for d in range(1, 8)],
        "engagement": bands,
        "top_attendees": [
            {
                "attendee_type": registry.label_for(registry.model_for_content_type_id(t["attendee_type_id"])),
                "attendee_id": t["attendee_id"],
                "name": names.get((t["attendee_type_id"], t["attendee_id"]), ""),
                "visits": t["n"],
            }
            for t in top
        ],
        "at_risk": {"days": at_risk_days, "count": at_risk_count, "attendees": at_risk[:AT_RISK_LIMIT]},
    }


HISTORY_DEFAULT_DAYS = 90
HISTORY_PAGE_SIZE = 200


def history(
    *, organization: Organization, attendee, start: date | None = None, end: date | None = None, page: int = 1,
    page_size: int = HISTORY_PAGE_SIZE,
) -> dict:
    """An attendee's sessions of the local dates start..end (default: the 90 days ending today), newest
    first, one page of `page_size` with the period's `count`; and the monthly summaries (rollups) of
    the months the period touches, which outlive the rows a retention purge deletes."""
    tz = organization.tz
    ct = registry.content_type_for(attendee)
    end = end or local_today(tz)
    start = start or (end - timedelta(days=HISTORY_DEFAULT_DAYS - 1))
    lo, hi = period_bounds(start, end, tz)
    in_period = CheckIn.objects.filter(
        organization=organization, attendee_type=ct, attendee_id=attendee.pk, checked_in_at__gte=lo, checked_in_at__lt=hi
    )
    count = in_period.count()
    offset = (page - 1) * page_size
    sessions = in_period.order_by("-checked_in_at", "-id")[offset : offset + page_size]
    months = MonthlyRollup.objects.filter(
        attendee_type=ct, attendee_id=attendee.pk, month__gte=month_start(start), month__lte=month_start(end)
    ).order_by("-month")
    return {
        "attendee": {
            "attendee_type": registry.label_for(attendee),
            "attendee_id": attendee.pk,
            "name": attendee.attendance_name(),
            "total_visits": attendee.total_visits,
            "first_visit_at": attendee.first_visit_at,
            "last_visit_at": attendee.last_visit_at,
            "checked_in": attendee.session_active,
        },
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "count": count,
        "has_next": offset + page_size < count,
        "sessions": [
            {
                "id": s.pk,
                "checked_in_at": s.checked_in_at,
                "checked_out_at": s.checked_out_at,
                "duration_seconds": s.duration_seconds,
                "method": s.method,
                "kind": s.kind,
                "auto_closed": s.auto_closed,
                "late_minutes": s.late_minutes,
                "early_leave_minutes": s.early_leave_minutes,
                "location": s.location,
            }
            for s in sessions
        ],
        "months": [
            {
                "month": m.month.strftime("%Y-%m"),
                "visits": m.visits,
                "seconds_present": m.seconds_present,
                "days_present": m.days_present,
                "kinds": m.kinds,
            }
            for m in months
        ],
    }
