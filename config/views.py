"""Home page, health check and the trivial JSON endpoint the benchmark compares against."""

import importlib

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

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
            links.extend(importlib.import_module(f"{app}.links").home_links(organization, role))
        blocks.append({"organization": organization, "role": role, "links": links})
    return render(request, "home.html", {"blocks": blocks})


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def ping(request):
    return JsonResponse({"pong": True})
