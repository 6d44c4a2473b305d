"""Admin for managers. The admin runs on a trusted connection (see bookings/rls.py), across studios."""

from django.contrib import admin

from bookings import models


@admin.register(models.Studio)
class StudioAdmin(admin.ModelAdmin):
    list_display = ["organization", "late_cancel_hours", "late_grace_minutes", "check_in_opens_minutes"]


@admin.register(models.Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "capacity"]
    list_filter = ["organization"]


@admin.register(models.Instructor)
class InstructorAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "email"]
    list_filter = ["organization"]
    raw_id_fields = ["user"]


@admin.register(models.ClassType)
class ClassTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "duration_minutes", "drop_in_price_pennies"]
    list_filter = ["organization"]


@admin.register(models.FitnessClass)
class FitnessClassAdmin(admin.ModelAdmin):
    list_display = ["class_type", "venue", "starts_at", "ends_at", "capacity_override", "cancelled_at"]
    list_select_related = ["class_type", "venue"]
    list_filter = ["organization", "class_type"]
    date_hierarchy = "starts_at"
    filter_horizontal = ["instructors"]
    show_full_result_count = False


@admin.register(models.MembershipPlan)
class MembershipPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "price_pennies", "class_limit", "limit_period"]


@admin.register(models.CustomerMembership)
class CustomerMembershipAdmin(admin.ModelAdmin):
    list_display = ["customer", "plan", "active", "started_on", "ended_on"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer", "plan"]


@admin.register(models.ClassPackage)
class ClassPackageAdmin(admin.ModelAdmin):
    list_display = ["customer", "name", "classes_total", "classes_used", "expires_at"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer"]


@admin.register(models.Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["id", "fitness_class", "customer", "status", "method", "source", "was_late"]
    list_filter = ["status", "method", "source", "organization"]
    list_select_related = ["fitness_class__class_type", "customer"]
    raw_id_fields = ["fitness_class", "customer", "package", "membership", "series"]
    date_hierarchy = "fitness_class__starts_at"
    show_full_result_count = False
    search_fields = ["customer__first_name", "customer__last_name", "customer__email"]


@admin.register(models.WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "fitness_class", "customer", "status", "created_at", "skip_code"]
    list_filter = ["status"]
    raw_id_fields = ["fitness_class", "customer", "booking", "series"]
    list_select_related = ["fitness_class__class_type", "customer"]
