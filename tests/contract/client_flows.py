"""End-to-end flows of five kinds of integrator, written only against the client that
openapi-python-client generated from the live schema (run by tests/contract/client.sh, in the
generator's own virtualenv, never the app's). Every step asserts typed values, not only statuses.

    python tests/contract/client_flows.py BASE_URL GENERATED_PACKAGE_DIR
"""

import importlib
import pkgutil
import sys
import uuid
from datetime import UTC, datetime, timedelta

BASE_URL, PACKAGE_DIR = sys.argv[1], sys.argv[2]
sys.path.insert(0, PACKAGE_DIR)

import attendance_client.api as api_package  # noqa: E402
from attendance_client import AuthenticatedClient, Client  # noqa: E402
from attendance_client.api.bookings import (  # noqa: E402
    v1_bookings_bookings_create,
    v1_bookings_check_ins_create,
    v1_bookings_class_types_create,
    v1_bookings_classes_create,
    v1_bookings_reports_customers_history_retrieve,
    v1_bookings_reports_statistics_retrieve,
    v1_bookings_venues_create,
)
from attendance_client.api.engine import v1_check_ins_bulk_create, v1_history_retrieve, v1_members_create  # noqa: E402
from attendance_client.api.gym import v1_gym_checkin_create, v1_gym_members_create, v1_gym_members_retrieve  # noqa: E402
from attendance_client.api.meetings import (  # noqa: E402
    v1_monitoring_billing_families_retrieve,
    v1_monitoring_payroll_teachers_retrieve,
)
from attendance_client.api.organizations import v1_auth_token_create, v1_devices_create, v1_me_retrieve  # noqa: E402
from attendance_client.api.staff import (  # noqa: E402
    staff_staff_clock_in_create,
    staff_staff_clock_out_create,
    staff_staff_list,
    staff_timesheet_retrieve,
)
from attendance_client.models import (  # noqa: E402
    AttendanceActionEnum,
    Booked,
    BookingInputRequest,
    BookingMethodEnum,
    BookingStatusEnum,
    BulkInputRequest,
    BulkItemRequest,
    BulkOutput,
    BulkResultStatusEnum,
    ClassCheckInInputRequest,
    ClassTypeRequest,
    DeviceKeyCreated,
    DeviceKeyCreateRequest,
    DeviceKindEnum,
    Error,
    FamilyBilling,
    FitnessClassRequest,
    GymCheckInInputRequest,
    GymEntry,
    GymMemberCreateRequest,
    GymRefused,
    MemberRequest,
    OnBehalfInputRequest,
    StatisticsReport,
    TeacherPayroll,
    TokenInputRequest,
    VenueRequest,
)

RUN = uuid.uuid4().hex[:8]
NOW = datetime.now(UTC)


def ok(value, kind):
    """The typed answer, or a failure naming the Error (code, detail) the server gave instead."""
    if isinstance(value, Error):
        raise AssertionError(f"expected {kind.__name__}, got error {value.code}: {value.detail}")
    assert isinstance(value, kind), f"expected {kind.__name__}, got {type(value).__name__}: {value!r}"
    return value


def import_every_operation() -> int:
    names = [m.name for m in pkgutil.walk_packages(api_package.__path__, "attendance_client.api.")]
    operations = [importlib.import_module(name) for name in names if name.count(".") == 3]
    for module in operations:
        assert callable(module.sync_detailed), module.__name__
    return len(operations)


def log_in() -> AuthenticatedClient:
    """An integrator's first call: a token for the demo manager (admin of every demo organization)."""
    token = v1_auth_token_create.sync(
        client=Client(base_url=BASE_URL), body=TokenInputRequest(username="manager", password="demo1234")
    )
    client = AuthenticatedClient(base_url=BASE_URL, token=token.token, prefix="Token")
    me = v1_me_retrieve.sync(client=client)
    assert me.user.username == "manager" and me.device is None
    assert {"iron-gym", "grand-hotel", "flow-studio", "demo", "bright-academy"} <= {m.slug for m in me.organizations}
    return client


def device(manager, organization: str, kind: DeviceKindEnum) -> AuthenticatedClient:
    created = ok(v1_devices_create.sync(client=manager, x_organization=organization,
                                        body=DeviceKeyCreateRequest(name=f"contract {kind.value} {RUN}", kind=kind)),
                 DeviceKeyCreated)
    assert created.kind == kind and created.revoked_at is None and created.key.startswith(created.prefix)
    return AuthenticatedClient(base_url=BASE_URL, token=created.key, prefix="Device")


def door_terminal(manager):
    """A gym's desk adds a member; the door terminal lets the member in by QR, once."""
    door = device(manager, "iron-gym", DeviceKindEnum.TERMINAL)
    row = v1_gym_members_create.sync(client=manager, x_organization="iron-gym", body=GymMemberCreateRequest(
        first_name="Door", last_name=RUN, expires_at=NOW + timedelta(days=30)))
    member = v1_gym_members_retrieve.sync(client=manager, member_id=row.id, x_organization="iron-gym")
    assert member.name == f"Door {RUN}" and member.qr.startswith("GYM_QR_")
    entry = ok(v1_gym_checkin_create.sync(client=door, body=GymCheckInInputRequest(qr=member.qr),
                                          idempotency_key=f"door-{RUN}"), GymEntry)
    assert entry.result == "allowed" and entry.member.id == member.id and entry.visit.id > 0
    again = v1_gym_checkin_create.sync(client=door, body=GymCheckInInputRequest(qr=member.qr),
                                       idempotency_key=f"door-{RUN}-2")
    assert isinstance(again, (GymRefused, Error)) and again.code, again
    return f"member {member.id} allowed (visit {entry.visit.id}), second scan refused: {again.code}"


def staff_clock(manager):
    """A hotel manager clocks a colleague in and out on their behalf; the timesheet shows the time."""
    people = staff_staff_list.sync(client=manager, hotel_slug="grand-hotel")
    person = next(p for p in people if not p.is_on_duty and p.is_active)
    start, end = NOW - timedelta(minutes=30), NOW - timedelta(minutes=6)
    clocked_in = staff_staff_clock_in_create.sync(client=manager, hotel_slug="grand-hotel", staff_id=person.staff_id,
                                                  body=OnBehalfInputRequest(reason=f"contract {RUN}", at=start))
    assert not isinstance(clocked_in, Error), clocked_in
    assert clocked_in.is_on_duty is True
    clocked_out = staff_staff_clock_out_create.sync(client=manager, hotel_slug="grand-hotel", staff_id=person.staff_id,
                                                    body=OnBehalfInputRequest(reason=f"contract {RUN}", at=end))
    assert clocked_out.is_on_duty is False
    sheet = staff_timesheet_retrieve.sync(client=manager, hotel_slug="grand-hotel", staff_id=person.staff_id,
                                          start=(NOW - timedelta(days=1)).date(), end=NOW.date() + timedelta(days=1))
    entry = next(s for s in sheet.staff if s.staff_id == person.staff_id)
    assert entry.sessions >= 1 and float(entry.hours_worked) >= 0.4, entry
    assert sheet.hotel.slug == "grand-hotel"
    return f"staff {person.staff_id}: {entry.sessions} sessions, {entry.hours_worked} h in the timesheet"


def studio_desk(manager):
    """A studio sets up a class, books a customer, marks the booking attended, and reads the reports."""
    org = "flow-studio"
    venue = v1_bookings_venues_create.sync(client=manager, x_organization=org,
                                           body=VenueRequest(name=f"Room {RUN}", capacity=8))
    class_type = v1_bookings_class_types_create.sync(client=manager, x_organization=org,
                                                     body=ClassTypeRequest(name=f"Flow {RUN}", duration_minutes=45))
    starts = (NOW + timedelta(minutes=10)).replace(second=0, microsecond=0)
    fitness_class = v1_bookings_classes_create.sync(client=manager, x_organization=org, body=FitnessClassRequest(
        class_type=class_type.id, venue=venue.id, starts_at=starts))
    assert fitness_class.capacity == 8 and fitness_class.booked == 0 and fitness_class.ends_at == starts + timedelta(minutes=45)
    customer = v1_members_create.sync(client=manager, x_organization=org,
                                      body=MemberRequest(first_name="Desk", last_name=RUN))
    booked = ok(v1_bookings_bookings_create.sync(client=manager, x_organization=org, body=BookingInputRequest(
        class_id=fitness_class.id, customer_id=customer.id, method=BookingMethodEnum.DROP_IN)), Booked)
    assert booked.booking.status == BookingStatusEnum.REGISTERED and booked.booking.customer_id == customer.id
    attended = v1_bookings_check_ins_create.sync(client=manager, x_organization=org,
                                                 body=ClassCheckInInputRequest(booking_id=booked.booking.id))
    assert not isinstance(attended, Error), attended
    assert attended.status == BookingStatusEnum.ATTENDED and attended.id == booked.booking.id
    history = v1_bookings_reports_customers_history_retrieve.sync(client=manager, x_organization=org,
                                                                  customer_id=customer.id)
    assert history.summary.attended == 1 and history.bookings[0].booking_id == booked.booking.id
    statistics = ok(v1_bookings_reports_statistics_retrieve.sync(
        client=manager, x_organization=org, start=NOW.date() - timedelta(days=1), end=NOW.date() + timedelta(days=1)),
        StatisticsReport)
    assert statistics.attended >= 1 and statistics.total_bookings >= statistics.attended
    return f"booking {booked.booking.id} attended; statistics: {statistics.attended} attended of {statistics.total_bookings}"


def engine_offline_batch(manager):
    """A kiosk that was offline sends its batch; a replay is recognised; the history shows the session."""
    kiosk = device(manager, "demo", DeviceKindEnum.KIOSK)
    member = v1_members_create.sync(client=manager, x_organization="demo",
                                    body=MemberRequest(first_name="Batch", last_name=RUN))
    items = [
        BulkItemRequest(action=AttendanceActionEnum.CHECK_IN, at=NOW - timedelta(hours=3), event_id=f"{RUN}-in",
                        attendee_id=member.id),
        BulkItemRequest(action=AttendanceActionEnum.CHECK_OUT, at=NOW - timedelta(hours=2), event_id=f"{RUN}-out",
                        attendee_id=member.id),
    ]
    first = ok(v1_check_ins_bulk_create.sync(client=kiosk, body=BulkInputRequest(items=items)), BulkOutput)
    assert [r.status for r in first.results] == [BulkResultStatusEnum.RECORDED] * 2, first
    replay = ok(v1_check_ins_bulk_create.sync(client=kiosk, body=BulkInputRequest(items=items)), BulkOutput)
    assert [r.status for r in replay.results] == [BulkResultStatusEnum.DUPLICATE] * 2, replay
    assert replay.results[0].check_in_id == first.results[0].check_in_id
    history = v1_history_retrieve.sync(client=manager, x_organization="demo", attendee_type="member",
                                       attendee_id=member.id)
    session = history.sessions[0]
    assert session.duration_seconds == 3600 and session.checked_out_at - session.checked_in_at == timedelta(hours=1)
    return f"2 events recorded, replay answered duplicate, session {session.id} of {session.duration_seconds} s"


def academy_billing(manager):
    """An academy bills families and pays teachers for a month with classes."""
    org = "bright-academy"
    for back in range(0, 4):
        month = (NOW.replace(day=1) - timedelta(days=31 * back)).replace(day=1)
        billing = ok(v1_monitoring_billing_families_retrieve.sync(client=manager, x_organization=org,
                                                                  year=month.year, month=month.month), FamilyBilling)
        if billing.total_amount_cents:
            break
    assert billing.total_amount_cents > 0, "no billed month in the demo data"
    assert billing.total_amount_cents == sum(f.amount_cents for f in billing.families)
    assert all(isinstance(s.minutes, float) for f in billing.families for s in f.students)
    payroll = ok(v1_monitoring_payroll_teachers_retrieve.sync(client=manager, x_organization=org,
                                                              year=billing.year, month=billing.month), TeacherPayroll)
    assert payroll.total_amount_cents == sum(t.amount_cents for t in payroll.teachers)
    return (f"{billing.year}-{billing.month:02d}: {len(billing.families)} families, {billing.total_amount_cents} cents; "
            f"{len(payroll.teachers)} teachers, {payroll.total_amount_cents} cents")


def main() -> int:
    print(f"generated client: {import_every_operation()} operation modules import")
    manager = log_in()
    failures = 0
    for flow in (door_terminal, staff_clock, studio_desk, engine_offline_batch, academy_billing):
        try:
            print(f"  ok    {flow.__name__}: {flow(manager)}")
        except Exception as error:  # noqa: BLE001 - report every flow, then fail
            failures += 1
            print(f"  FAIL  {flow.__name__}: {type(error).__name__}: {error}")
    print(f"client flows: {5 - failures} of 5 passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
