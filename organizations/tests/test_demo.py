"""The demo loader is idempotent: a second run changes nothing."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def table_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models()
            if model._meta.app_label in {"organizations", "attendance", "staff", "gamification", "bookings", "meetings",
                                          "django_celery_beat"}}


def test_seed_demo_twice_changes_nothing():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = table_counts()
    assert first["attendance.Member"] >= 60
    assert first["attendance.CheckIn"] > 1000
    assert "Demo logins" in out.getvalue()
    call_command("seed_demo", stdout=StringIO())
    assert table_counts() == first


def test_the_readmes_demo_footprints_open_the_door_after_a_fresh_seed(caplog):
    from rest_framework.test import APIClient

    from gamification.demo import TERMINAL_KEY

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert len(out.getvalue().splitlines()) < 60  # progress lines, not a line per demo check-in
    assert not [r for r in caplog.records if r.levelname == "INFO" and r.name.startswith("attendance")]
    terminal = APIClient(HTTP_AUTHORIZATION=f"Device {TERMINAL_KEY}")
    for footprint in ("FP-0000", "FP-0004"):
        response = terminal.post("/api/v1/gym/biometric/checkin", {"footprint_id": footprint}, format="json")
        assert response.status_code == 201, (footprint, response.json())
