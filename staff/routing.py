from django.urls import path

from staff.consumers import HotelConsumer

websocket_urlpatterns = [
    path("ws/hotel/<slug:hotel_slug>/", HotelConsumer.as_asgi()),
]
