"""The bookings REST API (set-up, bookings, waitlist, class check-in; the reports are in reports.py). Views parse
input, call a service or selector, and shape the output.

Every view restricts the connection's bookings tables to the caller's organization
(bookings.rls.activate) as soon as the principal is known: row-level security on PostgreSQL.
"""

import csv
import io
from datetime import timedelta

from django.db.models import Count, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from attendance.models import Member
from bookings import checkins, selectors, services
from bookings.api import serializers as s
from bookings.exceptions import BookingNotFound
from bookings.models import (
    Booking,
    BookingSource,
    BookingStatus,
    ClassPackage,
    ClassType,
    CustomerMembership,
    FitnessClass,
    Instructor,
    MembershipPlan,
    Venue,
    WaitlistEntry,
    WaitlistStatus,
)
from config.api import validated as _valid
from config.errors import DomainError
from config.errors import Forbidden as BookingForbidden
from organizations.api.mixins import PrincipalMixin
from organizations.dates import local_today
from organizations.models import DESK_ROLES, MANAGER_ROLES, WORKER_ROLES, DeviceKind, Role

DEVICE_KINDS = {DeviceKind.KIOSK, DeviceKind.TERMINAL, DeviceKind.INTEGRATION}
READ_METHODS = ("GET", "HEAD", "OPTIONS")


class CSVRenderer(renderers.BaseRenderer):
    """Renders a list of flat dicts (a report's rows) as CSV; selected with ?format=csv."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "code" in data and "detail" in data:  # an error body
            return rows_to_csv([data])
        rows = data if isinstance(data, list) else [data]
        view = (renderer_context or {}).get("view")
        return rows_to_csv(rows, columns=getattr(view, "csv_columns", None))


def rows_to_csv(rows: list[dict], columns: list[str] | None = None) -> str:
    """The rows as CSV, header first; an empty table still has its header when the view names its columns."""
    out = io.StringIO()
    fieldnames = list(rows[0].keys()) if rows else columns
    if fieldnames:
        writer = csv.DictWriter(out, fieldnames=fieldnames, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


class StudioView(PrincipalMixin):
    """Mixin: the caller's organization, actor and device (the permission check narrows RLS to it)."""

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "organization": self.organization}


PERIOD_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First local date (default: 29 days before end)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last local date, included (default: today)."),
    OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"], description="csv for the report's table."),
]
REPORT_SCHEMA = extend_schema(parameters=PERIOD_PARAMETERS)


def report_body(serializer, *, parameters=()):
    """Declare a report's JSON body and its CSV table (`?format=csv`) on the view's GET."""
    return extend_schema_view(get=extend_schema(
        parameters=list(parameters),
        responses={(200, "application/json"): serializer, (200, "text/csv"): OpenApiTypes.STR},
    ))


def _fake(view) -> bool:
    """True while drf-spectacular inspects the view (no principal then)."""
    return getattr(view, "swagger_fake_view", False)


def customer_for(organization, customer_id=None, qr_token=None) -> Member:
    rows = Member.objects.filter(organization=organization)
    customer = rows.filter(qr_token=qr_token).first() if qr_token else rows.filter(pk=customer_id).first()
    if customer is None:
        raise BookingNotFound("No such customer in this organization.", code="customer_not_found")
    return customer


def _object(model, organization, pk, name):
    row = model.objects.filter(organization=organization, pk=pk).first()
    if row is None:
        raise BookingNotFound(f"No such {name} in this organization.", code=f"{name.replace(' ', '_')}_not_found")
    return row


# --- set-up: studio options, venues, instructors, class types, classes, plans, packages ---------


class StudioOptionsView(StudioView, APIView):
    """The studio's booking options (late-cancellation window, grace minutes, ...)."""

    allowed_roles = WORKER_ROLES

    def get_permissions(self):
        self.allowed_roles = WORKER_ROLES if self.request.method in READ_METHODS else MANAGER_ROLES
        return super().get_permissions()

    @extend_schema(responses={200: s.StudioSerializer})
    def get(self, request):
        return Response(s.StudioSerializer(services.studio_options(self.organization)).data)

    @extend_schema(request=s.StudioSerializer, responses={200: s.StudioSerializer})
    def put(self, request):
        studio = services.studio_options(self.organization)
        serializer = s.StudioSerializer(studio, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save(organization=self.organization)
        return Response(serializer.data)

    patch = put


class ManagedViewSet(StudioView, viewsets.ModelViewSet):
    """Workers read (customers too where `customers_read`); managers write. Rows of the caller's
    organization only."""

    model = None
    customers_read = False

    def get_permissions(self):
        readers = WORKER_ROLES | ({Role.MEMBER} if self.customers_read else set())
        self.allowed_roles = readers if self.request.method in READ_METHODS else MANAGER_ROLES
        return super().get_permissions()

    def get_queryset(self):
        if _fake(self):
            return self.model.objects.none()
        return self.model.objects.filter(organization=self.organization)

    def perform_create(self, serializer):
        serializer.save(organization=self.organization)


class VenueViewSet(ManagedViewSet):
    customers_read = True  # the schedule is public to the studio's customers
    model = Venue
    serializer_class = s.VenueSerializer


class InstructorViewSet(ManagedViewSet):
    customers_read = True  # the schedule is public to the studio's customers
    model = Instructor
    serializer_class = s.InstructorSerializer

    def perform_destroy(self, instance):
        # The class–instructor links would cascade away with the instructor (and with them the
        # instructors report's history): an instructor of any class stays, like a class type.
        if instance.classes.exists():
            raise DomainError("This instructor teaches classes; take them off those classes first.",
                              code="in_use", status_code=409)
        instance.delete()


class ClassTypeViewSet(ManagedViewSet):
    customers_read = True  # the schedule is public to the studio's customers
    model = ClassType
    serializer_class = s.ClassTypeSerializer


class MembershipPlanViewSet(ManagedViewSet):
    model = MembershipPlan
    serializer_class = s.MembershipPlanSerializer


class _CustomerOwnedViewSet(ManagedViewSet):
    def perform_create(self, serializer):
        customer = customer_for(self.organization, serializer.validated_data["customer_id"])
        serializer.save(organization=self.organization, customer=customer)

    def perform_update(self, serializer):
        if "customer_id" in serializer.validated_data:
            customer_for(self.organization, serializer.validated_data["customer_id"])
        serializer.save()


class CustomerMembershipViewSet(_CustomerOwnedViewSet):
    model = CustomerMembership
    serializer_class = s.CustomerMembershipSerializer


class ClassPackageViewSet(_CustomerOwnedViewSet):
    model = ClassPackage
    serializer_class = s.ClassPackageSerializer


@extend_schema_view(list=extend_schema(parameters=PERIOD_PARAMETERS[:2]))
class FitnessClassViewSet(ManagedViewSet):
    """Classes; `?date=YYYY-MM-DD` lists one local day, `?start=&end=` a range (default: today on)."""

    customers_read = True  # the schedule is public to the studio's customers
    model = FitnessClass
    serializer_class = s.FitnessClassSerializer

    def get_queryset(self):
        if _fake(self):
            return FitnessClass.objects.none()
        rows = (
            FitnessClass.objects.filter(organization=self.organization)
            .select_related("class_type", "venue").prefetch_related("instructors")
            .annotate(booked=Count("bookings", filter=Q(bookings__status__in=["registered", "attended"])))
        )
        if self.action != "list":
            return rows
        params = _valid(s.PeriodSerializer, self.request.query_params.dict())
        start = params.get("start") or local_today(self.organization.tz)
        end = params.get("end") or start + timedelta(days=6)
        p = selectors.period(self.organization, start, end)
        return rows.filter(starts_at__gte=p.lo, starts_at__lt=p.hi).order_by("starts_at", "id")

    @extend_schema(request=None, responses={200: s.ClassCancelledSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        cancelled = services.fitness_class_cancel(organization=self.organization, fitness_class=self.get_object())
        return Response({"bookings_cancelled": cancelled})

    @extend_schema(request=s.CapacityInputSerializer, responses={200: s.FitnessClassSerializer})
    @action(detail=True, methods=["post"])
    def capacity(self, request, pk=None):
        data = _valid(s.CapacityInputSerializer, request.data)
        services.fitness_class_set_capacity(
            organization=self.organization, fitness_class=self.get_object(), capacity=data["capacity_override"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    def get_permissions(self):
        permissions = super().get_permissions()
        if self.action == "waitlist":  # other customers' ids and places: the studio's workers only
            self.allowed_roles = WORKER_ROLES
        return permissions

    @extend_schema(responses={200: s.WaitlistPlaceSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def waitlist(self, request, pk=None):
        rows = WaitlistEntry.objects.filter(fitness_class=self.get_object(), status="waiting").order_by("created_at", "id")
        data = [{**s.WaitlistEntrySerializer(r).data, "position": i} for i, r in enumerate(rows, start=1)]
        return Response(data)


# --- bookings, waitlist, series, check-in -------------------------------------------------------


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("class_id", int, description="Only this class's bookings."),
    OpenApiParameter("customer_id", int, description="Only this customer's bookings."),
    OpenApiParameter("status", str, enum=BookingStatus.values),
]))
class BookingViewSet(StudioView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bookings. Desk roles book for anyone; a customer (role member) books for their own record."""

    serializer_class = s.BookingSerializer
    allowed_roles = WORKER_ROLES | {Role.MEMBER}
    allow_devices = DEVICE_KINDS

    def get_queryset(self):
        if _fake(self):
            return Booking.objects.none()
        rows = (Booking.objects.filter(organization=self.organization).select_related("fitness_class")
                .order_by("fitness_class__starts_at", "id"))
        if self.request.principal.role == Role.MEMBER:
            rows = rows.filter(customer__user=self.request.user)
        for param, lookup in (("class_id", "fitness_class_id"), ("customer_id", "customer_id"), ("status", "status")):
            if self.request.query_params.get(param):
                rows = rows.filter(**{lookup: self.request.query_params[param]})
        return rows

    def _self_or_named_customer(self, customer_id):
        if self.request.principal.role == Role.MEMBER:
            customer = Member.objects.filter(organization=self.organization, user=self.request.user).first()
            if customer is None or (customer_id and customer_id != customer.pk):
                raise BookingNotFound("You can only book for yourself.", code="customer_not_found")
            return customer
        if not customer_id:
            raise BookingNotFound("Name the customer (customer_id).", code="customer_not_found")
        return customer_for(self.organization, customer_id)

    def _check_method(self, data):
        if data["method"] == "free" and self.request.principal.role not in DESK_ROLES:
            raise BookingForbidden("Only the front desk can give a free place.", code="method_not_allowed")

    def _source(self, data):
        if self.request.principal.device is not None:
            return BookingSource.KIOSK
        if self.request.principal.role == Role.MEMBER:
            return data.get("source") if data.get("source") in (BookingSource.WEB, BookingSource.MOBILE_APP) else BookingSource.WEB
        return data.get("source") or BookingSource.STAFF

    @extend_schema(request=s.BookingInputSerializer, responses={201: s.BookedSerializer, 202: s.WaitlistedSerializer})
    def create(self, request):
        data = _valid(s.BookingInputSerializer, request.data)
        self._check_method(data)
        customer = self._self_or_named_customer(data.get("customer_id"))
        fitness_class = _object(FitnessClass, self.organization, data["class_id"], "class")
        amount = data["amount_paid_pennies"] if request.principal.role in DESK_ROLES else None
        outcome = services.booking_create(
            organization=self.organization, fitness_class=fitness_class, customer=customer, method=data["method"],
            source=self._source(data), amount_paid_pennies=amount, waitlist=data["waitlist"],
        )
        if outcome.booking is not None:
            return Response({"result": "booked", "booking": s.BookingSerializer(outcome.booking).data},
                            status=status.HTTP_201_CREATED)
        return Response({"result": "waitlisted", "waitlist_entry": {**s.WaitlistEntrySerializer(outcome.waitlist_entry).data,
                                                                      "position": outcome.position}},
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.SeriesInputSerializer, responses={201: s.SeriesSerializer})
    @action(detail=False, methods=["post"])
    def series(self, request):
        data = _valid(s.SeriesInputSerializer, request.data)
        self._check_method(data)
        customer = self._self_or_named_customer(data.get("customer_id"))
        fitness_class = _object(FitnessClass, self.organization, data["class_id"], "class")
        result = services.booking_book_series(
            organization=self.organization, customer=customer, fitness_class=fitness_class, until=data["until"],
            method=data["method"], source=self._source(data),
        )
        summary: dict[str, int] = {}
        for item in result.items:
            summary[item["result"]] = summary.get(item["result"], 0) + 1
        return Response({"series_id": result.series.pk, "summary": summary, "items": result.items},
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CancelInputSerializer, responses={200: s.BookingSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = _valid(s.CancelInputSerializer, request.data)
        at = data["at"] if request.principal.role in MANAGER_ROLES else None
        booking = services.booking_cancel(organization=self.organization, booking=self.get_object(), at=at)
        return Response(s.BookingSerializer(booking).data)

    def get_object(self):
        row = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if row is None:
            raise BookingNotFound("No such booking in this organization.")
        return row


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("class_id", int, description="Only this class's entries."),
    OpenApiParameter("status", str, enum=WaitlistStatus.values),
]))
class WaitlistViewSet(StudioView, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Waitlist entries. The desk sees all; a customer sees (and leaves) their own."""

    serializer_class = s.WaitlistEntrySerializer
    allowed_roles = DESK_ROLES | {Role.MEMBER}

    def get_queryset(self):
        if _fake(self):
            return WaitlistEntry.objects.none()
        rows = WaitlistEntry.objects.filter(organization=self.organization).order_by("created_at", "id")
        if self.request.principal.role == Role.MEMBER:
            rows = rows.filter(customer__user=self.request.user)
        if self.request.query_params.get("class_id"):
            rows = rows.filter(fitness_class_id=self.request.query_params["class_id"])
        if self.request.query_params.get("status"):
            rows = rows.filter(status=self.request.query_params["status"])
        return rows

    @extend_schema(request=None, responses={200: s.WaitlistEntrySerializer})
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        entry = self.get_queryset().filter(pk=pk).first()
        if entry is None:
            raise BookingNotFound("No such waitlist entry.", code="waitlist_entry_not_found")
        return Response(s.WaitlistEntrySerializer(services.waitlist_leave(organization=self.organization, entry=entry)).data)


class ClassCheckInView(StudioView, APIView):
    """Check a customer in to their class through the engine (source "bookings")."""

    allowed_roles = DESK_ROLES
    allow_devices = DEVICE_KINDS

    @extend_schema(request=s.ClassCheckInInputSerializer, responses={201: s.BookingSerializer})
    def post(self, request):
        data = _valid(s.ClassCheckInInputSerializer, request.data)
        booking = None
        if data.get("booking_id"):
            booking = _object(Booking, self.organization, data["booking_id"], "booking")
            customer = booking.customer
        else:
            customer = customer_for(self.organization, data.get("customer_id"), data.get("qr_token"))
        fitness_class = _object(FitnessClass, self.organization, data["class_id"], "class") if data.get("class_id") else None
        at = data["at"] if request.principal.role in MANAGER_ROLES else None
        booking = checkins.class_check_in(
            organization=self.organization, customer=customer, booking=booking, fitness_class=fitness_class,
            method=data["method"], at=at, actor=self.actor, device=request.principal.device,
        )
        return Response(s.BookingSerializer(booking).data, status=status.HTTP_201_CREATED)
