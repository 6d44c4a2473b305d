"""DRF permission that resolves the caller's organization and checks the role a view needs.

A view declares `allowed_roles` (default: every worker role), `allow_devices` (default: False, or
a set of device kinds) and `organization_url_kwarg` (the URL kwarg holding a slug, if any). After
the check, `request.principal` holds the Principal.
"""

from rest_framework import exceptions, permissions

from config.fields import wall_clock_zone_activate
from organizations.authentication import DeviceUser
from organizations.models import WORKER_ROLES
from organizations.tenancy import request_slug, resolve_principal


class IsOrganizationPrincipal(permissions.BasePermission):
    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        device = request.user.device if isinstance(request.user, DeviceUser) else None
        slug = request_slug(request, getattr(view, "kwargs", None), getattr(view, "organization_url_kwarg", None))
        principal = resolve_principal(user=None if device else request.user, device=device, slug=slug)
        request.principal = principal
        wall_clock_zone_activate(principal.organization.tz)
        if device is not None:
            allowed = getattr(view, "allow_devices", False)
            if allowed is True or (allowed and device.kind in allowed):
                return True
            raise exceptions.PermissionDenied("This device key may not use this endpoint.")
        allowed_roles = getattr(view, "allowed_roles", WORKER_ROLES)
        if principal.role not in allowed_roles:
            raise exceptions.PermissionDenied(
                f"Your role ({principal.role}) may not do this; it needs one of: {', '.join(sorted(allowed_roles))}."
            )
        return True


def principal_user(request):
    """Return the acting User, or None when a device acts."""
    user = request.user
    return None if isinstance(user, DeviceUser) or not user.is_authenticated else user
