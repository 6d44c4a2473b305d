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
