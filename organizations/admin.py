from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from organizations.models import AuditLog, DeviceKey, Membership, Organization, User
from organizations.services import device_key_create, device_key_revoke


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_superuser"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "retention_days", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    list_select_related = ["user", "organization"]
    search_fields = ["user__username", "user__email", "organization__name"]
    raw_id_fields = ["user"]


@admin.register(DeviceKey)
class DeviceKeyAdmin(admin.ModelAdmin):
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

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for device in queryset:
            device_key_revoke(device=device, actor=request.user, reason="revoked in admin")
        messages.success(request, f"Revoked {queryset.count()} key(s).")


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
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
