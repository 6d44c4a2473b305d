"""Links this app adds to the home page for a signed-in user."""

from django.urls import reverse

from organizations.models import MANAGER_ROLES


def home_links(organization, role, user=None) -> list[dict]:
    if not organization.staff_members.exists():
        return []
    links = [
        {"title": "Staff clock", "url": reverse("staff-home", args=[organization.slug]),
         "description": "Clock in and out; who is on duty."},
        {"title": "Staff board", "url": reverse("staff-board", args=[organization.slug]),
         "description": "The live big-screen board of who is on duty."},
    ]
    # The timesheet is the managers' and each staff member's own; anyone else would meet a 404.
    if role in MANAGER_ROLES:
        links.append({"title": "Timesheet", "url": reverse("staff-timesheet-page", args=[organization.slug]),
                      "description": "Hours, overtime, late arrivals and auto-closed sessions (CSV too)."})
    elif user is not None and organization.staff_members.filter(user=user).exists():
        links.append({"title": "Timesheet", "url": reverse("staff-timesheet-page", args=[organization.slug]),
                      "description": "Your hours this month."})
    return links
