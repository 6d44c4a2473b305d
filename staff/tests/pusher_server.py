"""A local Pusher-protocol HTTP server for tests: it checks each request the way Pusher does.

It implements the HTTP API's `POST /apps/<app_id>/events` with Pusher's request signing:
auth_key must be the app key, auth_timestamp within 600 s, auth_version 1.0, body_md5 the MD5 of
the body, and auth_signature the HMAC-SHA256 (hex, keyed with the secret) of
"POST\\n<path>\\n<query without auth_signature, keys sorted>". A bad signature answers 401 like
Pusher. `fail_next` makes the next N valid requests answer 503 (Pusher down); `fail_event` does it
for one event name only; `delay` makes every accepted request wait that many seconds before it is
recorded and answered (a slow Pusher).
"""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


class PusherServer:
    def __init__(self, *, app_id: str = "4242", key: str = "test-key", secret: str = "test-secret", port: int = 0):
        self.app_id, self.key, self.secret = app_id, key, secret
        self.events: list[dict] = []  # accepted events: {"name", "channels", "data"(decoded)}
        self.attempts = 0
        self.attempts_by_event: dict[str, int] = {}
        self.rejected: list[str] = []
        self.fail_next = 0
        self.fail_event: dict[str, int] = {}  # event name -> how many more requests to answer 503
        self.delay = 0.0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, answer = server.handle(self.path, body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, raw_path: str, body: bytes) -> tuple[int, dict]:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.attempts += 1
            parts = urlsplit(raw_path)
            if parts.path != f"/apps/{self.app_id}/events":
                return 404, {"error": "unknown path"}
            error = self._check_signature(parts.path, dict(parse_qsl(parts.query)), body)
            if error:
                self.rejected.append(error)
                return 401, {"error": error}
            message = json.loads(body)
            self.attempts_by_event[message["name"]] = self.attempts_by_event.get(message["name"], 0) + 1
            if self.fail_event.get(message["name"], 0) > 0:
                self.fail_event[message["name"]] -= 1
                return 503, {"error": "service unavailable"}
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, {"error": "service unavailable"}
            self.events.append({"name": message["name"], "channels": message["channels"],
                                "data": json.loads(message["data"])})
            return 200, {}

    def _check_signature(self, path: str, query: dict, body: bytes) -> str | None:
        signature = query.pop("auth_signature", None)
        if query.get("auth_key") != self.key:
            return "unknown auth_key"
        if query.get("auth_version") != "1.0":
            return "auth_version must be 1.0"
        if abs(time.time() - int(query.get("auth_timestamp", "0"))) > 600:
            return "auth_timestamp out of range"
        if query.get("body_md5") != hashlib.md5(body).hexdigest():
            return "body_md5 mismatch"
        canonical = "&".join(f"{k.lower()}={v}" for k, v in sorted(query.items()))
        expected = hmac.new(self.secret.encode(), f"POST\n{path}\n{canonical}".encode(), hashlib.sha256).hexdigest()
        if not signature or not hmac.compare_digest(signature, expected):
            return "invalid signature"
        return None
