from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TenantAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the site that lets organization managers in (organizations/admin_scoping.py)."""

    default = False  # organizations.apps' own default is OrganizationsConfig
    default_site = "organizations.admin_scoping.TenantAdminSite"


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "Organizations and access"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from organizations import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from organizations.models import DeviceKey, Organization

        post_save.connect(_device_changed, sender=DeviceKey, dispatch_uid="forget-device")
        post_delete.connect(_device_changed, sender=DeviceKey, dispatch_uid="forget-device-deleted")
        post_save.connect(_organization_changed, sender=Organization, dispatch_uid="forget-org-devices")
        post_delete.connect(_organization_changed, sender=Organization, dispatch_uid="forget-org-devices-deleted")


# Cache invalidation only: the cached device of organizations.authentication must not outlive a change.
def _device_changed(sender, instance, **kwargs):
    from organizations.authentication import forget_devices

    forget_devices([instance.key_hash])


def _organization_changed(sender, instance, **kwargs):
    from organizations.authentication import forget_devices
    from organizations.models import DeviceKey

    forget_devices(DeviceKey.objects.filter(organization_id=instance.pk).values_list("key_hash", flat=True))
