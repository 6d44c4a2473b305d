"""The studio desk by HTTP: book a walk-in found by name, a clear no-match message, cancelling asks first."""

import pytest
import time_machine
from django.test import Client

from attendance.models import Member
from bookings.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(colleague, studio):
    client = Client()
    client.force_login(colleague)
    return client


@time_machine.travel("2026-03-09 10:00 +01:00", tick=False)
def test_the_desk_finds_and_books_a_walk_in(desk, org, tomorrow_class):
    walk_in = Member.objects.create(organization=org, first_name="Wanda", last_name="Walkin", email="wanda@example.com")
    url = f"/studio/{org.slug}/classes/{tomorrow_class.pk}/"

    page = desk.get(url, {"q": "wanda walk"}).content.decode()
    assert "Book Wanda Walkin" in page
    assert "No active customer found" in desk.get(url, {"q": "nobody-here"}).content.decode()

    response = desk.post(url, {"action": "book", "customer_id": walk_in.pk}, follow=True)
    assert "Wanda Walkin booked." in response.content.decode()
    booking = Booking.objects.get(customer=walk_in, fitness_class=tomorrow_class)
    assert booking.source == "staff"
    assert 'data-confirm="Cancel Wanda Walkin\'s booking?"' in response.content.decode()


@time_machine.travel("2026-03-09 10:00 +01:00", tick=False)
def test_another_organizations_customer_cannot_be_booked(desk, org, other_org, tomorrow_class):
    stranger = Member.objects.create(organization=other_org, first_name="Stan", last_name="Ger")
    url = f"/studio/{org.slug}/classes/{tomorrow_class.pk}/"
    page = desk.get(url, {"q": "Stan"}).content.decode()
    assert "Book Stan" not in page and "No active customer found" in page
    assert desk.post(url, {"action": "book", "customer_id": stranger.pk}).status_code == 404
    assert not Booking.objects.filter(customer=stranger).exists()


@time_machine.travel("2026-03-09 10:00 +01:00", tick=False)
def test_the_desk_promotes_the_first_person_waiting_by_adding_a_place(desk, org, tomorrow_class):
    from bookings import services

    people = [Member.objects.create(organization=org, first_name=name, last_name="Test") for name in ("Ann", "Ben", "Cat")]
    for person in people:  # the venue holds 2: Cat waits
        services.booking_create(organization=org, fitness_class=tomorrow_class, customer=person, method="drop_in")
    url = f"/studio/{org.slug}/classes/{tomorrow_class.pk}/"
    assert "Add a place for Cat Test" in desk.get(url).content.decode()

    response = desk.post(url, {"action": "add_place"}, follow=True)
    assert "One more place (3); it went to the first person waiting." in response.content.decode()
    assert Booking.objects.filter(fitness_class=tomorrow_class, customer=people[2], status="registered").exists()
    assert "Add a place for" not in response.content.decode()
