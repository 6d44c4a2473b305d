"""The Google Meet REST API v2, through google-api-python-client, reduced to what the sync needs.

Every list call follows `nextPageToken` to the end. Errors become MeetError subclasses: transient
ones (5xx, 429, network) after googleapiclient's own retries with exponential backoff, and
permanent ones (401, 403, 404, 400) at once.
"""

import functools
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import google.auth.exceptions
import httplib2
from django.conf import settings
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient import discovery_cache
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest

from config.errors import DomainError
from meetings import conf

logger = logging.getLogger(__name__)


class MeetError(DomainError):
    """The Meet API did not give us the data. `transient` errors are worth retrying soon."""

    status_code = 502
    code = "meet_error"
    transient = False


class MeetTransientError(MeetError):
    code = "meet_temporarily_unavailable"
    transient = True


class MeetNotFound(MeetError):
    code = "meet_not_found"


class MeetUnavailable(MeetError):
    """No usable credentials or no Meet scope: nothing to retry until someone runs the OAuth setup."""

    status_code = 503
    code = "meet_unavailable"


@functools.cache
def _discovery_document() -> dict:
    """The static discovery document shipped with google-api-python-client (no network)."""
    text = discovery_cache.get_static_doc("meet", "v2")
    if text is None:  # pragma: no cover - depends on the installed client
        raise MeetUnavailable("The installed google-api-python-client lacks the Meet v2 discovery document.")
    return json.loads(text)


def _to_rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str | None) -> datetime | None:
    """Parse a Meet timestamp ("2024-01-01T10:00:00.123456789Z") to an aware UTC datetime."""
    if not value:
        return None
    text = value.rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        text = f"{head}.{frac[:6].ljust(6, '0')}"
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _request_builder(sleep: Callable[[float], None]):
    class _Request(HttpRequest):
        """HttpRequest whose backoff sleeps through `sleep`, so tests can observe the waits."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._sleep = sleep
            self._rand = random.random

    return _Request


class MeetClient:
    """Read-only Meet API calls for one set of credentials. Used by one thread; it fans the
    per-participant calls out to its own threads itself (`participant_sessions_of`), each with its
    own HTTP connection (httplib2 connections are not thread-safe)."""

    def __init__(
        self,
        credentials,
        *,
        endpoint: str | None = None,
        retries: int | None = None,
        timeout: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int | None = None,
    ):
        self.credentials = credentials
        self.retries = conf.HTTP_RETRIES if retries is None else retries
        self.page_size = page_size or conf.PAGE_SIZE
        endpoint = endpoint if endpoint is not None else settings.GOOGLE_MEET_API_ENDPOINT
        self.timeout = timeout or conf.HTTP_TIMEOUT_SECONDS
        self._local = threading.local()
        self._calls_lock = threading.Lock()
        self.service = build_from_document(
            _discovery_document(),
            http=self._http(),
            client_options={"api_endpoint": endpoint} if endpoint else None,
            requestBuilder=_request_builder(sleep),
        )
        # Building a resource creates its methods from the discovery document: do it once, not per call.
        records = self.service.conferenceRecords()
        self._records = records
        self._participants = records.participants()
        self._sessions = self._participants.participantSessions()
        self.calls = 0

    # --- the three list calls ---------------------------------------------------------------

    def conference_records(
        self, *, space_name: str = "", meeting_code: str = "", start_from: datetime, start_to: datetime
    ) -> list[dict]:
        """Conference records of a space (by name, else meeting code) that started in [start_from, start_to]."""
        if space_name:
            space = f'space.name = "{space_name}"'
        elif meeting_code:
            space = f'space.meeting_code = "{meeting_code}"'
        else:
            raise MeetError("The class has neither a Meet space name nor a meeting code.", code="meet_space_missing")
        flt = f'{space} AND start_time>="{_to_rfc3339(start_from)}" AND start_time<="{_to_rfc3339(start_to)}"'
        records = self._all(
            lambda token: self._records.list(filter=flt, pageSize=self.page_size, pageToken=token),
            "conferenceRecords",
        )
        return sorted(records, key=lambda r: r.get("startTime", ""))

    def participants(self, record_name: str) -> list[dict]:
        return list(self._all(
            lambda token: self._participants.list(parent=record_name, pageSize=self.page_size, pageToken=token),
            "participants",
        ))

    def participant_sessions(self, participant_name: str) -> list[dict]:
        return list(self._all(
            lambda token: self._sessions.list(parent=participant_name, pageSize=self.page_size, pageToken=token),
            "participantSessions",
        ))

    def participant_sessions_of(self, participant_names: list[str]) -> list[list[dict]]:
        """participant_sessions of each name, in order, up to conf.PARALLEL_CALLS calls at a time:
        a class's calls wait on the network, not on this process. The calls before these (in the
        calling thread) refresh a token that is near its expiry, so the threads find it valid."""
        if conf.PARALLEL_CALLS <= 1 or len(participant_names) <= 1:
            return [self.participant_sessions(name) for name in participant_names]
        with ThreadPoolExecutor(min(conf.PARALLEL_CALLS, len(participant_names))) as pool:
            return list(pool.map(self.participant_sessions, participant_names))

    # --- plumbing ---------------------------------------------------------------------------

    def _http(self) -> AuthorizedHttp:
        """This thread's authorized HTTP connection."""
        http = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = AuthorizedHttp(self.credentials, http=httplib2.Http(timeout=self.timeout))
        return http

    def _all(self, make_request, key: str) -> list[dict]:
        items: list[dict] = []
        for page in self._pages(make_request):
            items.extend(page.get(key, []))
        return items

    def _pages(self, make_request) -> Iterator[dict]:
        token = None
        while True:
            page = self._execute(make_request(token))
            yield page
            token = page.get("nextPageToken")
            if not token:
                return

    def _execute(self, request) -> dict:
        with self._calls_lock:
            self.calls += 1
        try:
            return request.execute(http=self._http(), num_retries=self.retries)
        except HttpError as error:
            raise _from_http_error(error) from error
        except google.auth.exceptions.RefreshError as error:
            raise MeetUnavailable(
                f"Google Meet API not available: the stored credentials were rejected ({error}); "
                "run `manage.py setup_google_oauth --meet` again.",
                code="meet_credentials_rejected",
            ) from error
        except (OSError, httplib2.HttpLib2Error) as error:
            raise MeetTransientError(f"Network error talking to the Meet API: {error}") from error


def _error_message(error: HttpError) -> str:
    try:
        body = json.loads(error.content.decode("utf-8"))
        return body.get("error", {}).get("message") or str(error)
    except (ValueError, AttributeError):
        return str(error)


def _from_http_error(error: HttpError) -> MeetError:
    status = error.resp.status
    message = _error_message(error)
    if status >= 500 or status == 429:
        return MeetTransientError(f"The Meet API answered {status}: {message}", http_status=status)
    if status == 404:
        return MeetNotFound(f"The Meet API answered 404: {message}", http_status=status)
    if status == 403 and "scope" in message.lower():
        return MeetUnavailable(conf.NO_SCOPE_MESSAGE, code="meet_scope_missing", http_status=status)
    if status in (401, 403):
        return MeetUnavailable(
            f"Google Meet API not available: access denied ({status}: {message})", code="meet_access_denied",
            http_status=status,
        )
    return MeetError(f"The Meet API answered {status}: {message}", http_status=status)


def credentials_from_info(info: dict, scopes: list[str]) -> Credentials:
    """Build OAuth user credentials from stored authorized-user JSON."""
    token = info.get("token")
    if token and not info.get("refresh_token"):
        # An access token alone (tests, short-lived setups): used until it expires.
        return Credentials(token=token, scopes=scopes)
    return Credentials.from_authorized_user_info(info, scopes=scopes)
