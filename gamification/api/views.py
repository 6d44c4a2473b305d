"""The gym API (under /api/v1/gym/). Views parse input, call a service or selector, shape output."""

import hashlib
import hmac
import time
from datetime import date

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from attendance.api.serializers import BulkOutputSerializer
from config.api import validated as _valid
from config.errors import DomainError
from gamification import offline, selectors, services
from gamification.api import serializers as s
from gamification.models import QR_PREFIX, AccessMethod
from gamification.plugins import member_summary
from organizations.api.mixins import PrincipalMixin
from organizations.batches import batch_answer
from organizations.dates import local_today
from organizations.idempotency import HEADER_PARAMETER, idempotent
from organizations.models import DESK_ROLES, MANAGER_ROLES, DeviceKind, Organization, Role
from organizations.throttles import WebhookAddressThrottle

DOOR_DEVICES = {DeviceKind.KIOSK, DeviceKind.TERMINAL}
WEBHOOK_TOLERANCE_SECONDS = 300


class GymView(PrincipalMixin, APIView):
    """Base: the caller's organization must be a gym; desk roles by default, no devices."""

    allowed_roles = DESK_ROLES
    allow_devices = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.gym = services.gym_get(organization=self.organization)


def entry_response(entry: services.EntryResult, *, tz) -> Response:
    row = entry.check_in
    body = {
        "result": "allowed",
        "visit": {
            "id": row.pk,
            "checked_in_at": row.checked_in_at.isoformat(),
            "expected_checkout_at": row.expected_checkout_at.isoformat() if row.expected_checkout_at else None,
            "access_method": row.metadata.get("access_method"),
            "access_type": row.metadata.get("access_type"),
        },
        "member": member_summary(entry.profile.member, entry.profile, tz=tz, at=entry.check_in.checked_in_at),
    }
    return Response(body, status=status.HTTP_201_CREATED if entry.created else status.HTTP_200_OK)


class CheckInView(GymView):
    """POST {"qr": "GYM_QR_<token>"} (desk or door device) or {"user_id": id} (desk only)."""

    allow_devices = DOOR_DEVICES

    @extend_schema(request=s.GymCheckInInputSerializer, responses={201: s.GymEntrySerializer, 409: s.GymRefusedSerializer},
                   parameters=[HEADER_PARAMETER])
    @idempotent
    def post(self, request):
        data = _valid(s.GymCheckInInputSerializer, request.data)
        if data.get("qr"):
            member = services.member_for_qr(
                organization=self.organization, qr=data["qr"], actor=self.actor, device=self.device
            )
            method = AccessMethod.QR
        else:
            if self.device is not None:
                raise DomainError("A door device checks in by QR code only.", code="permission_denied", status_code=403)
            member = services.member_for_door(organization=self.organization, member_id=data["user_id"], actor=self.actor)
            method = AccessMethod.MANUAL
        entry = services.gym_check_in(
            organization=self.organization, member=member, access_method=method, actor=self.actor, device=self.device,
            gym=self.gym,
        )
        return entry_response(entry, tz=self.organization.tz)


class BiometricCheckInView(GymView):
    """POST {"footprint_id": ...} from a registered terminal (Authorization: Device <key>)."""

    allowed_roles = frozenset()
    allow_devices = {DeviceKind.TERMINAL}

    @extend_schema(request=s.GymBiometricInputSerializer, responses={201: s.GymEntrySerializer, 409: s.GymRefusedSerializer},
                   parameters=[HEADER_PARAMETER])
    @idempotent
    def post(self, request):
        data = _valid(s.GymBiometricInputSerializer, request.data)
        member = services.member_for_footprint(
            organization=self.organization, footprint_id=data["footprint_id"], device=self.device
        )
        entry = services.gym_check_in(
            organization=self.organization, member=member, access_method=AccessMethod.BIOMETRIC, device=self.device,
            gym=self.gym,
        )
        return entry_response(entry, tz=self.organization.tz)


class CourtesyView(GymView):
    """POST {"user_id"|"qr"|"guest_name", "reason"}: owner, admin, receptionist or superuser only."""

    # Any role gets past the permission class; the service allows desk roles and platform superusers
    # (even one whose own membership here is, say, staff) and answers 403 to everyone else.
    allowed_roles = frozenset(Role.values)

    @extend_schema(request=s.GymCourtesyInputSerializer, responses={201: s.GymEntrySerializer})
    def post(self, request):
        data = _valid(s.GymCourtesyInputSerializer, request.data)
        # Before anything is written: a refused caller must not leave a guest behind.
        services.courtesy_check_allowed(actor=self.actor, role=request.principal.role)
        if data.get("user_id") is not None:
            member = services.member_get(organization=self.organization, member_id=data["user_id"])
        elif data.get("qr"):
            member = services.member_for_qr(organization=self.organization, qr=data["qr"], actor=self.actor)
        else:
            member = services.courtesy_guest_create(organization=self.organization, name=data["guest_name"], actor=self.actor)
        entry = services.courtesy_grant(
            organization=self.organization, member=member, reason=data["reason"], actor=self.actor,
            role=request.principal.role, gym=self.gym,
        )
        return entry_response(entry, tz=self.organization.tz)


class CourtesyQueueView(GymView):
    """POST {"items": [{"event_id", "at", "reason", "user_id"|"guest_name"}]}: the courtesy passes a
    desk gave offline, granted by the user who pushes them; one result per item, as the engine's
    offline batch answers (`recorded`, `duplicate`, `refused`, `invalid`)."""

    allowed_roles = frozenset(Role.values)  # the role is judged per item, and a refusal is recorded

    @extend_schema(request=s.GymCourtesyQueueInputSerializer, responses={200: BulkOutputSerializer})
    def post(self, request):
        raw_items = _valid(s.GymCourtesyQueueEnvelopeSerializer, request.data)["items"]

        def record(items: dict[int, dict]) -> dict[int, dict]:
            results = offline.courtesy_queue_record(
                organization=self.organization, gym=self.gym, items=list(items.values()), actor=self.actor,
                role=request.principal.role,
            )
            return dict(zip(items, results, strict=True))

        return Response(batch_answer(request, raw_items, s.GymQueuedCourtesySerializer, record))


class MemberListView(GymView):
    """GET ?q= search by name, email or phone; POST creates a gym member."""

    @extend_schema(operation_id="v1_gym_members_list", responses={200: s.GymMemberListSerializer}, parameters=[OpenApiParameter("q", str, description="Words to match in name, email or phone.")])
    def get(self, request):
        results = selectors.member_search(organization=self.organization, query=request.query_params.get("q", ""))
        return Response({"results": results})

    @extend_schema(request=s.GymMemberCreateSerializer, responses={201: s.GymMemberRowSerializer})
    def post(self, request):
        data = _valid(s.GymMemberCreateSerializer, request.data)
        member = services.gym_member_create(organization=self.organization, actor=self.actor, **data)
        return Response(selectors.member_row(member, tz=self.organization.tz), status=status.HTTP_201_CREATED)


class MemberDetailMixin:
    def member(self, member_id):
        return services.member_get(organization=self.organization, member_id=member_id)


class MemberDetailView(MemberDetailMixin, GymView):
    @extend_schema(responses={200: s.GymMemberDetailSerializer})
    def get(self, request, member_id):
        member = self.member(member_id)
        return Response({**selectors.member_row(member, tz=self.organization.tz), "qr": f"{QR_PREFIX}{member.qr_token}"})


class SubscriptionView(MemberDetailMixin, GymView):
    @extend_schema(request=s.GymSubscriptionInputSerializer, responses={200: s.GymMemberRowSerializer})
    def put(self, request, member_id):
        data = _valid(s.GymSubscriptionInputSerializer, request.data)
        member = self.member(member_id)
        services.subscription_set(member=member, status=data["subscription_status"], expires_at=data["expires_at"], actor=self.actor)
        return Response(selectors.member_row(services.member_get(organization=self.organization, member_id=member_id), tz=self.organization.tz))


class FreezeView(MemberDetailMixin, GymView):
    @extend_schema(request=s.GymFreezeInputSerializer, responses={200: s.GymMemberRowSerializer})
    def put(self, request, member_id):
        data = _valid(s.GymFreezeInputSerializer, request.data)
        member = self.member(member_id)
        profile = services.streak_freeze_set(member=member, until=data["until"], actor=self.actor)
        return Response({**selectors.member_row(member, tz=self.organization.tz), "streak_freeze_until": profile.streak_freeze_until})


class FootprintView(MemberDetailMixin, GymView):
    """POST {"footprint_id"}: enrol a footprint (desk or terminal); only its keyed hash is kept."""

    allow_devices = {DeviceKind.TERMINAL}

    @extend_schema(request=s.GymFootprintInputSerializer, responses={200: s.GymFootprintRegisteredSerializer})
    def post(self, request, member_id):
        data = _valid(s.GymFootprintInputSerializer, request.data)
        services.footprint_register(member=self.member(member_id), footprint_id=data["footprint_id"], actor=self.actor, device=self.device)
        return Response({"registered": True})


class QrImageView(MemberDetailMixin, GymView):
    """GET the member's QR code as SVG (encodes GYM_QR_<token>)."""

    @extend_schema(responses={(200, "image/svg+xml"): OpenApiTypes.BINARY})
    def get(self, request, member_id):
        member = self.member(member_id)
        image = qrcode.make(f"{QR_PREFIX}{member.qr_token}", image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
        response = HttpResponse(image.to_string(), content_type="image/svg+xml")
        response["Cache-Control"] = "private, no-store"
        return response


class RotateQrView(MemberDetailMixin, GymView):
    """POST: issue a new QR token; the old code is refused from now on (`unknown_qr`)."""

    @extend_schema(request=None, responses={200: s.GymRotateQrSerializer})
    def post(self, request, member_id):
        member = services.qr_token_rotate(member=self.member(member_id), actor=self.actor)
        return Response({"id": member.pk, "qr": f"{QR_PREFIX}{member.qr_token}"})


def _day(request):
    raw = request.query_params.get("date")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError("`date` must be YYYY-MM-DD.", code="invalid_date") from None


class VisitsView(GymView):
    """GET today's visits (or ?date=YYYY-MM-DD), newest first."""

    @extend_schema(responses={200: s.GymVisitListSerializer}, parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="Local day (default: the gym's today).")])
    def get(self, request):
        day = _day(request)
        return Response({"results": selectors.visits_for_day(organization=self.organization, day=day)})


class RefusalsView(GymView):
    """GET today's refused door attempts (or ?date=), newest first."""

    @extend_schema(responses={200: s.GymRefusalListSerializer}, parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="Local day (default: the gym's today).")])
    def get(self, request):
        day = _day(request)
        return Response({"results": selectors.refusals_for_day(organization=self.organization, day=day)})


class DeskView(GymView):
    """GET occupancy, today's visits and refusals in one call (the front desk's panel)."""

    @extend_schema(responses={200: s.GymDeskStateSerializer})
    def get(self, request):
        return Response(selectors.desk_state(organization=self.organization))


class GymSettingsView(GymView):
    allowed_roles = MANAGER_ROLES

    @extend_schema(responses={200: s.GymSettingsOutputSerializer})
    def get(self, request):
        return Response(_settings_body(self.gym))

    @extend_schema(request=s.GymSettingsSerializer, responses={200: s.GymSettingsOutputSerializer})
    def patch(self, request):
        data = _valid(s.GymSettingsSerializer, request.data)
        gym = services.gym_configure(organization=self.organization, actor=self.actor, **data)
        return Response(_settings_body(gym))


class ClosedDaysView(GymView):
    allowed_roles = MANAGER_ROLES

    @extend_schema(request=s.GymClosedDaySerializer, responses={201: s.GymClosedDaySerializer})
    def post(self, request):
        data = _valid(s.GymClosedDaySerializer, request.data)
        closed = services.closed_day_add(gym=self.gym, day=data["date"], reason=data["reason"], actor=self.actor)
        return Response({"date": closed.date.isoformat(), "reason": closed.reason}, status=status.HTTP_201_CREATED)


def _settings_body(gym) -> dict:
    return {
        "gamification_enabled": gym.gamification_enabled,
        "reactivated_at": gym.reactivated_at.isoformat() if gym.reactivated_at else None,
        "closed_weekdays": gym.closed_weekdays,
        "closed_days": [{"date": d.date.isoformat(), "reason": d.reason} for d in gym.closed_days.all()],
        "time_zone": gym.organization.time_zone,
    }


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256(secret, "<timestamp>." + raw body)."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class StreakResetWebhookView(APIView):
    """POST {"organization": slug}: run the nightly streak reset now. Signed, not session-authenticated:
    headers `X-Gym-Timestamp` (unix seconds, within 5 minutes) and `X-Gym-Signature`."""

    authentication_classes = []
    permission_classes = [AllowAny]
    error_codes = {401: ["stale_timestamp", "bad_signature"], 404: ["gym_not_configured"], 409: ["replayed"],
                   503: ["webhook_disabled"]}
    throttle_classes = [WebhookAddressThrottle]

    @extend_schema(request=s.StreakResetInputSerializer, responses={200: s.GymStreakResetResultSerializer})
    def post(self, request):
        secret = settings.WEBHOOK_SECRET
        if not secret:
            raise DomainError("Webhooks are disabled: WEBHOOK_SECRET is not set.", code="webhook_disabled", status_code=503)
        timestamp = request.headers.get("X-Gym-Timestamp", "")
        signature = request.headers.get("X-Gym-Signature", "")
        body = request.body
        # ASCII digits of a plausible length only: int() reads other scripts' digits and refuses
        # thousands of them, and nothing unsigned is parsed beyond this.
        plausible = timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12
        if not plausible or abs(time.time() - int(timestamp)) > WEBHOOK_TOLERANCE_SECONDS:
            raise DomainError("Missing or stale X-Gym-Timestamp.", code="stale_timestamp", status_code=401)
        if not hmac.compare_digest(webhook_signature(secret, timestamp, body), signature):
            raise DomainError("Bad webhook signature.", code="bad_signature", status_code=401)
        # A captured request can't be replayed: its signature is remembered for the tolerance window.
        if not cache.add(f"gym-webhook:{signature}", 1, timeout=2 * WEBHOOK_TOLERANCE_SECONDS):
            raise DomainError("This signed request was already used.", code="replayed", status_code=409)
        data = _valid(s.StreakResetInputSerializer, request.data)
        organization = Organization.objects.filter(slug=data["organization"]).first()
        if organization is None:
            raise DomainError("No such gym.", code="gym_not_configured", status_code=404)
        services.gym_get(organization=organization)
        reset = services.streak_reset(organization=organization, today=data.get("date"))
        today = data.get("date") or local_today(organization.tz)
        return Response({"organization": organization.slug, "date": today.isoformat(), "reset": reset})
