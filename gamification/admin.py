"""Admin for managers: gyms (switch, weekly closures, closed days) and members' gym profiles.

Refused door attempts are in the engine's Refusal admin (filter by source "gym")."""

from django.contrib import admin, messages

from gamification import services
from gamification.models import ClosedDay, Gym, GymProfile
from organizations.admin_scoping import ScopedModelAdmin, ScopedTabularInline
from organizations.admin_zone import OrganizationTimeZoneAdmin


class ClosedDayInline(ScopedTabularInline):
    model = ClosedDay
    extra = 1
    organization_field = "gym__organization"


@admin.register(Gym)
class GymAdmin(ScopedModelAdmin):
    list_display = ["organization", "gamification_enabled", "reactivated_at", "closed_weekday_names"]
    list_select_related = ["organization"]
    raw_id_fields = ["organization"]
    readonly_fields = ["reactivated_at"]
    search_fields = ["organization__name", "organization__slug"]
    inlines = [ClosedDayInline]
    actions = ["reinstall_schedules"]

    def save_model(self, request, obj, form, change):
        """Go through the service: it stamps reactivated_at, sets the engine options, installs the job."""
        if change:
            services.gym_configure(
                organization=obj.organization, gamification_enabled=obj.gamification_enabled,
                closed_weekdays=obj.closed_weekdays, actor=request.user,
            )
        else:
            gym = services.gym_configure(organization=obj.organization, closed_weekdays=obj.closed_weekdays, actor=request.user)
            obj.pk = gym.pk
            obj.refresh_from_db()

    @admin.action(description="Reinstall the nightly streak-reset schedules (every gym)", permissions=["platform"])
    def reinstall_schedules(self, request, queryset):
        services.schedules_install()
        self.message_user(request, "Schedules installed (one per gym, at its local midnight).", messages.SUCCESS)


@admin.register(GymProfile)
class GymProfileAdmin(OrganizationTimeZoneAdmin, ScopedModelAdmin):
    list_display = ["member", "organization", "access_type", "subscription_status", "expires_at", "current_streak",
                    "longest_streak", "last_visit_at", "streak_freeze_until"]
    list_select_related = ["member", "organization"]
    list_filter = ["access_type", "subscription_status", "organization"]
    search_fields = ["member__first_name", "member__last_name", "member__email", "member__phone"]
    raw_id_fields = ["member", "organization"]
    readonly_fields = ["last_visit_at", "last_checkin_date", "current_streak", "longest_streak"]
    show_full_result_count = False
