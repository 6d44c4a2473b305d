from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline

from attendance.models import WeeklyShift
from staff.models import Staff


class WeeklyShiftInline(GenericTabularInline):
    model = WeeklyShift
    ct_field = "attendee_type"
    ct_fk_field = "attendee_id"
    extra = 0
    fields = ["organization", "weekday", "start_time", "end_time"]


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["full_name", "organization", "department", "is_active", "is_on_duty", "last_clock_in", "last_clock_out"]
    list_filter = ["session_active", "is_active", "department", "organization"]
    list_select_related = ["organization", "user"]
    search_fields = ["first_name", "last_name", "user__username", "department"]
    raw_id_fields = ["user"]
    readonly_fields = ["is_on_duty", "last_clock_in", "last_clock_out", "total_visits"]
    show_full_result_count = False
    inlines = [WeeklyShiftInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(last_clock_out=Staff.last_clock_out_subquery())
