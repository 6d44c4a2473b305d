"""WebSocket routes of every app."""

from django.urls import path

from bookings.routing import websocket_urlpatterns as bookings_ws
from gamification.routing import websocket_urlpatterns as gym_ws
from meetings.routing import websocket_urlpatterns as meetings_ws
from organizations.consumers import OrganizationConsumer
from staff.routing import websocket_urlpatterns as staff_ws

websocket_urlpatterns = [
    path("ws/org/<slug:org_slug>/", OrganizationConsumer.as_asgi()),
    *staff_ws,
    *gym_ws,
    *bookings_ws,
    *meetings_ws,
]
