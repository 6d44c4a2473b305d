from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from config.errors import DomainError
from meetings import services
from meetings.models import (
    AttendanceLog,
    ClassAttendance,
    ClassSession,
    Family,
    GoogleCredential,
    ParticipantKind,
    ParticipantLink,
    ScheduledClass,
    Student,
    SyncAttempt,
    Teacher,
)
from organizations.admin_scoping import ScopedModelAdmin, ScopedTabularInline
from organizations.admin_zone import OrganizationTimeZoneAdmin


class StudentInline(ScopedTabularInline):
    model = Student
    fields = ["first_name", "last_name", "email", "google_user_id", "attendance_enabled"]
    extra = 0


@admin.register(Family)
class FamilyAdmin(ScopedModelAdmin):
    list_display = ["name", "organization", "billing_email", "rate_cents", "rate_unit"]
    list_filter = ["organization", "rate_unit"]
    search_fields = ["name", "billing_email"]
    inlines = [StudentInline]


class PersonAdmin(ScopedModelAdmin):
    search_fields = ["first_name", "last_name", "email", "google_user_id"]
    list_filter = ["organization"]
    readonly_fields = ["total_visits", "visits_this_month", "first_visit_at", "last_visit_at"]
    exclude = ["visits_month"]


@admin.register(Teacher)
class TeacherAdmin(PersonAdmin):
    list_display = ["full_name", "organization", "email", "google_user_id", "pay_rate_cents", "pay_rate_unit", "user"]
    list_select_related = ["organization", "user"]
    raw_id_fields = ["user"]


@admin.register(Student)
class StudentAdmin(PersonAdmin):
    list_display = ["full_name", "organization", "family", "email", "google_user_id"]
    list_select_related = ["organization", "family"]
    autocomplete_fields = ["family"]


@admin.register(ScheduledClass)
class ScheduledClassAdmin(OrganizationTimeZoneAdmin, ScopedModelAdmin):
    list_display = ["title", "organization", "teacher", "local_start", "duration_minutes", "meet_space_name", "meet_meeting_code"]
    list_filter = ["organization"]
    list_select_related = ["organization", "teacher"]
    search_fields = ["title", "meet_space_name", "meet_meeting_code"]
    autocomplete_fields = ["teacher", "students"]
    date_hierarchy = "starts_at"
    show_full_result_count = False

    @admin.display(description="starts (academy time)", ordering="starts_at")
    def local_start(self, scheduled_class):
        return self.local_time(scheduled_class.starts_at, scheduled_class.organization)


@admin.register(ClassSession)
class ClassSessionAdmin(ScopedModelAdmin):
    list_display = ["scheduled_class", "organization", "status", "data_state", "last_synced_at", "consecutive_failures", "next_retry_at"]
    list_filter = ["status", "data_state", "organization"]
    list_select_related = ["organization", "scheduled_class"]
    raw_id_fields = ["scheduled_class"]
    search_fields = ["scheduled_class__title", "scheduled_class__meet_meeting_code", "last_error"]
    date_hierarchy = "started_at"
    show_full_result_count = False
    actions = ["fetch_now"]

    @admin.action(description="Fetch participants from Google Meet now", permissions=["change"])
    def fetch_now(self, request, queryset):
        for session in queryset:
            try:
                result = services.class_session_sync(class_session=session, trigger="manual")
                messages.success(request, f"{session}: {result.logs_created} new, {result.logs_updated} updated log(s).")
            except DomainError as error:
                messages.error(request, f"{session}: {error.detail}")


class MatchedFilter(admin.SimpleListFilter):
    title = "matched"
    parameter_name = "matched"

    def lookups(self, request, model_admin):
        return [("others", "Others (unmatched)"), ("teacher", "Teachers"), ("student", "Students")]

    def queryset(self, request, queryset):
        if self.value() == "others":
            return queryset.filter(teacher__isnull=True, student__isnull=True)
        if self.value() == "teacher":
            return queryset.filter(teacher__isnull=False)
        if self.value() == "student":
            return queryset.filter(student__isnull=False)
        return queryset


class LinkParticipantForm(forms.Form):
    teacher = forms.ModelChoiceField(queryset=Teacher.objects.none(), required=False)
    student = forms.ModelChoiceField(queryset=Student.objects.none(), required=False)
    scope = forms.ChoiceField(
        choices=[("class", "This class only"), ("organization", "Every class of the organization")], initial="class",
        required=False, widget=forms.RadioSelect, help_text="A guest's or phone's name can belong to different people in different classes.",
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].queryset = Teacher.objects.filter(organization=organization)
        self.fields["student"].queryset = Student.objects.filter(organization=organization)

    def clean(self):
        data = super().clean()
        if bool(data.get("teacher")) == bool(data.get("student")):
            raise forms.ValidationError("Choose exactly one teacher or one student.")
        return data


@admin.register(AttendanceLog)
class AttendanceLogAdmin(ScopedModelAdmin):
    list_display = ["joined_at", "participant", "participant_kind", "duration_seconds", "person", "link", "class_session"]
    list_filter = [MatchedFilter, "participant_kind", "organization"]
    list_select_related = ["teacher", "student", "class_session__scheduled_class", "organization"]
    search_fields = ["display_name", "google_user_id", "session_name", "teacher__email", "student__email"]
    raw_id_fields = ["class_session", "teacher", "student"]
    date_hierarchy = "joined_at"
    show_full_result_count = False
    actions = ["link_participant"]

    @admin.display(description="participant")
    def participant(self, log):
        return log.participant_label

    @admin.display(description="matched to")
    def person(self, log):
        return log.person or "— other —"

    @admin.display(description="")
    def link(self, log):
        if log.person:
            return ""
        return format_html('<a href="{}">Link to a person…</a>', reverse("admin:meetings_attendancelog_link", args=[log.pk]))

    @admin.action(description="Link the selected participant to a teacher or student…", permissions=["change"])
    def link_participant(self, request, queryset):
        log = queryset.first()
        return redirect(reverse("admin:meetings_attendancelog_link", args=[log.pk]))

    def get_urls(self):
        extra = [path("<int:log_id>/link/", self.admin_site.admin_view(self.link_view), name="meetings_attendancelog_link")]
        return extra + super().get_urls()

    def link_view(self, request, log_id: int):
        """Remember who an unmatched participant is; applied to their existing logs and to future syncs."""
        log = get_object_or_404(self.get_queryset(request).select_related("organization"), pk=log_id)
        if not self.has_change_permission(request, log):
            return redirect("admin:index")
        form = LinkParticipantForm(request.POST or None, organization=log.organization)
        guest = log.participant_kind != ParticipantKind.SIGNED_IN
        if not guest:
            del form.fields["scope"]  # a Google user id is one person everywhere
        if request.method == "POST" and form.is_valid():
            try:
                _, matched = services.participant_link_create(
                    organization=log.organization, participant_kind=log.participant_kind, identity=log.identity,
                    teacher=form.cleaned_data["teacher"], student=form.cleaned_data["student"],
                    class_session=log.class_session, organization_wide=form.cleaned_data.get("scope") == "organization",
                    actor=request.user,
                )
            except DomainError as error:
                messages.error(request, error.detail)
            else:
                messages.success(request, f"“{log.participant_label}” is now remembered; {matched} log(s) linked.")
                return redirect(reverse("admin:meetings_attendancelog_changelist") + "?matched=others")
        preview = {scope: services.participant_link_preview(
            organization=log.organization, participant_kind=log.participant_kind, identity=log.identity,
            class_session=log.class_session if scope == "class" else None,
        ) for scope in ("class", "organization")}
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": "Link a Meet participant",
            "log": log, "form": form, "guest": guest, "preview": preview,
        }
        return TemplateResponse(request, "meetings/admin_link_participant.html", context)


class ParticipantLinkForm(forms.ModelForm):
    class Meta:
        model = ParticipantLink
        fields = ["organization", "class_session", "participant_kind", "identity", "teacher", "student"]

    def clean(self):
        data = super().clean()
        if data.get("participant_kind") != ParticipantKind.SIGNED_IN and not data.get("class_session"):
            # Organization-wide guest links are made from a log's link page, after its preview.
            raise forms.ValidationError("Name the class a guest's or phone's link holds in.")
        return data


@admin.register(ParticipantLink)
class ParticipantLinkAdmin(ScopedModelAdmin):
    form = ParticipantLinkForm
    list_display = ["identity", "participant_kind", "teacher", "student", "organization", "created_by", "created_at"]
    list_filter = ["participant_kind", "organization"]
    list_select_related = ["teacher", "student", "organization", "created_by"]
    search_fields = ["identity"]
    raw_id_fields = ["teacher", "student", "class_session"]

    def save_model(self, request, obj, form, change):
        link, matched = services.participant_link_create(
            organization=obj.organization, participant_kind=obj.participant_kind, identity=obj.identity,
            teacher=obj.teacher, student=obj.student, class_session=obj.class_session, actor=request.user,
        )
        obj.pk = link.pk
        messages.info(request, f"{matched} existing log(s) linked.")


@admin.register(ClassAttendance)
class ClassAttendanceAdmin(ScopedModelAdmin):
    list_display = ["class_session", "teacher", "student", "seconds", "device_sessions", "first_joined_at", "last_left_at", "ongoing"]
    list_filter = ["organization", "ongoing"]
    list_select_related = ["class_session__scheduled_class", "teacher", "student"]
    raw_id_fields = ["class_session", "teacher", "student"]
    search_fields = ["class_session__scheduled_class__title", "teacher__first_name", "teacher__last_name",
                     "student__first_name", "student__last_name", "student__email"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SyncAttempt)
class SyncAttemptAdmin(ScopedModelAdmin):
    list_display = ["started_at", "class_session", "trigger", "outcome", "error_code", "records", "logs_created", "logs_updated", "next_retry_at"]
    list_filter = ["outcome", "trigger", "organization"]
    list_select_related = ["class_session__scheduled_class"]
    raw_id_fields = ["class_session"]
    search_fields = ["class_session__scheduled_class__title", "error_code"]
    date_hierarchy = "started_at"
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GoogleCredential)
class GoogleCredentialAdmin(ScopedModelAdmin):
    list_display = ["organization", "account_email", "scopes", "updated_at"]
    fields = ["organization", "account_email", "scopes", "created_at", "updated_at"]
    readonly_fields = ["scopes", "created_at", "updated_at"]  # the token itself is never shown
    search_fields = ["organization__name", "account_email"]

    def has_add_permission(self, request):
        return False  # stored by `manage.py setup_google_oauth --meet`
