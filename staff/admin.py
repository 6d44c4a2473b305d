from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline

from attendance.admin import OpenSessionFilter
from attendance.models import WeeklyShift, with_open_session
from organizations.admin_scoping import ScopedModelAdmin, TenantScopedAdmin
from staff import kiosk, services
from staff.models import PastRate, Staff


class WeeklyShiftInline(TenantScopedAdmin, GenericTabularInline):
    model = WeeklyShift
    ct_field = "attendee_type"
    ct_fk_field = "attendee_id"
    extra = 0
    fields = ["organization", "weekday", "start_time", "end_time", "valid_from", "valid_until"]


class PastRateInline(admin.TabularInline):
    """Rates that applied before the current one: history, written only by a rate change."""

    model = PastRate
    extra = 0
    fields = ["hourly_rate", "until"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OnDutyFilter(OpenSessionFilter):
    title = "on duty"
    parameter_name = "on_duty"


@admin.register(Staff)
class StaffAdmin(ScopedModelAdmin):
    list_display = ["full_name", "organization", "department", "is_active", "is_on_duty", "last_clock_in", "last_clock_out"]
    list_filter = [OnDutyFilter, "is_active", "department", "organization"]
    list_select_related = ["organization", "user"]
    search_fields = ["first_name", "last_name", "user__username", "department"]
    raw_id_fields = ["user"]
    readonly_fields = ["is_on_duty", "last_clock_in", "last_clock_out", "total_visits"]
    show_full_result_count = False
    inlines = [WeeklyShiftInline, PastRateInline]
    form = kiosk.KioskCredentialsForm

    def get_queryset(self, request):
        return with_open_session(super().get_queryset(request)).annotate(
            last_clock_in=Staff.last_clock_in_subquery(), last_clock_out=Staff.last_clock_out_subquery())

    def save_model(self, request, obj, form, change):
        """A changed hourly rate takes effect today through the service, so past days keep theirs."""
        if change and "hourly_rate" in form.changed_data:
            new_rate = obj.hourly_rate
            obj.hourly_rate = Staff.objects.values_list("hourly_rate", flat=True).get(pk=obj.pk)
            super().save_model(request, obj, form, change)
            services.staff_rate_set(staff=obj, hourly_rate=new_rate, actor=request.user)
        else:
            super().save_model(request, obj, form, change)
        pin, badge = form.cleaned_data.get("new_pin"), form.cleaned_data.get("new_badge")
        if pin or badge:
            kiosk.kiosk_credentials_set(staff=obj, pin=pin or None, badge=badge or None, actor=request.user)
