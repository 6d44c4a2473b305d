"""Links this app adds to the home page for a signed-in user."""

from django.urls import reverse

from meetings.models import ScheduledClass
from organizations.models import DESK_ROLES, MANAGER_ROLES


def home_links(organization, role, user=None) -> list[dict]:
    if role not in DESK_ROLES or not ScheduledClass.objects.filter(organization=organization).exists():
        return []
    links = [
        {"title": "Google Meet sync status", "url": reverse("meetings-status", args=[organization.slug]),
         "description": "Jobs, Meet access, recent failures and classes waiting for attendance data."},
    ]
    if role in MANAGER_ROLES:
        links += [
            {"title": "Unmatched Meet participants", "url": reverse("admin:meetings_attendancelog_changelist") + "?matched=others",
             "description": "Link guests and unknown accounts to teachers or students in the admin (remembered)."},
            {"title": "Family billing (this month)", "url": reverse("meetings-billing-families") + f"?org={organization.slug}",
             "description": "Minutes and amount per family and student (add &format=csv for CSV)."},
            {"title": "Teacher payroll (this month)", "url": reverse("meetings-payroll-teachers") + f"?org={organization.slug}",
             "description": "Minutes and amount per teacher (add &format=csv for CSV)."},
        ]
    return links
