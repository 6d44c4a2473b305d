"""Admin for managers. The admin runs on a trusted connection (see bookings/rls.py); organizations/admin_scoping.py
scopes every list, choice and permission to the requester's organizations."""

from django.contrib import admin

from bookings import models
from organizations.admin_scoping import ScopedModelAdmin
from organizations.admin_zone import OrganizationTimeZoneAdmin


@admin.register(models.Studio)
class StudioAdmin(ScopedModelAdmin):
    list_display = ["organization", "late_cancel_hours", "late_grace_minutes", "check_in_opens_minutes"]
    list_select_related = ["organization"]
    search_fields = ["organization__name", "organization__slug"]


@admin.register(models.Venue)
class VenueAdmin(ScopedModelAdmin):
    list_display = ["name", "organization", "capacity"]
    list_filter = ["organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "address"]


@admin.register(models.Instructor)
class InstructorAdmin(ScopedModelAdmin):
    list_display = ["name", "organization", "email"]
    list_filter = ["organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "email"]
    raw_id_fields = ["user"]


@admin.register(models.ClassType)
class ClassTypeAdmin(ScopedModelAdmin):
    list_display = ["name", "organization", "duration_minutes", "drop_in_price_pennies"]
    list_filter = ["organization"]
    list_select_related = ["organization"]
    search_fields = ["name"]


@admin.register(models.FitnessClass)
class FitnessClassAdmin(OrganizationTimeZoneAdmin, ScopedModelAdmin):
    list_display = ["class_type", "venue", "local_start", "capacity_override", "cancelled_at"]
    list_select_related = ["class_type", "venue", "organization"]
    list_filter = ["organization", "class_type"]
    date_hierarchy = "starts_at"
    filter_horizontal = ["instructors"]
    search_fields = ["class_type__name", "venue__name", "instructors__name"]
    show_full_result_count = False

    @admin.display(description="starts (studio time)", ordering="starts_at")
    def local_start(self, fitness_class):
        return self.local_time(fitness_class.starts_at, fitness_class.organization)


@admin.register(models.MembershipPlan)
class MembershipPlanAdmin(ScopedModelAdmin):
    list_display = ["name", "organization", "price_pennies", "class_limit", "limit_period"]
    list_select_related = ["organization"]
    list_filter = ["organization"]
    search_fields = ["name"]


@admin.register(models.CustomerMembership)
class CustomerMembershipAdmin(ScopedModelAdmin):
    list_display = ["customer", "plan", "active", "started_on", "ended_on"]
    list_filter = ["active", "organization"]
    raw_id_fields = ["customer"]
    search_fields = ["customer__first_name", "customer__last_name", "customer__email", "plan__name"]
    list_select_related = ["customer", "plan"]


@admin.register(models.ClassPackage)
class ClassPackageAdmin(OrganizationTimeZoneAdmin, ScopedModelAdmin):
    list_display = ["customer", "name", "classes_total", "classes_used", "expires_at"]
    list_filter = ["organization"]
    raw_id_fields = ["customer"]
    search_fields = ["customer__first_name", "customer__last_name", "customer__email", "name"]
    list_select_related = ["customer"]


@admin.register(models.Booking)
class BookingAdmin(OrganizationTimeZoneAdmin, ScopedModelAdmin):
    list_display = ["id", "fitness_class", "customer", "status", "method", "source", "was_late"]
    list_filter = ["status", "method", "source", "organization"]
    list_select_related = ["fitness_class__class_type", "customer"]
    raw_id_fields = ["fitness_class", "customer", "package", "membership", "series"]
    date_hierarchy = "fitness_class__starts_at"
    show_full_result_count = False
    search_fields = ["customer__first_name", "customer__last_name", "customer__email"]


@admin.register(models.WaitlistEntry)
class WaitlistEntryAdmin(ScopedModelAdmin):
    list_display = ["id", "fitness_class", "customer", "status", "created_at", "skip_code"]
    list_filter = ["status", "organization"]
    raw_id_fields = ["fitness_class", "customer", "booking", "series"]
    search_fields = ["customer__first_name", "customer__last_name", "customer__email", "fitness_class__class_type__name"]
    list_select_related = ["fitness_class__class_type", "customer"]
