"""At risk: attendees whose last visit was a given number of local days ago."""

from datetime import timedelta

from django.conf import settings

from attendance import events, registry
from organizations.dates import day_bounds, local_today
from organizations.models import Organization


def at_risk_notify(*, organization: Organization, days: int | None = None) -> int:
    """Fire `at_risk` for attendees whose last visit was exactly `days` local days ago (once each)."""
    days = days or organization.option("at_risk_days", settings.ATTENDANCE_AT_RISK_DAYS)
    tz = organization.tz
    target_day = local_today(tz) - timedelta(days=days)
    start, end = day_bounds(target_day, tz)
    fired = 0
    for model in registry.registered_models():
        for attendee in model.objects.filter(
            organization=organization, attendance_enabled=True, last_visit_at__gte=start, last_visit_at__lt=end
        ):
            events.at_risk.send(sender=model, attendee=attendee, days_absent=days)
            fired += 1
    return fired
