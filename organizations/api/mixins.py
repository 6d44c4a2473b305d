"""What every organization-scoped API view needs after IsOrganizationPrincipal has run."""

from organizations.permissions import principal_user


class PrincipalMixin:
    """The caller's organization, acting user (None for a device) and device (None for a user)."""

    @property
    def organization(self):
        return self.request.principal.organization

    @property
    def actor(self):
        return principal_user(self.request)

    @property
    def device(self):
        return self.request.principal.device
