from config.errors import DomainError


class Refused(DomainError):
    """A check-in or check-out turned away by a rule. Recorded as a Refusal when it is a check-in."""

    status_code = 409
    code = "refused"


class AttendeeNotFound(DomainError):
    status_code = 404
    code = "attendee_not_found"


class CheckInNotFound(DomainError):
    status_code = 404
    code = "check_in_not_found"
