"""Knobs of the meetings app, read strictly from the environment (documented in docs/meetings.md)."""

from config.env import env_int

# Job intervals (seconds); `manage.py setup_periodic_tasks` installs them.
ADVANCE_INTERVAL_SECONDS = env_int("MEETINGS_ADVANCE_INTERVAL_SECONDS", 120, minimum=10)
SYNC_ACTIVE_INTERVAL_SECONDS = env_int("MEETINGS_SYNC_ACTIVE_INTERVAL_SECONDS", 180, minimum=10)
RETRY_INTERVAL_SECONDS = env_int("MEETINGS_RETRY_INTERVAL_SECONDS", 600, minimum=10)
# Completed classes younger than this are re-fetched while their final data is missing or failed.
RETRY_WINDOW_DAYS = env_int("MEETINGS_RETRY_WINDOW_DAYS", 7, minimum=1)
# Backoff of a class whose fetch failed: base * 2**(failures-1), capped.
RETRY_BACKOFF_SECONDS = env_int("MEETINGS_RETRY_BACKOFF_SECONDS", 60, minimum=1)
RETRY_BACKOFF_MAX_SECONDS = env_int("MEETINGS_RETRY_BACKOFF_MAX_SECONDS", 3600, minimum=1)
# In-request retries of one Meet API call on 5xx/429/network errors (googleapiclient num_retries).
HTTP_RETRIES = env_int("MEETINGS_HTTP_RETRIES", 3, minimum=0)
HTTP_TIMEOUT_SECONDS = env_int("MEETINGS_HTTP_TIMEOUT_SECONDS", 30, minimum=1)
# Celery-level retries of one class's fetch task after the in-request retries gave up.
TASK_MAX_RETRIES = env_int("MEETINGS_TASK_MAX_RETRIES", 3, minimum=0)
# Conference records starting this long before the class count as the class's (teachers open early).
EARLY_JOIN_MINUTES = env_int("MEETINGS_EARLY_JOIN_MINUTES", 15, minimum=0)
# Attended time is counted inside [start, end + overtime]; the class completes at end + overtime.
OVERTIME_MINUTES = env_int("MEETINGS_OVERTIME_MINUTES", 0, minimum=0)
PAGE_SIZE = env_int("MEETINGS_PAGE_SIZE", 100, minimum=1)
# Per-participant session lists of one class fetched this many at a time (1 = one after the other).
PARALLEL_CALLS = env_int("MEETINGS_PARALLEL_CALLS", 4, minimum=1)

MEET_READONLY_SCOPE = "https://www.googleapis.com/auth/meetings.space.readonly"
NO_SCOPE_MESSAGE = "Google Meet API not available: the token lacks the Meet scope"
NO_CREDENTIALS_MESSAGE = "Google Meet API not available: no Google credentials for this organization"


def setup_command(slug: str) -> str:
    """The command that stores (or replaces) an organization's Meet credentials."""
    return f"manage.py setup_google_oauth --meet --org {slug}"


def with_fix(message: str, slug: str) -> str:
    """`message` followed by the command that fixes Meet access for the organization `slug`."""
    command = setup_command(slug)
    return message if command in message else f"{message}. To fix it, run `{command}`."
