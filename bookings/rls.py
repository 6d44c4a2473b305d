"""Row-level security context for the bookings tables and the customers on PostgreSQL (a no-op on SQLite).

Migrations 0002, 0004 and 0007 enable and FORCE row-level security on every bookings table (the
class–instructor link table included) and on the customers (`attendance_member`: studio customers
and gym members) with one policy:

    organization_id = current_setting('app.current_organization')::bigint

There is no bypass setting: nothing the application runs can widen what a connection sees.
- A new connection has no organization and sees no bookings row and no customer.
- Every request names its organization once the principal is known (the `principal_resolved`
  signal of `organizations.tenancy.resolve_principal`: API views, pages, WebSocket consumers): from
  then on the database admits only that organization's rows, whatever the ORM query says.
  `request_finished` (and, defensively, `request_started`) put the connection back to no organization.
- Code that acts for one organization outside a request narrows itself with `organization_context(org)`.
- Work across organizations (migrations, cross-tenant jobs such as `mark_no_shows`, the demo seed)
  connects as a role with BYPASSRLS; the web processes connect as an ordinary role (docs/bookings.md).

The setting is written through the raw driver cursor so it does not show up in query logs or
query-count assertions of other apps.
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
NO_TENANT = ""
_UNKNOWN = "?"


def _state(conn) -> str:
    return getattr(conn, "_bookings_rls_state", NO_TENANT)


def _apply(conn, organization_id: str) -> None:
    if conn.vendor != "postgresql":
        return
    conn.ensure_connection()
    with conn.connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, false)", [ORG_SETTING, organization_id])
    conn._bookings_rls_state = organization_id


def activate(organization, *, conn=None) -> None:
    """Restrict this connection's bookings tables to `organization` until `deactivate()`."""
    # Always written: a rolled-back transaction also rolls back a setting made inside it.
    _apply(conn or default_connection, str(organization.pk))


def deactivate(*, conn=None) -> None:
    """Put the connection back to no organization (it sees no bookings row)."""
    conn = conn or default_connection
    if conn.vendor == "postgresql" and conn.connection is not None and _state(conn) != NO_TENANT:
        _apply(conn, NO_TENANT)


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


def current_setting(*, conn=None) -> str | None:
    """The organization id the database sees ("" or None for none; for tests and debugging)."""
    conn = conn or default_connection
    if conn.vendor != "postgresql":
        return None
    with conn.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [ORG_SETTING])
        return cursor.fetchone()[0]


# --- signal receivers, connected in BookingsConfig.ready() ----------------------------------------


def on_connection_created(sender, connection, **kwargs) -> None:
    connection._bookings_rls_state = NO_TENANT  # a new session has no organization setting


def on_principal_resolved(sender, principal, **kwargs) -> None:
    activate(principal.organization)


def on_request_boundary(sender, **kwargs) -> None:
    try:
        deactivate()
    except (DatabaseError, _DriverError):
        # E.g. the request left its transaction aborted. Mark the state unknown so the next request
        # boundary tries again; the connection is closed by Django if it is unusable.
        default_connection._bookings_rls_state = _UNKNOWN
        logger.warning("could not reset the bookings RLS context; will retry at the next request", exc_info=True)
