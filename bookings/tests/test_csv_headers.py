"""Every report CSV starts with its header row, even when the period has no rows."""

import pytest

pytestmark = pytest.mark.django_db

REPORTS = {
    "engagement": "customer_id,name,last_attended",
    "capacity": "class_type_id,class_type,venue_id,venue,classes,places,bookings,attended,attendance_rate,utilisation,booked_utilisation",
    "late-arrivals": "class_type_id,class_type,attended,late,late_rate,average_minutes_late,max_minutes_late",
    "instructors": "instructor_id,instructor,classes_taught,attended,average_attendance,places,utilisation,no_shows,no_show_rate",
}


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_an_empty_report_csv_has_its_header(owner_client, studio, report):
    response = owner_client.get(f"/api/v1/bookings/reports/{report}/", {"format": "csv", "org": "acme"})
    assert response.status_code == 200
    assert response.content.decode().splitlines() == [REPORTS[report]]


def test_the_attendances_csv_streams_under_asgi_without_a_warning(owner, studio, recwarn):
    """uvicorn serves through Django's ASGI handler: a synchronous stream there warns and is buffered."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    client = AsyncClient()
    client.force_login(owner)

    async def download():
        response = await client.get("/api/v1/bookings/reports/attendances/", {"format": "csv", "org": "acme"})
        return response.status_code, b"".join([chunk async for chunk in response.streaming_content])

    status, body = async_to_sync(download)()
    assert status == 200
    assert body.decode().splitlines()[0].startswith("booking_id,class_id,class_type")
    assert not [w for w in recwarn if "StreamingHttpResponse must consume" in str(w.message)]
