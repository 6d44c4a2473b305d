"""The engine API asks the attendee's channel policy (attendance.policies) who may record and who
reads, before any route records or reads a record of an attendee the policy governs (a hotel's
staff follow staff.policies). Attendees no policy governs follow the role check alone."""

from django.db.models import Q, QuerySet

from attendance import policies, registry
from attendance.exceptions import AttendeeNotFound
from organizations.permissions import principal_user


def caller_of(request) -> policies.Caller:
    principal = request.principal
    device = principal.device
    return policies.Caller(organization=principal.organization, role=None if device else principal.role,
                           user=principal_user(request), device=device)


def record_options(request, attendee, *, at=None, reason: str = "", expected_checkout_at=None) -> dict:
    """The engine options for recording a check-in or check-out of `attendee` (a row or a stand-in)
    on the caller's behalf; raises the policy's refusal (403, 400 `reason_required`, 404)."""
    policy = policies.governing_policy(type(attendee))
    if policy is None:
        return {}
    return policy.record_options(caller=caller_of(request), attendee_id=attendee.pk, at=at, reason=reason,
                                 expected_checkout_at=expected_checkout_at)


def readable(request, rows: QuerySet) -> QuerySet:
    """`rows` (anything with attendee_type and attendee_id) without the records the caller may not read."""
    caller = caller_of(request)
    for label, policy in policies.governed().items():
        ids = policy.readable_ids(caller=caller)
        if ids is not None:
            content_type = registry.content_type_for(registry.attendee_model(label))
            rows = rows.exclude(Q(attendee_type=content_type) & ~Q(attendee_id__in=ids))
    return rows


def readable_entries(request, entries: list[dict]) -> list[dict]:
    """Named attendees in a report (`attendee_type` label, `attendee_id`) the caller may read about."""
    caller = caller_of(request)
    allowed = {label: policy.readable_ids(caller=caller) for label, policy in policies.governed().items()}
    return [e for e in entries if allowed.get(e["attendee_type"]) is None or e["attendee_id"] in allowed[e["attendee_type"]]]


def check_readable(request, attendee) -> None:
    """404 `attendee_not_found` when the caller may not read this attendee's records."""
    policy = policies.governing_policy(type(attendee))
    ids = policy.readable_ids(caller=caller_of(request)) if policy is not None else None
    if ids is not None and attendee.pk not in ids:
        raise AttendeeNotFound("No such attendee in this organization.")
