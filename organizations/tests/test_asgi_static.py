"""Static files under the ASGI server that `make run` starts (uvicorn serves every request there)."""

import warnings
from pathlib import Path

from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from config.asgi import application

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"


async def _get(path: str) -> tuple[int, dict, bytes]:
    """GET `path` from the ASGI application, the way uvicorn would: status, headers, whole body."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(5)
    body = b""
    while True:
        message = await communicator.receive_output(5)
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await communicator.wait(5)
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body


def test_a_static_file_is_served_whole_over_asgi_without_the_synchronous_iterator_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status, headers, body = async_to_sync(_get)("/static/css/app.css")

    assert status == 200
    assert body == CSS.read_bytes()
    assert headers["content-type"].startswith("text/css")
    assert [str(w.message) for w in caught if "synchronous iterators" in str(w.message)] == []


def test_other_requests_still_go_through_django():
    status, headers, body = async_to_sync(_get)("/api/ping")

    assert status == 200
    assert headers["content-type"] == "application/json"
    assert headers["x-frame-options"] == "DENY"  # the middleware ran
    assert body.startswith(b"{")
