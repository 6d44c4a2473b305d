"""Local days and months of an organization. Storage is UTC; these are the only boundary helpers."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def local_today(tz: ZoneInfo) -> date:
    return local_date(timezone.now(), tz)


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """Return the UTC instant the local day begins (DST-safe: midnight may be 23 or 25 hours apart)."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(ZoneInfo("UTC"))


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return day_start(day, tz), day_start(day + timedelta(days=1), tz)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_bounds(year: int, month: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    first = date(year, month, 1)
    return day_start(first, tz), day_start(next_month(first), tz)


def period_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds of the local dates start..end, both included."""
    return day_start(start, tz), day_start(end + timedelta(days=1), tz)


def local_datetime(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Return the UTC instant of a local wall-clock time (a time skipped by DST moves forward)."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz)
    # Round-trip through UTC normalises a non-existent wall time (spring forward) onto a real instant.
    return aware.astimezone(ZoneInfo("UTC"))
