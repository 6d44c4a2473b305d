"""Links this app adds to the home page for a signed-in user."""

from django.urls import reverse

from organizations.models import MANAGER_ROLES


def home_links(organization, role) -> list[dict]:
    if not organization.staff_members.exists():
        return []
    links = [
        {"title": "Staff clock", "url": reverse("staff-home", args=[organization.slug]),
         "description": "Clock in and out; who is on duty."},
        {"title": "Staff board", "url": reverse("staff-board", args=[organization.slug]),
         "description": "The live big-screen board of who is on duty."},
        {"title": "Timesheet", "url": reverse("staff-timesheet-page", args=[organization.slug]),
         "description": "Hours, overtime, late arrivals and auto-closed sessions (CSV too)."
         if role in MANAGER_ROLES else "Your hours this month."},
    ]
    return links
