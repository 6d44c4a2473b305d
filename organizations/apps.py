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
        from django.db.backends.signals import connection_created

        from config import postgres
        from organizations import schema  # noqa: F401  (registers the OpenAPI auth extension)

        connection_created.connect(postgres.on_connection_created, dispatch_uid="config.postgres.integers")
