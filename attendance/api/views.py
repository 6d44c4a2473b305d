"""The engine's REST API. Views parse input, call a service or selector, and shape the output."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from attendance import registry, selectors, services
from attendance.api import serializers as s
from attendance.api.filters import CheckInFilter, RefusalFilter
from attendance.api.permissions import check_readable, readable, readable_entries, record_options
from attendance.exceptions import CheckInNotFound
from attendance.models import CheckIn, Correction, Member, Refusal, with_open_session
from config.api import validated as _valid
from config.errors import DomainError
from organizations.api.mixins import PrincipalMixin
from organizations.batches import batch_answer
from organizations.dates import local_today
from organizations.idempotency import HEADER_PARAMETER, idempotent
from organizations.models import DESK_ROLES, MANAGER_ROLES, WORKER_ROLES, DeviceKind

DEVICE_KINDS = {DeviceKind.KIOSK, DeviceKind.TERMINAL, DeviceKind.INTEGRATION}


# Every route that records or reads an attendee's records asks the attendee's channel policy first
# (attendance.api.permissions): who may record for whom, with what reason, and who reads.
POLICY_ERRORS = {400: ["reason_required"], 404: ["attendee_not_found"]}


class CheckInViewSet(PrincipalMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Check-ins of the caller's organization (those the attendee's channel policy lets the caller read)."""

    serializer_class = s.CheckInSerializer
    filterset_class = CheckInFilter
    allowed_roles = WORKER_ROLES
    allow_devices = DEVICE_KINDS
    error_codes = POLICY_ERRORS

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no principal
            return CheckIn.objects.none()
        return readable(self.request, selectors.check_ins_for(self.organization)).order_by("-checked_in_at", "-id")

    @extend_schema(request=s.CheckInInputSerializer, responses={201: s.CheckInSerializer}, parameters=[HEADER_PARAMETER])
    @idempotent
    def create(self, request):
        data = _valid(s.CheckInInputSerializer, request.data)
        attendee = s.resolve_attendee(self.organization, data, read=False)
        options = record_options(request, attendee, at=data.get("at"), reason=data["reason"],
                                 expected_checkout_at=data.get("expected_checkout_at"))
        result = services.check_in(
            organization=self.organization, attendee=attendee, method=data["method"], source="api",
            at=data.get("at"), expected_checkout_at=data.get("expected_checkout_at"), location=data["location"],
            notes=data["notes"], metadata=data["metadata"], device=self.device, actor=self.actor, options=options,
        )
        return Response(s.CheckInSerializer(result.check_in).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CheckOutByIdInputSerializer, responses={200: s.CheckInSerializer})
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        data = _valid(s.CheckOutByIdInputSerializer, request.data)
        row = self.get_object()
        attendee = registry.attendee_stand_in(
            registry.label_for(registry.model_for_content_type_id(row.attendee_type_id)), row.attendee_id,
            self.organization)
        options = record_options(request, attendee, at=data.get("at"), reason=data["reason"])
        row = services.check_out(
            organization=self.organization, check_in=row, at=data.get("at"), notes=data["notes"],
            actor=self.actor, device=self.device, options=options,
        )
        return Response(s.CheckInSerializer(row).data)

    @extend_schema(request=s.BulkInputSerializer, responses={200: s.BulkOutputSerializer}, parameters=[HEADER_PARAMETER])
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request):
        """A device's offline batch: each event_id bound to its item (organizations.idempotency),
        applied in time order, one result per item. An item that does not parse is answered
        `invalid` (with its fields) and the others are recorded; only a body without a list of
        items is a 400."""
        raw_items = _valid(s.BulkEnvelopeSerializer, request.data)["items"]

        def record(items: dict[int, dict]) -> dict[int, dict]:
            answers, valid = {}, []
            for index, data in items.items():
                try:
                    attendee = s.resolve_attendee(self.organization, data)
                    record_options(request, attendee, at=data["at"])
                    valid.append((index, {**data, "attendee": attendee}))
                except DomainError as error:
                    answers[index] = {"event_id": data["event_id"], "status": "refused", "code": error.code,
                                      "detail": error.detail}
            recorded = services.record_bulk(
                organization=self.organization, device=self.device, items=[item for _, item in valid], actor=self.actor
            )
            answers.update((index, result) for (index, _), result in zip(valid, recorded, strict=True))
            return answers

        return Response(batch_answer(request, raw_items, s.BulkItemSerializer, record))

    def get_object(self):
        row = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if row is None:
            raise CheckInNotFound("No such check-in in this organization.")
        return row


class CheckOutView(PrincipalMixin, APIView):
    """Close the named attendee's open session."""

    allowed_roles = WORKER_ROLES
    allow_devices = DEVICE_KINDS
    error_codes = POLICY_ERRORS

    @extend_schema(request=s.CheckOutInputSerializer, responses={200: s.CheckInSerializer})
    def post(self, request):
        data = _valid(s.CheckOutInputSerializer, request.data)
        attendee = s.resolve_attendee(self.organization, data, read=False)
        options = record_options(request, attendee, at=data.get("at"), reason=data["reason"])
        row = services.check_out(
            organization=self.organization, attendee=attendee, at=data.get("at"), notes=data["notes"],
            actor=self.actor, device=self.device, options=options,
        )
        return Response(s.CheckInSerializer(row).data)


class ToggleView(PrincipalMixin, APIView):
    """Check in if out, out if in."""

    allowed_roles = WORKER_ROLES
    allow_devices = DEVICE_KINDS
    error_codes = POLICY_ERRORS

    @extend_schema(request=s.CheckInInputSerializer, responses={200: s.ToggleOutputSerializer})
    def post(self, request):
        data = _valid(s.CheckInInputSerializer, request.data)
        attendee = s.resolve_attendee(self.organization, data, read=False)
        options = record_options(request, attendee, at=data.get("at"), reason=data["reason"])
        action_taken, row = services.toggle(
            organization=self.organization, attendee=attendee, at=data.get("at"), method=data["method"],
            location=data["location"], actor=self.actor, device=self.device, source="api", options=options,
        )
        return Response({"action": action_taken, "check_in": s.CheckInSerializer(row).data})


class OccupancyView(PrincipalMixin, APIView):
    allowed_roles = WORKER_ROLES
    allow_devices = True

    @extend_schema(responses={200: s.OccupancySerializer})
    def get(self, request):
        return Response(selectors.occupancy(organization=self.organization))


class DashboardView(PrincipalMixin, APIView):
    allowed_roles = MANAGER_ROLES | {"receptionist"}

    @extend_schema(parameters=[s.PeriodSerializer], responses={200: s.DashboardSerializer})
    def get(self, request):
        period = _period(request, self.organization)
        data = selectors.dashboard(organization=self.organization, start=period[0], end=period[1])
        # Totals stay whole; the named people are those the caller may read about (a hotel's staff).
        data["top_attendees"] = readable_entries(request, data["top_attendees"])
        data["at_risk"]["attendees"] = readable_entries(request, data["at_risk"]["attendees"])
        return Response(data)


class HistoryView(PrincipalMixin, APIView):
    allowed_roles = WORKER_ROLES

    @extend_schema(parameters=[s.HistoryQuerySerializer], responses={200: s.HistorySerializer})
    def get(self, request, attendee_type, attendee_id):
        """Sessions of a period (default: the 90 days ending today, local) a page at a time, with the
        period's count and next/previous links, and the monthly summaries of the months it touches."""
        attendee = s.resolve_attendee(self.organization, {"attendee_type": attendee_type, "attendee_id": attendee_id})
        check_readable(request, attendee)
        query = _valid(s.HistoryQuerySerializer, request.query_params)
        start, end = _period(request, self.organization, default_days=selectors.HISTORY_DEFAULT_DAYS)
        page, size = query["page"], query["page_size"]
        body = selectors.history(organization=self.organization, attendee=attendee, start=start, end=end, page=page,
                                 page_size=size)
        url = request.build_absolute_uri()
        body["next"] = replace_query_param(url, "page", page + 1) if body.pop("has_next") else None
        body["previous"] = replace_query_param(url, "page", page - 1) if page > 1 else None
        return Response(body)


class RefusalListView(PrincipalMixin, generics.ListAPIView):
    serializer_class = s.RefusalSerializer
    filterset_class = RefusalFilter
    allowed_roles = WORKER_ROLES

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Refusal.objects.none()
        return readable(self.request, self.organization.refusals.order_by("-attempted_at", "-id"))


class MemberViewSet(PrincipalMixin, viewsets.ModelViewSet):
    serializer_class = s.MemberSerializer
    allowed_roles = WORKER_ROLES
    filterset_fields = ["status", "email", "phone"]

    def get_permissions(self):
        if self.action in ("destroy",):
            self.allowed_roles = MANAGER_ROLES
        elif self.action not in ("list", "retrieve"):
            self.allowed_roles = DESK_ROLES
        return super().get_permissions()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Member.objects.none()
        queryset = with_open_session(Member.objects.filter(organization=self.organization))
        query = self.request.query_params.get("q")
        if query:
            from django.db.models import Q

            queryset = queryset.filter(
                Q(first_name__icontains=query) | Q(last_name__icontains=query)
                | Q(email__icontains=query) | Q(phone__icontains=query)
            )
        return queryset

    def perform_create(self, serializer):
        serializer.save(organization=self.organization)

    @transaction.atomic
    def perform_destroy(self, instance):
        # Check-ins and refusals name their attendee by content type and id, which no foreign key
        # protects: deleting a member with a history would leave visits of nobody behind. The row
        # lock is the one every check-in takes first, so no visit slips in between.
        member = Member.objects.select_for_update().get(pk=instance.pk)
        ct = registry.content_type_for(member)
        if any(model.objects.filter(attendee_type=ct, attendee_id=member.pk).exists() for model in (CheckIn, Refusal)):
            raise DomainError("This member has visits on record; set their status to `suspended` instead.",
                              code="in_use", status_code=409)
        member.delete()

    @extend_schema(request=None, responses={200: s.MemberSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-qr")
    def rotate_qr(self, request, pk=None):
        from attendance.models import new_qr_token
        from organizations.services import audit_log_record

        member = self.get_object()
        with transaction.atomic():
            member.qr_token = new_qr_token()
            member.save(update_fields=["qr_token"])
            audit_log_record(organization=self.organization, action="member.qr_rotated", actor=self.actor, target=member)
        return Response(s.MemberSerializer(member).data)


class CorrectionViewSet(PrincipalMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CorrectionSerializer
    allowed_roles = WORKER_ROLES | {"member"}
    filterset_fields = ["status", "kind"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Correction.objects.none()
        queryset = Correction.objects.filter(organization=self.organization)
        if self.request.principal.role not in MANAGER_ROLES:
            queryset = queryset.filter(submitted_by=self.actor)
        return queryset

    @extend_schema(request=s.CorrectionInputSerializer, responses={201: s.CorrectionSerializer})
    def create(self, request):
        data = _valid(s.CorrectionInputSerializer, request.data)
        attendee = s.resolve_attendee(self.organization, data)
        record_options(request, attendee, reason=data["reason"])  # a correction of one's own records only
        check_in = None
        if data.get("check_in_id"):
            check_in = CheckIn.objects.filter(organization=self.organization, pk=data["check_in_id"]).first()
            if check_in is None:
                raise CheckInNotFound("No such check-in in this organization.")
        correction = services.correction_submit(
            organization=self.organization, attendee=attendee, kind=data["kind"], reason=data["reason"],
            check_in=check_in, proposed_checked_in_at=data.get("proposed_checked_in_at"),
            proposed_checked_out_at=data.get("proposed_checked_out_at"), submitted_by=self.actor,
        )
        return Response(s.CorrectionSerializer(correction).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, decide):
        if request.principal.role not in MANAGER_ROLES:
            raise DomainError("Only an owner or admin may decide corrections.", code="permission_denied", status_code=403)
        data = _valid(s.DecisionInputSerializer, request.data)
        correction = self.get_object()
        correction = decide(correction=correction, actor=self.actor, note=data["note"])
        return Response(s.CorrectionSerializer(correction).data)

    @extend_schema(request=s.DecisionInputSerializer, responses={200: s.CorrectionSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, services.correction_approve)

    @extend_schema(request=s.DecisionInputSerializer, responses={200: s.CorrectionSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.correction_reject)


def _period(request, organization, default_days: int = 30):
    data = _valid(s.PeriodSerializer, request.query_params, today=local_today(organization.tz), default_days=default_days)
    return data["start"], data["end"]



