from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from organizations.models import MANAGER_ROLES, DeviceKey, DeviceKind, Role
from organizations.permissions import principal_user
from organizations.services import device_key_create, device_key_revoke
from organizations.throttles import SIGN_IN_THROTTLES


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


# --- Response bodies (OpenAPI) ------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


class MeUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class MeDeviceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MeOrganizationSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    time_zone = serializers.CharField(help_text="IANA time zone of the organization's days and months.")


class MembershipRoleSerializer(serializers.Serializer):
    slug = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)


class MeSerializer(serializers.Serializer):
    user = MeUserSerializer(allow_null=True, help_text="Null when a device key acts.")
    device = MeDeviceSerializer(allow_null=True, help_text="Null when a user acts.")
    organization = MeOrganizationSerializer(help_text="The organization this request acts for.")
    role = serializers.ChoiceField(choices=Role.choices, allow_null=True, help_text="Null for a device.")
    organizations = MembershipRoleSerializer(many=True, help_text="Every membership of the user.")


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    authentication_classes = []
    permission_classes = []
    error_codes = {400: ["invalid_credentials"]}
    throttle_classes = SIGN_IN_THROTTLES

    @extend_schema(request=TokenInputSerializer, responses={200: TokenSerializer})
    def post(self, request):
        from django.contrib.auth import authenticate

        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None:
            return Response(
                {"code": "invalid_credentials", "detail": "Wrong username or password."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(APIView):
    allowed_roles = set(Role.values)
    allow_devices = True

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        principal = request.principal
        user = principal_user(request)
        return Response(
            {
                "user": {"id": user.pk, "username": user.username} if user else None,
                "device": {"id": principal.device.pk, "name": principal.device.name} if principal.device else None,
                "organization": {
                    "slug": principal.organization.slug,
                    "name": principal.organization.name,
                    "time_zone": principal.organization.time_zone,
                },
                "role": principal.role,
                "organizations": [
                    {"slug": m.organization.slug, "role": m.role}
                    for m in (user.memberships.select_related("organization") if user else [])
                ],
            }
        )


class DeviceKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = DeviceKey
        fields = ["id", "name", "kind", "prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]


class DeviceKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=DeviceKind.choices, default=DeviceKind.KIOSK)


class DeviceKeyCreatedSerializer(DeviceKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The raw key, shown only in this answer.")

    class Meta(DeviceKeySerializer.Meta):
        fields = [*DeviceKeySerializer.Meta.fields, "key"]


class DeviceKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Kiosk, terminal and screen keys. The key is shown once, in the create response."""

    serializer_class = DeviceKeySerializer
    allowed_roles = MANAGER_ROLES
    error_codes = {409: ["duplicate_name"]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DeviceKey.objects.none()
        return DeviceKey.objects.filter(organization=self.request.principal.organization).order_by("name")

    @extend_schema(request=DeviceKeyCreateSerializer, responses={201: DeviceKeyCreatedSerializer})
    def create(self, request):
        data = DeviceKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = request.principal.organization
        if DeviceKey.objects.filter(organization=organization, name=data.validated_data["name"]).exists():
            return Response(
                {"code": "duplicate_name", "detail": "A device with this name exists; choose another name."},
                status=status.HTTP_409_CONFLICT,
            )
        device, raw_key = device_key_create(organization=organization, actor=principal_user(request), **data.validated_data)
        return Response({**DeviceKeySerializer(device).data, "key": raw_key}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: DeviceKeySerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        device = device_key_revoke(device=self.get_object(), actor=principal_user(request))
        return Response(DeviceKeySerializer(device).data)



