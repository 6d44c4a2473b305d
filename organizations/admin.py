from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from organizations.admin_scoping import ScopedModelAdmin, ScopedTabularInline, is_platform, managed_organizations
from organizations.models import AuditLog, DeviceKey, Membership, Organization, Role, User
from organizations.services import device_key_create, device_key_revoke


class MembershipForm(forms.ModelForm):
    """Only an owner of an organization (or the platform) makes someone an owner of it."""

    requester_roles: dict | None = None  # {organization id: role}; None for the platform

    def clean(self):
        data = super().clean()
        organization = data.get("organization") or getattr(self.instance, "organization", None)
        if (
            self.requester_roles is not None and organization is not None and data.get("role") == Role.OWNER
            and self.requester_roles.get(organization.pk) != Role.OWNER
        ):
            self.add_error("role", f"Only an owner of {organization} can make someone an owner.")
        return data


def with_requester_roles(form_class, request):
    form_class.requester_roles = None if is_platform(request) else managed_organizations(request)
    return form_class


class MembershipInline(ScopedTabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    raw_id_fields = ["user"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        with_requester_roles(formset.form, request)
        return formset


class UserMembershipInline(MembershipInline):
    """On a user: a manager adding someone names the organization and role at once, so the new user is theirs."""

    fields = ["organization", "role"]
    raw_id_fields = []

    def get_formset(self, request, obj=None, **kwargs):
        if not is_platform(request):
            kwargs.update(min_num=1, validate_min=True)
        return super().get_formset(request, obj, **kwargs)


@admin.register(User)
class UserAdmin(ScopedModelAdmin, BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_superuser"]
    inlines = [UserMembershipInline]
    manager_fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["is_active", "last_login", "date_joined"]}),
    ]

    def scope(self, queryset, request):
        if is_platform(request):
            return queryset
        members = Membership.objects.filter(organization__in=list(managed_organizations(request)))
        return queryset.filter(pk__in=members.values("user"))

    def organization_ids_of(self, obj):
        return set(obj.memberships.values_list("organization_id", flat=True))

    def manager_may(self, request, action, obj=None):
        """Managers see their people; they change one only if every organization of theirs is managed
        by the requester (an admin not an owner's), and never delete a login (remove the membership)."""
        if obj is None:
            return action != "delete"
        if action == "view":
            return bool(self.organization_ids_of(obj) & set(managed_organizations(request)))
        if action == "delete" or obj.is_superuser:
            return False
        role = self.role_in(request, obj)
        return role == Role.OWNER or (role == Role.ADMIN and not obj.memberships.filter(role=Role.OWNER).exists())

    def get_fieldsets(self, request, obj=None):
        if obj is None or is_platform(request):
            return super().get_fieldsets(request, obj)
        return self.manager_fieldsets

    def get_readonly_fields(self, request, obj=None):
        return ["last_login", "date_joined"] if obj is not None and not is_platform(request) else []


@admin.register(Organization)
class OrganizationAdmin(ScopedModelAdmin):
    list_display = ["name", "slug", "time_zone", "retention_days", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    organization_field = "pk"

    def manager_may(self, request, action, obj=None):
        """Owners change their organization; creating and deleting organizations is the platform's."""
        if action in {"add", "delete"}:
            return False
        if obj is None or action == "view":
            return obj is None or self.role_in(request, obj) is not None
        return self.role_in(request, obj) == Role.OWNER


@admin.register(Membership)
class MembershipAdmin(ScopedModelAdmin):
    form = MembershipForm
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    list_select_related = ["user", "organization"]
    search_fields = ["user__username", "user__email", "organization__name"]
    raw_id_fields = ["user"]

    def manager_may(self, request, action, obj=None):
        """An admin manages the people of the organization but not its owners."""
        if obj is None or action == "view":
            return super().manager_may(request, action, obj)
        role = self.role_in(request, obj)
        return role == Role.OWNER or (role == Role.ADMIN and obj.role != Role.OWNER)

    def get_form(self, request, obj=None, **kwargs):
        return with_requester_roles(super().get_form(request, obj, **kwargs), request)


@admin.register(DeviceKey)
class DeviceKeyAdmin(ScopedModelAdmin):
    list_display = ["name", "organization", "kind", "prefix", "last_used_at", "revoked_at"]
    list_filter = ["kind", "organization", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["organization"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        device, raw_key = device_key_create(organization=obj.organization, name=obj.name, kind=obj.kind, actor=request.user)
        obj.pk = device.pk
        messages.warning(request, f"Key for {device.name}: {raw_key} — copy it now, it will not be shown again.")

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for device in queryset:
            device_key_revoke(device=device, actor=request.user, reason="revoked in admin")
        messages.success(request, f"Revoked {queryset.count()} key(s).")


@admin.register(AuditLog)
class AuditLogAdmin(ScopedModelAdmin):
    list_display = ["created_at", "organization", "action", "actor", "device", "object_type", "object_id", "reason"]
    list_filter = ["action", "organization"]
    list_select_related = ["organization", "actor", "device", "object_type"]
    search_fields = ["action", "reason", "object_id", "actor__username"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
