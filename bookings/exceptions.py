"""Domain errors of the bookings app; each has a stable `code` (see docs/bookings.md)."""

from config.errors import Conflict, DomainError, NotFound


class BookingError(DomainError):
    code = "booking_invalid"


class BookingConflict(Conflict):
    code = "booking_conflict"


class BookingNotFound(NotFound):
    code = "booking_not_found"
