"""Billing and payroll against hand-computed figures, month boundaries in the academy's time zone."""

from datetime import UTC, datetime

import pytest

from meetings import services
from meetings.models import ClassSession, ScheduledClass, SessionStatus
from organizations.models import Role
from tests.fixtures import client_for, make_user


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def run_class(fake_meet, academy, teacher, students, *, title, starts_at, attendance):
    """Schedule a 60-minute class, let Meet report `attendance` [(google user id, start, end)], sync it."""
    scheduled = ScheduledClass.objects.create(
        organization=academy, title=title, teacher=teacher, starts_at=starts_at, duration_minutes=60,
        meet_space_name=f"spaces/{title}",
    )
    scheduled.students.set(students)
    record = fake_meet.add_record(space=f"spaces/{title}", start=starts_at, end=starts_at.replace(hour=(starts_at.hour + 2) % 24))
    for user, start, end in attendance:
        fake_meet.add_participant(record, user=user, display_name=user, sessions=[(start, end)])
    session = ClassSession.objects.create(organization=academy, scheduled_class=scheduled, status=SessionStatus.COMPLETED,
                                          completed_at=scheduled.ends_at)
    services.class_session_sync(class_session=session, now=utc(2026, 2, 2))
    return scheduled


@pytest.fixture
def month_edge_classes(fake_meet, meet_credentials, academy, teacher, student, student2):
    # New York is UTC-5 in winter. January (local) runs 2026-01-01T05:00Z .. 2026-02-01T05:00Z.
    # 20:00 local Jan 31 = 01:00Z Feb 1: a January class although UTC says February.
    run_class(fake_meet, academy, teacher, [student], title="evening", starts_at=utc(2026, 2, 1, 1), attendance=[
        ("users/100", utc(2026, 2, 1, 1), utc(2026, 2, 1, 2)),            # 3600 s
        ("users/201", utc(2026, 2, 1, 1), utc(2026, 2, 1, 1, 40, 30)),    # 2430 s
    ])
    # 23:30 local on the last day of January = 04:30Z Feb 1, running past local midnight: January.
    run_class(fake_meet, academy, teacher, [student, student2], title="late", starts_at=utc(2026, 2, 1, 4, 30), attendance=[
        ("users/100", utc(2026, 2, 1, 4, 25), utc(2026, 2, 1, 5, 40)),    # clipped to 04:30-05:30: 3600 s
        ("users/201", utc(2026, 2, 1, 4, 30), utc(2026, 2, 1, 5, 20)),    # 3000 s
        ("users/202", utc(2026, 2, 1, 4, 44, 59), utc(2026, 2, 1, 5, 20)),  # 2101 s
    ])
    # 01:00 local Feb 1 = 06:00Z: February.
    run_class(fake_meet, academy, teacher, [student], title="night", starts_at=utc(2026, 2, 1, 6), attendance=[
        ("users/100", utc(2026, 2, 1, 6), utc(2026, 2, 1, 7)),            # 3600 s
        ("users/201", utc(2026, 2, 1, 6), utc(2026, 2, 1, 6, 30)),        # 1800 s
    ])


@pytest.fixture
def manager_client(academy):
    return client_for(make_user("boss", academy, Role.ADMIN))


@pytest.mark.django_db
def test_family_billing_by_local_month(month_edge_classes, manager_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = manager_client.get("/api/v1/monitoring/billing/families?year=2026&month=1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["time_zone"] == "America/New_York"
    (family,) = body["families"]
    assert (family["rate_cents"], family["rate_unit"]) == (3000, "hour")
    # Sofia: 2430 + 3000 = 5430 s = 90.5 min at 30.00/h = 4525 cents.
    # Leo: 2101 s at 30.00/h = 1750.83 → 1751 cents (half up).
    assert [(s["name"], s["classes"], s["seconds"], s["minutes"], s["amount_cents"]) for s in family["students"]] == [
        ("Leo Garcia", 1, 2101, 35.02, 1751),
        ("Sofia Garcia", 2, 5430, 90.5, 4525),
    ]
    assert (family["seconds"], family["amount_cents"]) == (7531, 6276)
    assert body["total_amount_cents"] == 6276

    february = manager_client.get("/api/v1/monitoring/billing/families?year=2026&month=2").json()
    assert [(s["name"], s["seconds"], s["amount_cents"]) for s in february["families"][0]["students"]] == [
        ("Leo Garcia", 0, 0), ("Sofia Garcia", 1800, 1500),
    ]


@pytest.mark.django_db
def test_teacher_payroll_by_local_month(month_edge_classes, manager_client):
    january = manager_client.get("/api/v1/monitoring/payroll/teachers?year=2026&month=1").json()
    # 2 classes × 3600 s at 0.50/min = 120 min × 50 = 6000 cents.
    assert [(t["name"], t["classes"], t["seconds"], t["minutes"], t["amount_cents"]) for t in january["teachers"]] == [
        ("Tara Teach", 2, 7200, 120.0, 6000),
    ]
    february = manager_client.get("/api/v1/monitoring/payroll/teachers?year=2026&month=2").json()
    assert [(t["seconds"], t["amount_cents"]) for t in february["teachers"]] == [(3600, 3000)]


@pytest.mark.django_db
def test_reports_as_csv(month_edge_classes, manager_client):
    response = manager_client.get("/api/v1/monitoring/billing/families?year=2026&month=1&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="billing-families-2026-01.csv"' in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0] == "year,month,family_id,family,student_id,student,classes,seconds,minutes,rate_cents,rate_unit,amount_cents"
    assert lines[1].endswith("Leo Garcia,1,2101,35.02,3000,hour,1751")
    assert lines[2].endswith("Sofia Garcia,2,5430,90.50,3000,hour,4525")

    response = manager_client.get("/api/v1/monitoring/payroll/teachers?year=2026&month=1", HTTP_ACCEPT="text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "year,month,teacher_id,teacher,email,classes,seconds,minutes,rate_cents,rate_unit,amount_cents"
    assert lines[1].endswith("Tara Teach,tara@example.com,2,7200,120.00,50,minute,6000")


@pytest.mark.django_db
def test_dst_month_boundary(fake_meet, meet_credentials, academy, teacher, student, manager_client):
    # New York moved to UTC-4 on 2026-03-08; 23:30 local on March 31 = 03:30Z April 1: a March class.
    run_class(fake_meet, academy, teacher, [student], title="dst", starts_at=utc(2026, 4, 1, 3, 30), attendance=[
        ("users/201", utc(2026, 4, 1, 3, 30), utc(2026, 4, 1, 4, 30)),
    ])
    march = manager_client.get("/api/v1/monitoring/billing/families?year=2026&month=3").json()
    april = manager_client.get("/api/v1/monitoring/billing/families?year=2026&month=4").json()
    assert march["families"][0]["students"][0]["seconds"] == 3600
    assert april["families"][0]["students"][0]["seconds"] == 0


@pytest.mark.django_db
def test_reports_need_a_manager(academy, family, teacher):
    desk = client_for(make_user("desk", academy, Role.RECEPTIONIST))
    for path in ("billing/families", "payroll/teachers"):
        response = desk.get(f"/api/v1/monitoring/{path}?year=2026&month=1&org=bright-test")
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    manager = client_for(make_user("boss", academy, Role.ADMIN))
    response = manager.get("/api/v1/monitoring/billing/families?year=2026&month=13")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    response = manager.get("/api/v1/monitoring/billing/families?year=2026")
    assert (response.status_code, response.json()["code"]) == (400, "month_incomplete")
