"""Recorded sessions: closed sessions whose times come from elsewhere (a Meet call, an import)."""

from datetime import datetime

from django.db import transaction
from django.db.models import F

from attendance import events, registry
from attendance.models import CheckIn, Kind, MonthlyRollup
from attendance.services.common import (
    Attendee,
    CheckInResult,
    attendee_get_for_update,
    attendee_of,
    check_organization,
    month_of,
    refuse_future,
    refuse_overlap,
)
from attendance.services.rollups import rollups_rebuild, session_seconds, visit_record
from config.errors import DomainError
from organizations.dates import local_date
from organizations.models import Organization


def session_record(
    *,
    organization: Organization,
    attendee: Attendee,
    checked_in_at: datetime,
    checked_out_at: datetime,
    source: str,
    external_id: str,
    method: str = "manual",
    kind: str = Kind.VISIT,
    metadata: dict | None = None,
) -> CheckInResult:
    """Record a closed session whose times come from elsewhere (a Meet call, an import).

    Idempotent by (source, external_id): a second call with the same times changes nothing; with
    new times (a call that went on) it updates the row and the rollups. A session that would overlap
    another of the attendee's (an open one included) is refused with `overlaps_session`.
    """
    registry.check_method(method)
    check_organization(organization, attendee)
    if checked_out_at < checked_in_at:
        raise DomainError("The session ends before it starts.", code="checkout_before_checkin")
    refuse_future(checked_in_at, checked_out_at)
    tz = organization.tz
    with transaction.atomic():
        locked = attendee_get_for_update(attendee)
        row = CheckIn.objects.filter(organization=organization, source=source, external_id=external_id).first()
        if row is not None and row.checked_in_at == checked_in_at and row.checked_out_at == checked_out_at:
            return CheckInResult(check_in=row, created=False)
        refuse_overlap(attendee=locked, start=checked_in_at, end=checked_out_at, exclude_id=row.pk if row else None)
        if row is not None:
            old_day = local_date(row.checked_in_at, tz)
            old_month = month_of(row.checked_in_at, organization)
            old_seconds = session_seconds(row.duration)
            row.checked_in_at, row.checked_out_at = checked_in_at, checked_out_at
            row.duration = checked_out_at - checked_in_at
            row.metadata = {**row.metadata, **(metadata or {})}
            row.save(update_fields=["checked_in_at", "checked_out_at", "duration", "metadata"])
            if old_day == local_date(checked_in_at, tz):
                MonthlyRollup.objects.filter(
                    attendee_type_id=row.attendee_type_id, attendee_id=row.attendee_id, month=old_month
                ).update(seconds_present=F("seconds_present") + (session_seconds(row.duration) - old_seconds))
            else:
                rollups_rebuild(
                    organization=organization, attendee_type_id=row.attendee_type_id, attendee_ids=[locked.pk],
                    months={old_month, month_of(checked_in_at, organization)},
                )
            return CheckInResult(check_in=row, created=False)
        row = CheckIn(
            organization=organization, attendee_type=registry.content_type_for(locked), attendee_id=locked.pk,
            checked_in_at=checked_in_at, checked_out_at=checked_out_at, duration=checked_out_at - checked_in_at,
            method=method, source=source, kind=kind, metadata=dict(metadata or {}), external_id=external_id,
        )
        visit_record(organization=organization, attendee=locked, row=row, opens_session=False)
        transaction.on_commit(lambda: events.checked_in.send(sender=CheckIn, check_in=row), robust=True)
        transaction.on_commit(lambda: events.checked_out.send(sender=CheckIn, check_in=row), robust=True)
    return CheckInResult(check_in=row, created=True)


def session_remove(*, organization: Organization, source: str, external_id: str) -> bool:
    """Delete a session recorded with `session_record` (it turned out to be someone else's) and
    rebuild that attendee's month. Returns False when there was nothing to remove."""
    with transaction.atomic():
        row = CheckIn.objects.filter(organization=organization, source=source, external_id=external_id).first()
        if row is None:
            return False
        locked = attendee_get_for_update(attendee_of(row))
        month = month_of(row.checked_in_at, organization)
        locked.attendance_session_closed(row.pk)
        attendee_type_id = row.attendee_type_id
        row.delete()
        rollups_rebuild(organization=organization, attendee_type_id=attendee_type_id, attendee_ids=[locked.pk], months={month})
    return True
