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


def run_on_postgres(script: str, **env) -> subprocess.CompletedProcess:
    """Run `script` in a fresh Django process on the test server's `postgres` database."""
    from urllib.parse import urlparse

    url = urlparse(os.environ["DATABASE_URL"])._replace(path="/postgres").geturl()
    dropped = {"REDIS_URL", "DJANGO_ENV", "DB_CONN_MAX_AGE", "DB_POOL_MAX_SIZE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": url, **env},
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


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DB_POOL_MAX_SIZE": "4"}, "DB_POOL_MAX_SIZE needs a PostgreSQL DATABASE_URL"),
        ({"DATABASE_URL": "postgres://u@127.0.0.1/x", "DB_POOL_MAX_SIZE": "4", "DB_CONN_MAX_AGE": "60"}, "not both"),
        ({"DB_POOL_MAX_SIZE": "-1"}, "DB_POOL_MAX_SIZE must be >= 0"),
    ],
)
def test_bad_pool_and_broadcast_settings_raise(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL; CI runs it there")
def test_pool_serves_connections_on_postgresql():
    """DB_POOL_MAX_SIZE turns on psycopg's pool: a query runs and the connection goes back to it."""
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "for _ in range(3):\n"
        "    with connection.cursor() as c: c.execute('SELECT 1'); assert c.fetchone() == (1,)\n"
        "    connection.close()\n"
        "stats = connection.pool.get_stats()\n"
        "print(stats['pool_max'], stats['requests_num'], stats['connections_num'])\n"
    )
    result = run_on_postgres(script, DB_POOL_MAX_SIZE="3")
    assert result.returncode == 0, result.stderr
    pool_max, requests, opened = (int(x) for x in result.stdout.split())
    assert (pool_max, requests) == (3, 3)
    assert opened < 3  # connections went back to the pool and were handed out again


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL; CI runs it there")
@pytest.mark.parametrize(("checks", "expected"), [("true", "ok ok ok"), ("false", "ok failed ok")])
def test_health_checks_decide_whether_a_database_restart_costs_a_request(checks, expected):
    """A persistent connection whose server process died: with DB_CONN_HEALTH_CHECKS the next request
    replaces it first; without, that request fails and the one after it gets a new connection."""
    script = (
        "import os, django, psycopg; django.setup()\n"
        "from django.core.signals import request_finished, request_started\n"
        "from django.db import OperationalError, connection\n"
        "def request():\n"
        "    request_started.send(sender=None)\n"
        "    try:\n"
        "        with connection.cursor() as c: c.execute('SELECT pg_backend_pid()'); return 'ok', c.fetchone()[0]\n"
        "    except OperationalError:\n"
        "        return 'failed', None\n"
        "    finally:\n"
        "        request_finished.send(sender=None)\n"
        "outcome, pid = request()\n"
        "outcomes = [outcome]\n"
        "admin_url = os.environ['DATABASE_URL'].replace('postgres://', 'postgresql://', 1)\n"
        "with psycopg.connect(admin_url, autocommit=True) as admin:\n"
        "    admin.execute('SELECT pg_terminate_backend(%s)', [pid])\n"
        "outcomes += [request()[0], request()[0]]\n"
        "print(' '.join(outcomes))\n"
    )
    result = run_on_postgres(script, DB_CONN_MAX_AGE="60", DB_CONN_HEALTH_CHECKS=checks)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL; CI runs it there")
@pytest.mark.parametrize(("setting", "expected"), [(None, "1 2147483647 refused"), ("false", "0 2147483647 refused")])
def test_statements_are_prepared_unless_switched_off_and_integers_stay_range_checked(setting, expected):
    """By default a statement run five times is prepared on the server (pg_prepared_statements);
    DB_PREPARED_STATEMENTS=false keeps client-side binding. Either way an integer beyond int4 is
    refused, and the largest one is taken as it is."""
    script = (
        "import django; django.setup()\n"
        "from django.db import DataError, connection\n"
        "from django.db.models import IntegerField\n"
        "with connection.cursor() as c:\n"
        "    for _ in range(6):\n"
        "        c.execute('SELECT count(*) FROM pg_class WHERE relpages > %s', [0])\n"
        "    c.execute(\"SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%relpages%%'\")\n"
        "    prepared = c.fetchone()[0]\n"
        "    c.execute('CREATE TEMP TABLE probe (n integer)')\n"
        "def store(value):\n"
        "    with connection.cursor() as c:\n"
        "        c.execute('INSERT INTO probe (n) VALUES (%s) RETURNING n', [IntegerField().get_db_prep_save(value, connection)])\n"
        "        return c.fetchone()[0]\n"
        "largest = store(2**31 - 1)\n"
        "try:\n"
        "    store(2**31)\n"
        "    over = 'stored'\n"
        "except DataError:\n"
        "    over = 'refused'\n"
        "print(prepared, largest, over)\n"
    )
    env = {"DB_CONN_MAX_AGE": "60"} | ({"DB_PREPARED_STATEMENTS": setting} if setting else {})
    result = run_on_postgres(script, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL; CI runs it there")
def test_ensure_database_creates_a_missing_database_once():
    """`make run` against a fresh PostgreSQL server: the database DATABASE_URL names is created, and
    a second run leaves it as it is."""
    import uuid
    from urllib.parse import urlparse

    import psycopg

    name = f"att_ensure_{uuid.uuid4().hex[:8]}"
    url = urlparse(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()
    admin_url = urlparse(os.environ["DATABASE_URL"])._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    command = [sys.executable, "manage.py", "ensure_database"]
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_ENV"}}
    try:
        first = subprocess.run(command, cwd=ROOT, env={**env, "DATABASE_URL": url}, capture_output=True, text=True, timeout=60)
        second = subprocess.run(command, cwd=ROOT, env={**env, "DATABASE_URL": url}, capture_output=True, text=True, timeout=60)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            exists = admin.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [name]).fetchone()[0]
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    assert first.returncode == 0, first.stderr
    assert f"Created database '{name}'" in first.stdout
    assert second.returncode == 0 and f"Database '{name}' exists." in second.stdout
    assert exists == 1


def test_ensure_database_has_nothing_to_do_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "ensure_database"], cwd=ROOT, env={**env, "VAR_DIR": str(tmp_path)},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "sqlite" in result.stdout


def test_the_docs_document_every_environment_variable_the_code_reads():
    """Configuration is read only through config.env's helpers; each variable they are asked for
    appears in the README's Configuration section (the essentials) or in docs/configuration.md (the
    tuning knobs, which that section links), so the docs cannot fall behind the code."""
    import re

    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    assert "docs/configuration.md" in section
    section += (ROOT / "docs" / "configuration.md").read_text()
    read = set()
    packages = [d for d in ROOT.iterdir() if (d / "__init__.py").exists()]  # config and the apps
    for path in (p for package in packages for p in package.rglob("*.py") if "tests" not in p.parts):
        read |= set(re.findall(r"\benv_[a-z_]+\(\s*\"([A-Z][A-Z0-9_]*)\"", path.read_text()))
    assert len(read) > 20, read  # the scan found the settings
    missing = sorted(name for name in read if f"`{name}`" not in section)
    assert not missing, f"not in the README's Configuration section nor docs/configuration.md: {missing}"
