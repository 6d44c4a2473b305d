"""Pages of the meetings app: the status page of the Meet sync."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from meetings import selectors
from organizations.models import DESK_ROLES
from organizations.tenancy import resolve_principal


@login_required
def status_page(request, slug: str):
    """Each job's last and next run, Meet access, recent failures and the classes waiting for data."""
    principal = resolve_principal(user=request.user, device=None, slug=slug)
    if principal.role not in DESK_ROLES:
        raise PermissionDenied("Only managers and the front desk may see the sync status.")
    organization = principal.organization
    now = timezone.now()
    return render(request, "meetings/status.html", {
        "organization": organization,
        "now": now,
        "access": selectors.meet_access(organization=organization),
        "jobs": selectors.job_statuses(now=now),
        "active": selectors.active_sessions(organization=organization),
        "waiting": selectors.classes_waiting_for_data(organization=organization, now=now),
        "failures": selectors.recent_failures(organization=organization),
    })
