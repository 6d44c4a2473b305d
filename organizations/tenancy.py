"""Which organization a request acts for, and in which role.

The organization always comes from the authenticated principal: a device key belongs to exactly
one organization; a user acts for one of the organizations they are a member of (chosen by the URL
slug, the `X-Organization` header or `?org=`, else their first membership). A platform superuser may
act for any organization. Anything else answers 404, so another tenant's existence is not revealed.
"""

from dataclasses import dataclass

from django.conf import settings
from django.dispatch import Signal
from django.http import Http404

from organizations.models import DeviceKey, Membership, Organization, Role


@dataclass(frozen=True)
class Principal:
    organization: Organization
    role: str | None  # None for a device
    user: object | None = None  # a User, or None for a device
    device: DeviceKey | None = None

    @property
    def actor(self):
        return self.user


# The one-to-one settings rows read with a request's organization, in the same query, so that the
# rules of a check-in ask no question of their own ("is this organization a gym?", gamification).
ORGANIZATION_WITH = ("gym",)


def default_organization() -> Organization:
    """Return the single-tenant default organization, creating it on first use."""
    org, _ = Organization.objects.get_or_create(
        slug=settings.DEFAULT_ORGANIZATION_SLUG, defaults={"name": "Default organization"}
    )
    return org


# Sent whenever a caller's organization is known (API permission check, pages, WebSocket consumers):
# bookings.rls narrows the database connection to it (row-level security on customers and bookings).
principal_resolved = Signal()


def resolve_principal(*, user, device: DeviceKey | None, slug: str | None) -> Principal:
    """Return the principal for an authenticated user or device; raise Http404 if not allowed.
    Sends `principal_resolved`: from here on the connection sees that organization's rows only."""
    principal = _principal(user=user, device=device, slug=slug)
    principal_resolved.send(sender=Principal, principal=principal)
    return principal


def _principal(*, user, device: DeviceKey | None, slug: str | None) -> Principal:
    if device is not None:
        if slug and device.organization.slug != slug:
            raise Http404("No such organization.")
        return Principal(organization=device.organization, role=None, device=device)
    if user is None or not user.is_authenticated:
        raise Http404("No such organization.")
    memberships = (
        Membership.objects.select_related(*(f"organization__{name}" for name in ORGANIZATION_WITH))
        .filter(user=user).order_by("id")
    )
    if slug:
        membership = next((m for m in memberships if m.organization.slug == slug), None)
        if membership is None:
            if user.is_superuser:
                org = Organization.objects.select_related(*ORGANIZATION_WITH).filter(slug=slug).first()
                if org is not None:
                    return Principal(organization=org, role=Role.OWNER, user=user)
            raise Http404("No such organization.")
        return Principal(organization=membership.organization, role=membership.role, user=user)
    membership = memberships.first()
    if membership is not None:
        return Principal(organization=membership.organization, role=membership.role, user=user)
    if user.is_superuser:
        return Principal(organization=default_organization(), role=Role.OWNER, user=user)
    raise Http404("You are not a member of any organization.")


def request_slug(request, view_kwargs: dict | None = None, url_kwarg: str | None = None) -> str | None:
    if url_kwarg and view_kwargs and view_kwargs.get(url_kwarg):
        return view_kwargs[url_kwarg]
    return request.headers.get("X-Organization") or request.GET.get("org") or None
