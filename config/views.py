"""Home page, health check and the trivial JSON endpoint the benchmark compares against."""

import importlib

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

from organizations.models import MANAGER_ROLES
from organizations.tenancy import default_organization

APPS_WITH_LINKS = ["attendance", "staff", "gamification", "bookings", "meetings"]


@login_required
def home(request):
    """Show a signed-in user where to go: admin, API docs and each app's pages, per organization."""
    memberships = request.user.memberships.select_related("organization").order_by("organization__name")
    organizations = [(m.organization, m.role) for m in memberships]
    if not organizations and request.user.is_superuser:
        organizations = [(default_organization(), "owner")]
    blocks = []
    for organization, role in organizations:
        links = []
        for app in APPS_WITH_LINKS:
            links.extend(importlib.import_module(f"{app}.links").home_links(organization, role, request.user))
        blocks.append({"organization": organization, "role": role, "links": links})
    can_admin = request.user.is_superuser or any(role in MANAGER_ROLES for _, role in organizations)
    return render(request, "home.html", {"blocks": blocks, "can_admin": can_admin})


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def ping(request):
    return JsonResponse({"pong": True})


class OfflineRedocView(SpectacularRedocView):
    """Redoc served from our own static files only: no web fonts, and a policy that keeps the bundle's
    built-in "Redocly" logo (an image on a CDN) from being fetched, so the reference works offline."""

    template_name = "api/redoc.html"
    content_security_policy = (
        "default-src 'self'; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'"
    )

    @extend_schema(exclude=True)  # a documentation page, not an operation (as drf-spectacular's own view)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = self.content_security_policy
        return response
