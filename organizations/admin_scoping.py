"""The admin site for organization managers: each owner or admin sees and changes only their
organizations' rows; a platform superuser sees everything.

Every app's ModelAdmin (and inline) inherits `TenantScopedAdmin`, which scopes, in one place:
- the rows listed, searched, opened, changed, deleted and acted on (another organization's row is 404);
- the choices of every foreign key and many-to-many field (raw-id and autocomplete included, since those
  read the related model's scoped admin), and the organization list filters;
- the permissions: a manager may view, add, change and delete in the organizations they manage, and an
  action needs the permission it declares (`allowed_permissions`; `platform` = superuser only).
Receptionists, staff, members and outsiders cannot enter the admin at all.
"""

from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.http import Http404

from organizations.models import MANAGER_ROLES, Membership, Role


def managed_organizations(request) -> dict[int, str]:
    """Return {organization id: role} of the organizations the signed-in user owns or administers."""
    if not hasattr(request, "managed_organizations"):
        user = request.user
        rows = Membership.objects.filter(user=user, role__in=MANAGER_ROLES) if user.is_authenticated else Membership.objects.none()
        request.managed_organizations = dict(rows.values_list("organization_id", "role"))
    return request.managed_organizations


def is_platform(request) -> bool:
    return request.user.is_active and request.user.is_superuser


class TenantAdminSite(admin.AdminSite):
    site_header = "Attendance administration"
    site_title = "Attendance admin"
    index_title = "Your organizations' records"

    def has_permission(self, request):
        return request.user.is_active and (request.user.is_superuser or bool(managed_organizations(request)))


def scoped_queryset(model, request):
    """Return the rows of `model` the requester may see or choose (all of them for the platform)."""
    queryset = model._default_manager.all()
    if is_platform(request):
        return queryset
    site = admin.site
    if site.is_registered(model):
        model_admin = site.get_model_admin(model)
        if isinstance(model_admin, TenantScopedAdmin):
            return model_admin.scope(queryset, request)
    field = organization_field_of(model)
    if field is None:
        return queryset
    return queryset.filter(**{f"{field}__in": list(managed_organizations(request))})


def organization_field_of(model) -> str | None:
    """The lookup from `model` to its organization, when it has a direct one."""
    names = {field.name for field in model._meta.get_fields()}
    if "organization" in names:
        return "organization"
    return None


class TenantScopedAdmin:
    """Mixin for ModelAdmin and InlineModelAdmin: scope rows, choices and permissions to the requester's organizations."""

    organization_field = "organization"  # lookup from this model to its Organization
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    # --- rows -------------------------------------------------------------------------------------
    def scope(self, queryset, request):
        if is_platform(request):
            return queryset
        return queryset.filter(**{f"{self.organization_field}__in": list(managed_organizations(request))})

    def get_queryset(self, request):
        return self.scope(super().get_queryset(request), request)

    def get_object(self, request, object_id, from_field=None):
        """Another organization's row (or a missing one) is 404, never a redirect that confirms it exists."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such record.")
        return obj

    def organization_ids_of(self, obj) -> set[int]:
        """The organizations `obj` belongs to (one for most models)."""
        *path, last = self.organization_field.split("__")
        for part in path:
            obj = getattr(obj, part)
        value = obj.pk if last == "pk" else getattr(obj, f"{last}_id")
        return {value} if value is not None else set()

    def role_in(self, request, obj) -> str | None:
        """The requester's managing role over `obj` (the weakest one if it spans organizations)."""
        managed = managed_organizations(request)
        organizations = self.organization_ids_of(obj)
        if not organizations or not organizations <= set(managed):
            return None
        roles = {managed[pk] for pk in organizations}
        return Role.ADMIN if Role.ADMIN in roles else Role.OWNER

    # --- permissions ------------------------------------------------------------------------------
    def manager_may(self, request, action: str, obj=None) -> bool:
        """Whether a (non-superuser) manager may `action` ("view", "add", "change", "delete") `obj`."""
        if obj is None:
            return True
        return self.role_in(request, obj) is not None

    def _allowed(self, request, action, obj, default):
        if is_platform(request):
            return default()
        if not managed_organizations(request):
            return False
        if isinstance(self, InlineModelAdmin):
            obj = None  # an inline is asked about its parent row, which the parent's admin has scoped
        return self.manager_may(request, action, obj)

    def has_module_permission(self, request):
        return is_platform(request) or bool(managed_organizations(request))

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view", obj, lambda: super(TenantScopedAdmin, self).has_view_permission(request, obj))

    def has_add_permission(self, request, *args):
        return self._allowed(request, "add", None, lambda: super(TenantScopedAdmin, self).has_add_permission(request, *args))

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change", obj, lambda: super(TenantScopedAdmin, self).has_change_permission(request, obj))

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete", obj, lambda: super(TenantScopedAdmin, self).has_delete_permission(request, obj))

    def has_platform_permission(self, request):
        """For actions that reach across organizations: `allowed_permissions=("platform",)`."""
        return is_platform(request)

    # --- choices ----------------------------------------------------------------------------------
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            kwargs["queryset"] = scoped_queryset(db_field.remote_field.model, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            kwargs["queryset"] = scoped_queryset(db_field.remote_field.model, request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request):
        """Relation filters list only related rows of the requester's organizations (no names of other tenants)."""
        filters = list(super().get_list_filter(request))
        if is_platform(request):
            return filters
        scoped = []
        for item in filters:
            if isinstance(item, str) and "__" not in item:
                field = self.model._meta.get_field(item)
                if field.is_relation:
                    item = (item, admin.RelatedOnlyFieldListFilter)
            scoped.append(item)
        return scoped

    # --- integrity --------------------------------------------------------------------------------
    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (SameOrganizationForm, form), {})

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = type(formset.form.__name__, (SameOrganizationForm, formset.form), {})
        return formset


class SameOrganizationForm:
    """Refuse a row that points at another organization's row (a manager of two organizations could mix them)."""

    def clean(self):
        data = super().clean()
        own = data.get("organization") or getattr(self.instance, "organization", None)
        if own is None:
            return data
        for name, value in list(data.items()):
            if name == "organization":
                continue
            if isinstance(value, models.Model) and getattr(value, "organization_id", own.pk) != own.pk:
                self.add_error(name, f"This belongs to another organization than {own}.")
            elif isinstance(value, models.QuerySet) and organization_field_of(value.model):
                if value.exclude(organization=own).exists():
                    self.add_error(name, f"Some of these belong to another organization than {own}.")
        for relation in self._meta.model._meta.private_fields:
            if isinstance(relation, GenericForeignKey) and data.get(relation.ct_field) and data.get(relation.fk_field):
                target = data[relation.ct_field].model_class()
                if organization_field_of(target) and not target._default_manager.filter(
                    pk=data[relation.fk_field], organization=own
                ).exists():
                    self.add_error(relation.fk_field, f"No such {target._meta.verbose_name} in {own}.")
        return data


class ScopedModelAdmin(TenantScopedAdmin, admin.ModelAdmin):
    pass


class ScopedTabularInline(TenantScopedAdmin, admin.TabularInline):
    pass
