"""GET /api/v1/gym/door-manifest: what a desk or door needs to work offline (gamification.manifest)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api import validated as _valid
from gamification import manifest
from gamification.api.views import DOOR_DEVICES, GymView


class ManifestQuerySerializer(serializers.Serializer):
    since = serializers.IntegerField(required=False, min_value=0, help_text="The cursor of the manifest the device holds.")


class ManifestIdentifierSerializer(serializers.Serializer):
    algorithm = serializers.ChoiceField(choices=["HMAC-SHA256"])
    key = serializers.CharField(help_text="Hex key; identifier = first hex_digits of HMAC-SHA256(key, scanned text).")
    hex_digits = serializers.IntegerField()


class ManifestRulesSerializer(serializers.Serializer):
    time_zone = serializers.CharField()
    anti_passback_seconds = serializers.DictField(child=serializers.IntegerField(), help_text="Per access method.")
    visit_hours = serializers.FloatField(help_text="A visit's expected length.")
    closed_weekdays = serializers.ListField(child=serializers.IntegerField(), help_text="0 = Monday … 6 = Sunday.")
    closed_dates = serializers.ListField(child=serializers.DateField(), help_text="From yesterday to 90 days ahead.")
    courtesy_needs_reason = serializers.BooleanField()
    qr_prefix = serializers.CharField()
    identifier = ManifestIdentifierSerializer()


class ManifestMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    qr = serializers.CharField(help_text="Identifier of the member's QR code (GYM_QR_<token>).")
    footprint = serializers.CharField(allow_null=True, help_text="Identifier of the registered footprint hash.")
    active = serializers.BooleanField(help_text="False for a suspended member or one with attendance disabled.")
    access_type = serializers.CharField()
    subscription_status = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_entry_at = serializers.DateTimeField(allow_null=True)


class ManifestSerializer(serializers.Serializer):
    cursor = serializers.IntegerField(help_text="Pass as ?since= for the next delta.")
    full = serializers.BooleanField(help_text="True when `members` is every member (no `since`).")
    generated_at = serializers.DateTimeField()
    rules = ManifestRulesSerializer()
    members = ManifestMemberSerializer(many=True, help_text="Every member, or those changed since the cursor.")
    removed = serializers.ListField(child=serializers.IntegerField(), help_text="Ids removed since the cursor.")


class DoorManifestView(GymView):
    """A desk (receptionist) or a door device (kiosk or terminal key) of this gym only."""

    allow_devices = DOOR_DEVICES
    error_codes = {400: ["invalid_cursor"]}

    @extend_schema(
        responses={200: ManifestSerializer},
        parameters=[OpenApiParameter("since", int, description="Cursor of the manifest held: answer only what changed.")],
    )
    def get(self, request):
        since = _valid(ManifestQuerySerializer, request.query_params).get("since")
        return Response(manifest.door_manifest(organization=self.organization, gym=self.gym, since=since))
