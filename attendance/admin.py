from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef

from attendance import registry, services
from attendance.exceptions import Refused
from attendance.models import (
    CheckIn,
    Correction,
    CorrectionStatus,
    Member,
    MonthlyRollup,
    Refusal,
    WeeklyShift,
    open_sessions_of,
    with_open_session,
)
from attendance.services.common import refuse_overlap
from config.errors import DomainError
from organizations.admin_scoping import ScopedModelAdmin
from organizations.admin_zone import OrganizationTimeZoneAdmin


class OpenSessionFilter(admin.SimpleListFilter):
    """Attendees with an open session (checked in), or without one; for any attendee model's admin."""

    title = "checked in"
    parameter_name = "checked_in"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        is_open = Exists(open_sessions_of(queryset.model).filter(attendee_id=OuterRef("pk")))
        return queryset.filter(is_open if self.value() == "yes" else ~is_open)


@admin.register(Member)
class MemberAdmin(ScopedModelAdmin):
    list_display = ["full_name", "organization", "email", "phone", "status", "total_visits", "last_visit_at", "checked_in"]
    list_filter = ["status", OpenSessionFilter, "attendance_enabled", "organization"]
    list_select_related = ["organization"]
    search_fields = ["first_name", "last_name", "email", "phone", "rfid_tag"]
    raw_id_fields = ["user"]
    readonly_fields = [
        "qr_token", "total_visits", "visits_this_month", "first_visit_at", "last_visit_at",
        "session_active", "session_check_in_id", "session_expected_checkout_at", "session_method",
    ]
    show_full_result_count = False

    def get_queryset(self, request):
        return with_open_session(super().get_queryset(request))

    @admin.display(boolean=True, description="checked in")
    def checked_in(self, member: Member) -> bool:
        return member.session_active


class CheckInForm(forms.ModelForm):
    """An edited or added session obeys the engine's rule: it may not overlap another of the attendee's."""

    def clean(self):
        data = super().clean()
        attendee_type, attendee_id, start = (data.get(k) for k in ("attendee_type", "attendee_id", "checked_in_at"))
        if attendee_type is None or attendee_id is None or start is None:
            return data
        try:
            model = registry.model_for_content_type_id(attendee_type.pk)
            attendee = model.objects.filter(pk=attendee_id).first()
            if attendee is None:
                raise forms.ValidationError("No such attendee.")
            refuse_overlap(attendee=attendee, start=start, end=data.get("checked_out_at"), exclude_id=self.instance.pk)
        except DomainError as error:  # overlaps_session, or not an attendee model
            raise forms.ValidationError(error.detail, code=error.code) from error
        return data


@admin.register(CheckIn)
class CheckInAdmin(OrganizationTimeZoneAdmin, ScopedModelAdmin):
    form = CheckInForm
    list_display = [
        "id", "organization", "attendee_type", "attendee_id", "checked_in_at", "checked_out_at", "method",
        "source", "kind", "auto_closed", "location",
    ]
    list_filter = ["method", "source", "kind", "auto_closed", ("checked_out_at", admin.EmptyFieldListFilter), "organization"]
    list_select_related = ["organization", "attendee_type"]
    search_fields = ["=attendee_id", "location", "external_id", "idempotency_key"]
    raw_id_fields = ["device", "created_by"]
    date_hierarchy = "checked_in_at"
    show_full_result_count = False
    actions = ["force_check_out"]
    readonly_fields = ["duration", "created_at"]

    @admin.action(description="Force check-out of the selected open sessions (now)", permissions=["change"])
    def force_check_out(self, request, queryset):
        closed = 0
        for row in queryset.filter(checked_out_at__isnull=True):
            try:
                services.force_check_out(check_in=row, actor=request.user, reason="forced in admin")
                closed += 1
            except (Refused, DomainError) as error:
                messages.error(request, f"#{row.pk}: {error.detail}")
        messages.success(request, f"Checked out {closed} session(s).")


@admin.register(Refusal)
class RefusalAdmin(ScopedModelAdmin):
    list_display = ["attempted_at", "organization", "code", "attendee_type", "attendee_id", "method", "source", "location"]
    list_filter = ["code", "method", "source", "organization"]
    list_select_related = ["organization", "attendee_type"]
    search_fields = ["code", "detail", "=attendee_id"]
    date_hierarchy = "attempted_at"
    show_full_result_count = False


@admin.register(MonthlyRollup)
class MonthlyRollupAdmin(ScopedModelAdmin):
    list_display = ["month", "organization", "attendee_type", "attendee_id", "visits", "seconds_present", "days_present"]
    list_filter = ["organization", "attendee_type"]
    list_select_related = ["organization", "attendee_type"]
    search_fields = ["=attendee_id"]
    date_hierarchy = "month"
    show_full_result_count = False


@admin.register(WeeklyShift)
class WeeklyShiftAdmin(ScopedModelAdmin):
    list_display = ["organization", "attendee_type", "attendee_id", "weekday", "start_time", "end_time"]
    list_filter = ["organization", "weekday"]
    list_select_related = ["organization", "attendee_type"]
    search_fields = ["=attendee_id"]


@admin.register(Correction)
class CorrectionAdmin(OrganizationTimeZoneAdmin, ScopedModelAdmin):
    list_display = ["submitted_at", "organization", "kind", "attendee_type", "attendee_id", "status", "submitted_by", "decided_by"]
    list_filter = ["status", "kind", "organization"]
    list_select_related = ["organization", "attendee_type", "submitted_by", "decided_by"]
    raw_id_fields = ["check_in", "submitted_by", "decided_by"]
    search_fields = ["=attendee_id", "reason", "submitted_by__username"]
    date_hierarchy = "submitted_at"
    actions = ["approve", "reject"]

    def _decide(self, request, queryset, decide, verb):
        done = 0
        for correction in queryset.filter(status=CorrectionStatus.PENDING):
            try:
                decide(correction=correction, actor=request.user, note=f"{verb} in admin")
                done += 1
            except DomainError as error:
                messages.error(request, f"Correction #{correction.pk}: {error.detail}")
        messages.success(request, f"{verb.capitalize()} {done} correction(s).")

    @admin.action(description="Approve and apply selected corrections", permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, services.correction_approve, "approved")

    @admin.action(description="Reject selected corrections", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, services.correction_reject, "rejected")
