from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline

from attendance.models import WeeklyShift
from organizations.admin_scoping import ScopedModelAdmin, TenantScopedAdmin
from staff.models import Staff


class WeeklyShiftInline(TenantScopedAdmin, GenericTabularInline):
    model = WeeklyShift
    ct_field = "attendee_type"
    ct_fk_field = "attendee_id"
    extra = 0
    fields = ["organization", "weekday", "start_time", "end_time"]


@admin.register(Staff)
class StaffAdmin(ScopedModelAdmin):
    list_display = ["full_name", "organization", "department", "is_active", "is_on_duty", "last_clock_in", "last_clock_out"]
    list_filter = ["is_on_duty", "is_active", "department", "organization"]
    list_select_related = ["organization", "user"]
    search_fields = ["first_name", "last_name", "user__username", "department"]
    raw_id_fields = ["user"]
    readonly_fields = ["is_on_duty", "last_clock_in", "last_clock_out", "total_visits", "session_active"]
    show_full_result_count = False
    inlines = [WeeklyShiftInline]
