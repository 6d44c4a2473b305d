"""`manage.py setup_google_oauth --meet`: the installed-app flow against a local OAuth token endpoint."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from urllib.request import urlopen

import pytest
from django.core.management import CommandError, call_command

from meetings import conf
from meetings.models import GoogleCredential


@pytest.fixture
def token_server():
    """A local OAuth 2.0 token endpoint that swaps any code for tokens with the Meet scope."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            seen.append(body)
            data = json.dumps({"access_token": "ya29.test", "refresh_token": "1//refresh", "token_type": "Bearer",
                               "expires_in": 3600, "scope": server.granted_scope}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.granted_scope = conf.MEET_READONLY_SCOPE
    server.seen = seen
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


class _Browser(logging.Handler):
    """Plays the user's browser: when the flow prints its URL, 'consent' and follow the redirect."""

    def emit(self, record):
        message = record.getMessage()
        if not message.startswith("Open this URL"):
            return  # the flow's own request log
        url = message.split("\n")[1]
        query = parse_qs(urlparse(url).query)
        self.auth_query = query
        target = f"{query['redirect_uri'][0]}?state={query['state'][0]}&code=4/test-code&scope={query['scope'][0]}"
        threading.Thread(target=lambda: urlopen(target, timeout=5).read(), daemon=True).start()


@pytest.fixture
def browser():
    handler = _Browser()
    logger = logging.getLogger("google_auth_oauthlib.flow")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


@pytest.fixture
def client_secrets(tmp_path, token_server, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the local token endpoint is plain http
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)  # the command sets it; undone after
    path = tmp_path / "client.json"
    path.write_text(json.dumps({"installed": {
        "client_id": "123.apps.googleusercontent.com", "client_secret": "shh",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": f"http://127.0.0.1:{token_server.server_address[1]}/token", "redirect_uris": ["http://localhost"],
    }}))
    return path


@pytest.mark.django_db
def test_flow_stores_meet_credentials(academy, client_secrets, token_server, browser, capsys, settings):
    settings.GOOGLE_OAUTH_CLIENT_SECRETS_FILE = str(client_secrets)
    call_command("setup_google_oauth", "--meet", "--org", "bright-test", "--no-browser")
    assert browser.auth_query["scope"] == [conf.MEET_READONLY_SCOPE]
    assert browser.auth_query["access_type"] == ["offline"]
    assert token_server.seen[0]["code"] == ["4/test-code"]
    credential = GoogleCredential.objects.get(organization=academy)
    assert credential.scopes == [conf.MEET_READONLY_SCOPE]
    assert credential.authorized_user_info["refresh_token"] == "1//refresh"
    assert credential.authorized_user_info["client_id"] == "123.apps.googleusercontent.com"
    assert "Google Meet access stored for bright-test" in capsys.readouterr().out


@pytest.mark.django_db
def test_flow_without_the_meet_scope_says_so(academy, client_secrets, token_server, browser, capsys):
    token_server.granted_scope = "openid"
    call_command("setup_google_oauth", "--meet", "--org", "bright-test", "--no-browser", "--client-secrets", str(client_secrets))
    assert "Google Meet API not available: the token lacks the Meet scope" in capsys.readouterr().err


@pytest.mark.django_db
def test_importing_an_authorized_user_file_and_bad_arguments(academy, tmp_path, settings):
    path = tmp_path / "authorized_user.json"
    path.write_text(json.dumps({"token": "t", "refresh_token": "r", "client_id": "c", "client_secret": "s",
                                "scopes": [conf.MEET_READONLY_SCOPE]}))
    call_command("setup_google_oauth", "--meet", "--org", "bright-test", "--from-authorized-user", str(path))
    assert GoogleCredential.objects.get(organization=academy).scopes == [conf.MEET_READONLY_SCOPE]
    with pytest.raises(CommandError, match="--meet"):
        call_command("setup_google_oauth", "--org", "bright-test")
    with pytest.raises(CommandError, match="No organization"):
        call_command("setup_google_oauth", "--meet", "--org", "nope")
    settings.GOOGLE_OAUTH_CLIENT_SECRETS_FILE = ""
    with pytest.raises(CommandError, match="GOOGLE_OAUTH_CLIENT_SECRETS_FILE"):
        call_command("setup_google_oauth", "--meet", "--org", "bright-test")
