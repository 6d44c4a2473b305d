"""The Django admin goes through the gym service: switching gamification back on stamps reactivated_at."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from gamification.models import Gym

pytestmark = pytest.mark.django_db


def test_admin_change_gym_uses_the_service(org, gym):
    Gym.objects.filter(pk=gym.pk).update(gamification_enabled=False)
    admin = get_user_model().objects.create_superuser("root", password="x")
    client = Client()
    client.force_login(admin)
    url = f"/admin/gamification/gym/{gym.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, {
        "organization": org.pk, "gamification_enabled": "on", "closed_weekdays": "[6]",
        "closed_days-TOTAL_FORMS": "1", "closed_days-INITIAL_FORMS": "0",
        "closed_days-0-date": "2026-12-25", "closed_days-0-reason": "Christmas",
    })
    assert response.status_code == 302, response.content[:2000]
    gym.refresh_from_db()
    assert gym.gamification_enabled and gym.reactivated_at is not None
    assert gym.closed_weekdays == [6]
    assert list(gym.closed_days.values_list("reason", flat=True)) == ["Christmas"]
    assert client.get("/admin/gamification/gymprofile/").status_code == 200
