"""Domain signals of the bookings app, sent after the transaction commits.

- waitlist_promoted(booking)  a waiting customer got the freed place
- booking_attended(booking)   a class check-in marked the booking attended
- no_shows_marked(organization, booking_ids)
"""

from django.dispatch import Signal

waitlist_promoted = Signal()
booking_attended = Signal()
no_shows_marked = Signal()

# Broadcast event names on the organization's channel (`org-<slug>`).
WAITLIST_PROMOTED = "booking.waitlist_promoted"
BOOKING_ATTENDED = "booking.attended"
