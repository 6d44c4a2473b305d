from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import views
from organizations.views import AdminSignInView, SignInView

api_v1 = [
    path("", include("organizations.api.urls")),
    path("", include("attendance.api.urls")),
    path("gym/", include("gamification.api.urls")),
    path("bookings/", include("bookings.api.urls")),
    path("monitoring/", include("meetings.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("api/ping", views.ping, name="ping"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/login/", AdminSignInView.as_view()),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/staff/", include("staff.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", views.OfflineRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("attendance.urls")),
    path("", include("staff.urls")),
    path("", include("gamification.urls")),
    path("", include("bookings.urls")),
    path("", include("meetings.urls")),
]
