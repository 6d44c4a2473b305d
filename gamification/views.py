"""Front-desk pages (server-rendered shells; the desk itself talks to the gym API)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from gamification import selectors, services
from organizations.models import DESK_ROLES
from organizations.tenancy import resolve_principal


def _desk_principal(request, slug):
    principal = resolve_principal(user=request.user, device=None, slug=slug)
    if principal.role not in DESK_ROLES:
        raise Http404("No such gym.")  # keep other people's desks invisible, like the API's 404s
    try:
        gym = services.gym_get(organization=principal.organization)
    except services.GymNotConfigured:
        raise Http404("Not a gym.") from None
    return principal, gym


@login_required
def desk(request, slug):
    """The check-in screen: scanner field, search, manual and courtesy entries, live visits."""
    principal, gym = _desk_principal(request, slug)
    return render(request, "gamification/desk.html", {
        "organization": principal.organization,
        "current_organization": principal.organization,  # the navbar shows this desk's gym
        "current_role": principal.role,
        "gym": gym,
        "role": principal.role,
        "can_courtesy": principal.role in services.COURTESY_ROLES,
    })


@login_required
def cards(request, slug):
    """Printable member cards: each member's QR code and a button to replace it."""
    principal, gym = _desk_principal(request, slug)
    return render(request, "gamification/cards.html", {
        "organization": principal.organization, "cards": selectors.member_cards(organization=principal.organization),
        "role": principal.role,
        "current_organization": principal.organization, "current_role": principal.role,
    })


@login_required
def desk_service_worker(request, slug):
    """The desk's service worker, served under the desk's own path so its scope covers the page."""
    _desk_principal(request, slug)
    response = render(request, "offline_sw.js", {"cache_name": f"gym-desk-{slug}-v1", "never_cached_json": "[]"},
                      content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
def desk_web_manifest(request, slug):
    """The web app manifest that makes the desk installable."""
    principal, _ = _desk_principal(request, slug)
    desk_url = reverse("gym-desk", args=[slug])
    return JsonResponse({
        "name": f"Front desk · {principal.organization.name}", "short_name": "Desk",
        "start_url": desk_url, "scope": desk_url, "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#2563eb",
        "icons": [{"src": "/static/gamification/desk-icon.svg", "sizes": "any", "type": "image/svg+xml"}],
    }, content_type="application/manifest+json")
