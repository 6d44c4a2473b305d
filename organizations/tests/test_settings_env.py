"""Settings read the environment strictly: a bad value names the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"],
        cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env}, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be a boolean"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must start with one of"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL must start with one of"),
        ({"ATTENDANCE_DUPLICATE_SCAN_SECONDS": "soon"}, "ATTENDANCE_DUPLICATE_SCAN_SECONDS must be an integer"),
        ({"ATTENDANCE_MILESTONES": "10,lots"}, "ATTENDANCE_MILESTONES must be a comma-separated list of integers"),
        ({"DJANGO_ENV": "production"}, "SECRET_KEY is required when DJANGO_ENV=production"),
        ({"PUSHER_APP_ID": "1"}, "must be set together"),
        ({"DJANGO_ENV": "staging"}, "DJANGO_ENV must be one of"),
    ],
)
def test_bad_environment_values_raise_improperly_configured(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_no_variables_gives_the_embedded_sqlite_default(tmp_path):
    result = load_settings(VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"
    assert (tmp_path / "secret_key").exists()
