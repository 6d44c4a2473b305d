"""Row-level security context for the bookings tables on PostgreSQL (a no-op on SQLite).

Migration 0002 enables and FORCES row-level security on every bookings table with one policy:

    organization_id = current_setting('app.current_organization')::bigint
    OR current_setting('app.rls_bypass') = 'on'

How the two settings are managed (session-level `set_config`, per connection):
- A new connection starts trusted (`app.rls_bypass = on`): migrations, Celery jobs, management
  commands and the admin work across organizations. Jobs that act for one organization narrow
  themselves with `organization_context(org)`.
- Every bookings API request and page calls `activate(organization)` once the principal is known:
  from then on the database itself admits only that organization's rows, whatever the ORM query
  says. `request_finished` (and, defensively, `request_started`) put the connection back.

PostgreSQL superusers and roles with BYPASSRLS ignore the policies even when forced, so production
must connect as an ordinary role (see docs/bookings.md). The settings are written through the raw
driver cursor so they do not show up in query logs or query-count assertions of other apps.
"""

import logging
from contextlib import contextmanager

from django.db import DatabaseError
from django.db import connection as default_connection

logger = logging.getLogger(__name__)

try:
    from psycopg import Error as _DriverError
except ImportError:  # SQLite-only installs
    class _DriverError(Exception):
        pass

ORG_SETTING = "app.current_organization"
BYPASS_SETTING = "app.rls_bypass"
TRUSTED = ("", "on")


def _state(conn) -> tuple[str, str]:
    return getattr(conn, "_bookings_rls_state", TRUSTED)


def _apply(conn, state: tuple[str, str]) -> None:
    if conn.vendor != "postgresql":
        return
    conn.ensure_connection()
    with conn.connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, false), set_config(%s, %s, false)",
            [ORG_SETTING, state[0], BYPASS_SETTING, state[1]],
        )
    conn._bookings_rls_state = state


def activate(organization, *, conn=None) -> None:
    """Restrict this connection's bookings tables to `organization` until `deactivate()`."""
    _apply(conn or default_connection, (str(organization.pk), "off"))


def deactivate(*, conn=None) -> None:
    """Put the connection back to its trusted default (jobs, commands, other apps)."""
    conn = conn or default_connection
    if conn.vendor == "postgresql" and conn.connection is not None and _state(conn) != TRUSTED:
        _apply(conn, TRUSTED)


@contextmanager
def organization_context(organization, *, conn=None):
    """Run a block with the bookings tables restricted to `organization`, then restore the previous state."""
    conn = conn or default_connection
    previous = _state(conn)
    activate(organization, conn=conn)
    try:
        yield
    finally:
        if conn.vendor == "postgresql" and conn.connection is not None:
            _apply(conn, previous)


def current_setting(*, conn=None) -> tuple[str | None, str | None]:
    """Return (organization id, bypass) as the database sees them (for tests and debugging)."""
    conn = conn or default_connection
    if conn.vendor != "postgresql":
        return None, None
    with conn.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true), current_setting(%s, true)", [ORG_SETTING, BYPASS_SETTING])
        return cursor.fetchone()


# --- signal receivers, connected in BookingsConfig.ready() ----------------------------------------


def on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        connection._bookings_rls_state = ("?", "?")  # force the write below
        _apply(connection, TRUSTED)


def on_request_boundary(sender, **kwargs) -> None:
    try:
        deactivate()
    except (DatabaseError, _DriverError):
        # E.g. the request left its transaction aborted. Mark the state unknown so the next request
        # boundary tries again; the connection is closed by Django if it is unusable.
        default_connection._bookings_rls_state = ("?", "?")
        logger.warning("could not reset the bookings RLS context; will retry at the next request", exc_info=True)
