"""Links this app adds to the home page for a signed-in user."""

from django.urls import reverse

from organizations.models import MANAGER_ROLES


def home_links(organization, role, user=None) -> list[dict]:
    links = [
        {"title": "Occupancy", "url": reverse("occupancy") + f"?org={organization.slug}", "description": "Who is checked in right now (JSON)."},
    ]
    if role in MANAGER_ROLES or role == "receptionist":
        links.append({"title": "Dashboard", "url": reverse("dashboard") + f"?org={organization.slug}", "description": "Visits, engagement and at-risk attendees for the last 30 days (JSON)."})
    return links
