"""Links this app adds to the home page for a signed-in user."""

from django.urls import reverse

from bookings import rls
from bookings.models import Studio
from organizations.models import DESK_ROLES, MANAGER_ROLES


def home_links(organization, role, user=None) -> list[dict]:
    with rls.organization_context(organization):
        is_studio = Studio.objects.filter(organization=organization).exists()
    if not is_studio:
        return []
    links = []
    if role in DESK_ROLES:
        links.append({"title": "Today's classes", "url": reverse("bookings-desk", args=[organization.slug]),
                      "description": "Class schedule with bookings, waitlists and check-ins."})
    if role in MANAGER_ROLES:
        links.append({"title": "Studio reports", "url": reverse("bookings-reports", args=[organization.slug]),
                      "description": "Attendance, capacity, instructors, revenue and peak hours, with charts."})
    return links
