"""The admin's side of the date-time rule: a row of one organization shows and reads its date-times in
that organization's time zone, as the API reads a date-time without an offset (docs/api-input.md)."""

from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format

from organizations.models import Organization


class OrganizationTimeZoneAdmin(admin.ModelAdmin):
    """A ModelAdmin for a model with an `organization`: its change and add forms are read, validated and
    rendered in that organization's time zone, DST included (when adding, the one chosen in the form;
    the site's zone until one is chosen)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        tz = self.organization_time_zone(request, object_id)
        if tz is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with timezone.override(tz):
            extra_context = {**(extra_context or {}), "subtitle": f"Times in {tz.key} (the organization's time zone)"}
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()  # a TemplateResponse renders lazily: render inside the override
            return response

    def organization_time_zone(self, request, object_id):
        organization_id = request.POST.get("organization") or request.GET.get("organization")
        if not organization_id and object_id and str(object_id).isdigit():
            organization_id = self.get_queryset(request).filter(pk=object_id).values_list("organization_id", flat=True).first()
        if not str(organization_id or "").isdigit():
            return None
        organization = Organization.objects.filter(pk=organization_id).first()
        return organization.tz if organization is not None else None

    @staticmethod
    def local_time(moment, organization: Organization) -> str:
        """`moment` as the organization's wall time, with its zone's abbreviation (for list columns)."""
        return date_format(timezone.localtime(moment, organization.tz), "Y-m-d H:i T") if moment else ""
