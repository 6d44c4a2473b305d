from django.http import Http404

from organizations.tenancy import resolve_principal


def current_organization(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        principal = resolve_principal(user=user, device=None, slug=None)
    except Http404:
        return {}
    return {"current_organization": principal.organization, "current_role": principal.role}
