"""A local HTTP server that speaks the Meet REST API v2's JSON for the three list calls we use.

GET /v2/conferenceRecords?filter=&pageSize=&pageToken=
GET /v2/conferenceRecords/{r}/participants?pageSize=&pageToken=
GET /v2/conferenceRecords/{r}/participants/{p}/participantSessions?pageSize=&pageToken=

Errors use Google's JSON error body. `fail_next(status, times, path_contains)` queues failures;
`requests` records every request path. Used by the tests and by benchmarks/meetings_sync.py.
"""

import itertools
import json
import re
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

STATUS_TEXT = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
               429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


def ts(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class FakeMeet:
    """In-memory Meet data plus the server that serves it."""

    def __init__(self, *, default_page_size: int = 25, require_token: str | None = None):
        self.records: dict[str, dict] = {}
        self.participants: dict[str, list[dict]] = {}
        self.sessions: dict[str, list[dict]] = {}
        self.failures: list[dict] = []
        self.requests: list[str] = []
        self.default_page_size = default_page_size
        self.latency = 0.0  # seconds each answer waits, like Google's servers and the network between
        self.require_token = require_token
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # --- building data ----------------------------------------------------------------------

    def add_record(self, *, space: str, start: datetime, end: datetime | None = None, meeting_code: str = "") -> str:
        name = f"conferenceRecords/rec-{next(self._ids)}"
        self.records[name] = {"name": name, "space": space, "meeting_code": meeting_code,
                              "startTime": ts(start), "endTime": ts(end)}
        self.participants[name] = []
        return name

    def add_participant(
        self, record: str, *, user: str | None = None, display_name: str = "", kind: str = "signed_in",
        sessions: list[tuple[datetime, datetime | None]] = (),
    ) -> str:
        name = f"{record}/participants/p-{next(self._ids)}"
        body: dict = {"name": name}
        if kind == "signed_in":
            body["signedinUser"] = {"user": user, "displayName": display_name}
        elif kind == "anonymous":
            body["anonymousUser"] = {"displayName": display_name}
        else:
            body["phoneUser"] = {"displayName": display_name}
        self.participants[record].append(body)
        self.sessions[name] = []
        for start, end in sessions:
            self.add_session(name, start, end)
        return name

    def add_session(self, participant: str, start: datetime, end: datetime | None = None) -> str:
        name = f"{participant}/participantSessions/s-{next(self._ids)}"
        self.sessions[participant].append({"name": name, "startTime": ts(start), "endTime": ts(end)})
        self._refresh_participant(participant)
        return name

    def end_session(self, session_name: str, end: datetime) -> None:
        participant = session_name.split("/participantSessions/")[0]
        for session in self.sessions[participant]:
            if session["name"] == session_name:
                session["endTime"] = ts(end)
        self._refresh_participant(participant)

    def _refresh_participant(self, participant: str) -> None:
        record = participant.split("/participants/")[0]
        sessions = self.sessions[participant]
        for body in self.participants[record]:
            if body["name"] == participant:
                body["earliestStartTime"] = min(s["startTime"] for s in sessions)
                ends = [s["endTime"] for s in sessions]
                if all(ends):
                    body["latestEndTime"] = max(ends)
                else:
                    body.pop("latestEndTime", None)

    def fail_next(self, status: int, *, times: int = 1, path_contains: str = "") -> None:
        with self.lock:
            self.failures.extend({"status": status, "path": path_contains} for _ in range(times))

    # --- serving ----------------------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes; no 40 ms delayed-ACK stall

            def log_message(self, *args):
                pass

            def do_GET(self):
                if fake.latency:
                    time.sleep(fake.latency)
                status, body = fake.handle(self.path, self.headers.get("Authorization", ""))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self.url

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def handle(self, raw_path: str, authorization: str) -> tuple[int, dict]:
        url = urlparse(raw_path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self.lock:
            self.requests.append(raw_path)
            for index, failure in enumerate(self.failures):
                if failure["path"] in url.path:
                    del self.failures[index]
                    return self._error(failure["status"], f"Injected failure {failure['status']}.")
        if not authorization.startswith("Bearer "):
            return self._error(401, "Request is missing required authentication credential.")
        if self.require_token and authorization != f"Bearer {self.require_token}":
            return self._error(403, "Request had insufficient authentication scopes.")
        path = url.path
        if path == "/v2/conferenceRecords":
            return self._page(self._records(query.get("filter", "")), "conferenceRecords", query)
        match = re.fullmatch(r"/v2/(conferenceRecords/[^/]+)/participants", path)
        if match:
            if match.group(1) not in self.records:
                return self._error(404, f"Requested entity was not found: {match.group(1)}")
            return self._page(self.participants[match.group(1)], "participants", query)
        match = re.fullmatch(r"/v2/(conferenceRecords/[^/]+/participants/[^/]+)/participantSessions", path)
        if match:
            if match.group(1) not in self.sessions:
                return self._error(404, f"Requested entity was not found: {match.group(1)}")
            return self._page(self.sessions[match.group(1)], "participantSessions", query)
        return self._error(404, f"Unknown path {path}")

    def _records(self, flt: str) -> list[dict]:
        space = re.search(r'space\.name\s*=\s*"([^"]+)"', flt)
        code = re.search(r'space\.meeting_code\s*=\s*"([^"]+)"', flt)
        lower = re.search(r'start_time\s*>=\s*"([^"]+)"', flt)
        upper = re.search(r'start_time\s*<=\s*"([^"]+)"', flt)
        result = []
        for record in self.records.values():
            if space and record["space"] != space.group(1):
                continue
            if code and record["meeting_code"] != code.group(1):
                continue
            start = _parse_ts(record["startTime"])
            if lower and start < _parse_ts(lower.group(1)):
                continue
            if upper and start > _parse_ts(upper.group(1)):
                continue
            result.append({k: v for k, v in record.items() if k != "meeting_code" and v is not None})
        return result

    def _page(self, items: list[dict], key: str, query: dict) -> tuple[int, dict]:
        size = int(query.get("pageSize") or self.default_page_size)
        offset = int(query.get("pageToken") or 0)
        chunk = [{k: v for k, v in item.items() if v is not None} for item in items[offset:offset + size]]
        body: dict = {key: chunk} if chunk else {}
        if offset + size < len(items):
            body["nextPageToken"] = str(offset + size)
        return 200, body

    @staticmethod
    def _error(status: int, message: str) -> tuple[int, dict]:
        return status, {"error": {"code": status, "message": message, "status": STATUS_TEXT.get(status, "UNKNOWN")}}
