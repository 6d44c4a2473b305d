"""Links this app adds to the home page for a signed-in user (only for organizations that are gyms)."""

from django.urls import reverse

from organizations.models import DESK_ROLES


def home_links(organization, role, user=None) -> list[dict]:
    from gamification.models import Gym

    if role not in DESK_ROLES or not Gym.objects.filter(organization=organization).exists():
        return []
    return [
        {"title": "Gym front desk", "url": reverse("gym-desk", args=[organization.slug]),
         "description": "Scan QR cards, search members, manual and courtesy entries, live occupancy."},
        {"title": "Member cards", "url": reverse("gym-cards", args=[organization.slug]),
         "description": "Each member's QR code, printable; replace a lost card."},
    ]
