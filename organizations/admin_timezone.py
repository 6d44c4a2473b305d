"""Admin pages that enter and show a row's times in its organization's time zone, not in UTC."""

from django.utils import timezone
from django.utils.formats import date_format

from organizations.models import Organization


class OrganizationTimeZoneMixin:
    """A ModelAdmin mixin: activate the organization's time zone while a row's form is read, validated and rendered, so
    Django's date-time fields show stored UTC as local wall time and read local wall time back (DST
    included). The organization is the row's, or, on an add form, the one chosen in it."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        tz = self.organization_time_zone(request, object_id)
        if tz is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with timezone.override(tz):
            extra_context = {**(extra_context or {}), "subtitle": f"Times in {tz.key} (the organization's time zone)"}
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):  # a TemplateResponse renders lazily: render inside the override
                response.render()
            return response

    def organization_time_zone(self, request, object_id):
        organization_id = request.POST.get("organization") or request.GET.get("organization")
        if not organization_id and object_id:
            organization_id = self.get_queryset(request).filter(pk=object_id).values_list("organization_id", flat=True).first()
        organization = Organization.objects.filter(pk=organization_id).first() if str(organization_id or "").isdigit() else None
        return organization.tz if organization is not None else None

    @staticmethod
    def local_time(moment, organization: Organization) -> str:
        """`moment` as the organization's wall time, with its zone's abbreviation (for list columns)."""
        return date_format(timezone.localtime(moment, organization.tz), "Y-m-d H:i T") if moment else ""
