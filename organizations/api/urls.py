from django.urls import path
from rest_framework.routers import SimpleRouter

from organizations.api import views

router = SimpleRouter()
router.register("devices", views.DeviceKeyViewSet, basename="device")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
