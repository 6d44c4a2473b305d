"""Corrections: a person asks to fix the record, a manager approves (applied through the engine,
audited with before and after) or rejects; a manager may also close someone's session."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from attendance import events, registry
from attendance.exceptions import CheckInNotFound
from attendance.models import CheckIn, Correction, CorrectionKind, CorrectionStatus
from attendance.plugins import CheckInContext
from attendance.services.checkin import session_open_locked
from attendance.services.checkout import check_out
from attendance.services.common import (
    Attendee,
    attendee_get_for_update,
    check_organization,
    month_of,
    refuse_future,
    refuse_overlap,
)
from attendance.services.ending import session_close_locked, session_judge
from attendance.services.retention import retention_cutoff
from attendance.services.rollups import rollups_rebuild, visit_record
from config.errors import Conflict, DomainError
from organizations.models import Organization
from organizations.services import audit_log_record


def correction_submit(
    *,
    organization: Organization,
    attendee: Attendee,
    kind: str,
    reason: str,
    check_in: CheckIn | None = None,
    proposed_checked_in_at: datetime | None = None,
    proposed_checked_out_at: datetime | None = None,
    submitted_by=None,
) -> Correction:
    """Record a pending correction after checking that it names what its kind needs."""
    check_organization(organization, attendee)
    if check_in is not None and (check_in.organization_id != organization.pk or check_in.attendee_id != attendee.pk):
        raise CheckInNotFound("That check-in does not belong to this attendee.")
    needs_check_in = kind in (CorrectionKind.MISSING_CHECK_OUT, CorrectionKind.WRONG_TIME, CorrectionKind.DELETE)
    if needs_check_in and check_in is None:
        raise DomainError(f"A {kind.replace('_', ' ')} correction must name the check-in.", code="check_in_required")
    refuse_future(proposed_checked_in_at, proposed_checked_out_at)
    if kind == CorrectionKind.MISSING_CHECK_IN and proposed_checked_in_at is None:
        raise DomainError("Give the check-in time that is missing.", code="time_required")
    if kind == CorrectionKind.MISSING_CHECK_OUT and proposed_checked_out_at is None:
        raise DomainError("Give the check-out time that is missing.", code="time_required")
    if kind == CorrectionKind.MISSING_CHECK_OUT and not check_in.is_open:
        raise DomainError("That check-in already has a check-out; ask for a wrong-time correction.", code="already_checked_out")
    if kind == CorrectionKind.WRONG_TIME and proposed_checked_in_at is None and proposed_checked_out_at is None:
        raise DomainError("Give the corrected check-in or check-out time.", code="time_required")
    if proposed_checked_in_at and proposed_checked_out_at and proposed_checked_out_at < proposed_checked_in_at:
        raise DomainError("The check-out time is before the check-in time.", code="checkout_before_checkin")
    return Correction.objects.create(
        organization=organization,
        attendee_type=registry.content_type_for(attendee),
        attendee_id=attendee.pk,
        check_in=check_in,
        kind=kind,
        reason=reason,
        proposed_checked_in_at=proposed_checked_in_at,
        proposed_checked_out_at=proposed_checked_out_at,
        submitted_by=submitted_by if getattr(submitted_by, "pk", None) else None,
    )


def _snapshot(row: CheckIn | None) -> dict | None:
    if row is None:
        return None
    return {
        "id": row.pk,
        "checked_in_at": row.checked_in_at.isoformat(),
        "checked_out_at": row.checked_out_at.isoformat() if row.checked_out_at else None,
        "kind": row.kind,
    }


def correction_approve(*, correction: Correction, actor, note: str = "") -> Correction:
    """Apply a pending correction through the engine and record before/after in the audit log."""
    with transaction.atomic():
        correction = Correction.objects.select_for_update().get(pk=correction.pk)
        if correction.status != CorrectionStatus.PENDING:
            raise DomainError(f"This correction is already {correction.status}.", code="correction_decided")
        organization = correction.organization
        attendee = registry.model_for_content_type_id(correction.attendee_type_id).objects.get(pk=correction.attendee_id)
        locked = attendee_get_for_update(attendee)
        row = CheckIn.objects.filter(pk=correction.check_in_id).first() if correction.check_in_id else None
        if row is None and correction.kind != CorrectionKind.MISSING_CHECK_IN:
            # Deleted since it was submitted (by another correction, or retention): the FK is now null.
            raise Conflict("The check-in of this correction no longer exists.", code="check_in_gone")
        before = _snapshot(row)
        after = _apply_correction(correction, locked, row, actor)
        correction.status = CorrectionStatus.APPROVED
        correction.decided_by = actor
        correction.decided_at = timezone.now()
        correction.decision_note = note
        correction.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "check_in"])
        audit_log_record(
            organization=organization, action="correction.approved", actor=actor, target=correction,
            reason=correction.reason, data={"kind": correction.kind, "before": before, "after": after, "note": note},
        )
    return correction


def _apply_correction(correction: Correction, attendee: Attendee, row: CheckIn | None, actor) -> dict | None:
    organization = correction.organization
    ctx = CheckInContext(
        organization=organization, attendee=attendee, method="manual", source="correction",
        at=correction.proposed_checked_in_at or timezone.now(), actor=actor,
    )
    months = set()
    if correction.kind == CorrectionKind.MISSING_CHECK_IN:
        start, end = correction.proposed_checked_in_at, correction.proposed_checked_out_at
        if end is None:
            if attendee.open_session is not None:
                raise DomainError("This person already has an open session.", code="already_checked_in")
            new = session_open_locked(ctx=ctx)
        else:
            refuse_overlap(attendee=attendee, start=start, end=end)
            new = CheckIn(
                organization=organization, attendee_type=correction.attendee_type, attendee_id=attendee.pk,
                checked_in_at=start, checked_out_at=end, duration=end - start, method="manual",
                source="correction", created_by=actor, notes=f"correction #{correction.pk}",
            )
            session_judge(organization=organization, attendee=attendee, row=new, lateness=True)
            visit_record(organization=organization, attendee=attendee, row=new, opens_session=False)
            # A whole visit: its listeners hear both halves, as for a recorded session.
            transaction.on_commit(lambda: events.checked_in.send(sender=CheckIn, check_in=new), robust=True)
            transaction.on_commit(lambda: events.checked_out.send(sender=CheckIn, check_in=new), robust=True)
        correction.check_in = new
        row = new
    elif correction.kind == CorrectionKind.MISSING_CHECK_OUT:
        if not row.is_open:
            raise DomainError("That check-in already has a check-out.", code="already_checked_out")
        row = session_close_locked(
            ctx=ctx, row=row, at=correction.proposed_checked_out_at, notes=f"correction #{correction.pk}"
        )
    elif correction.kind == CorrectionKind.WRONG_TIME:
        months.add(month_of(row.checked_in_at, organization))
        row.checked_in_at = correction.proposed_checked_in_at or row.checked_in_at
        if correction.proposed_checked_out_at:
            row.checked_out_at = correction.proposed_checked_out_at
        if row.checked_out_at and row.checked_out_at < row.checked_in_at:
            raise DomainError("The corrected check-out would be before the check-in.", code="checkout_before_checkin")
        refuse_overlap(attendee=attendee, start=row.checked_in_at, end=row.checked_out_at, exclude_id=row.pk)
        row.duration = row.checked_out_at - row.checked_in_at if row.checked_out_at else None
        # Lateness, early leave and kind follow the corrected times, as if recorded so at first.
        session_judge(organization=organization, attendee=attendee, row=row, lateness=True)
        row.save(update_fields=["checked_in_at", "checked_out_at", "duration", "late_minutes", "kind",
                                "early_leave_minutes"])
        if row.checked_out_at is not None:
            attendee.attendance_session_closed(row.pk)
        months.add(month_of(row.checked_in_at, organization))
    elif correction.kind == CorrectionKind.DELETE:
        months.add(month_of(row.checked_in_at, organization))
        snapshot_id = row.pk
        row.delete()
        row = None
        correction.check_in = None
        attendee.attendance_session_closed(snapshot_id)
    cutoff = retention_cutoff(organization)
    if months and cutoff is not None and min(months) <= month_of(cutoff, organization):
        # Its rollup counts rows retention purged: rebuilt from the rows that are left, it would lose them.
        raise Conflict("Retention has purged part of that month; its figures can no longer be corrected.",
                       code="month_purged")
    if months:
        rollups_rebuild(
            organization=organization, attendee_type_id=correction.attendee_type_id, attendee_ids=[attendee.pk],
            months=months,
        )
    return _snapshot(row)


def correction_reject(*, correction: Correction, actor, note: str = "") -> Correction:
    """Turn a pending correction down, with the reason in the audit log."""
    with transaction.atomic():
        correction = Correction.objects.select_for_update().get(pk=correction.pk)
        if correction.status != CorrectionStatus.PENDING:
            raise DomainError(f"This correction is already {correction.status}.", code="correction_decided")
        correction.status = CorrectionStatus.REJECTED
        correction.decided_by = actor
        correction.decided_at = timezone.now()
        correction.decision_note = note
        correction.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_log_record(
            organization=correction.organization, action="correction.rejected", actor=actor, target=correction,
            reason=note, data={"kind": correction.kind},
        )
    return correction


def force_check_out(*, check_in: CheckIn, actor, reason: str, at: datetime | None = None) -> CheckIn:
    """A manager closes someone's open session; the audit log keeps who and why."""
    with transaction.atomic():
        row = check_out(organization=check_in.organization, check_in=check_in, at=at, actor=actor, source="admin")
        audit_log_record(
            organization=check_in.organization, action="check_in.force_checked_out", actor=actor, target=row,
            reason=reason, data={"checked_out_at": row.checked_out_at.isoformat()},
        )
    return row
