"""The demo seed runs, covers every status, and a second run changes nothing."""

from bookings import demo
from bookings.models import Booking, FitnessClass, WaitlistEntry
from organizations.models import Membership, Organization


def test_seed_is_idempotent_and_covers_every_status(db):
    messages = []
    demo.seed(progress=messages.append)
    org = Organization.objects.get(slug="flow-studio")
    counts = (FitnessClass.objects.count(), Booking.objects.count(), WaitlistEntry.objects.count())
    assert {s for s in Booking.objects.values_list("status", flat=True)} == {
        "registered", "attended", "no_show", "late_cancelled", "cancelled"}
    assert set(Booking.objects.values_list("method", flat=True)) == {"membership", "drop_in", "package", "free"}
    assert Membership.objects.filter(organization=org).count() == 3
    assert "already seeded" in demo.seed(progress=messages.append)
    assert (FitnessClass.objects.count(), Booking.objects.count(), WaitlistEntry.objects.count()) == counts
