"""ASGI entry point: HTTP through Django, WebSockets through Channels (see config/routing.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from organizations.ws_auth import WebsocketAuthMiddleware  # noqa: E402
from realtime.asgi import RelayLifespan  # noqa: E402

if not settings.PRODUCTION:
    # `make run` serves everything from uvicorn. WhiteNoise speaks WSGI only: under ASGI Django would
    # warn on every static file ("StreamingHttpResponse must consume synchronous iterators"). So
    # outside production static files come from Django's own ASGI handler (as under runserver), which
    # reads the file in a thread and sends it asynchronously. In production gunicorn serves pages and
    # static files (WhiteNoise) and uvicorn only /ws/ (README, "Serving").
    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

application = RelayLifespan(ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(WebsocketAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
))
