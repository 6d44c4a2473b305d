from django.http import Http404

from organizations.tenancy import resolve_principal


def _page_slug(request) -> str | None:
    """The organization a page is about: a `slug`, `org_slug`, `hotel_slug`… URL kwarg, or ?org=."""
    match = getattr(request, "resolver_match", None)
    for name, value in (match.kwargs.items() if match else ()):
        if name == "slug" or name.endswith("_slug"):
            return value
    return request.GET.get("org") or None


def current_organization(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        principal = resolve_principal(user=user, device=None, slug=_page_slug(request))
    except Http404:
        try:
            principal = resolve_principal(user=user, device=None, slug=None)
        except Http404:
            return {}
    return {"current_organization": principal.organization, "current_role": principal.role}
