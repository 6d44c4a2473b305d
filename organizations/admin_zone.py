"""The admin's side of the date-time rule: a row of one organization shows and reads its date-times in
that organization's time zone, as the API reads a date-time without an offset (docs/api-input.md)."""

from datetime import UTC

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.utils import timezone

from organizations.models import Organization


class OrganizationTimeZoneAdmin(admin.ModelAdmin):
    """A ModelAdmin for a model with an `organization`: its change and add forms are in that
    organization's time zone (when adding, the one chosen in the form; UTC until one is chosen)."""

    def organization_zone(self, request, object_id):
        organization = None
        if object_id:
            row = self.get_object(request, unquote(object_id))
            organization = getattr(row, "organization", None)
        elif request.method == "POST" and str(request.POST.get("organization", "")).isdigit():
            organization = Organization.objects.filter(pk=int(request.POST["organization"])).first()
        return organization.tz if organization is not None else UTC

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with timezone.override(self.organization_zone(request, object_id)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()  # the form's values are shown in the zone too
        return response
