"""Domain signals of the engine, sent after the transaction commits.

Handlers that must run inside the check-in's transaction (a streak, a booking marked attended) are
plugins (attendance.plugins), not signal receivers.

- checked_in(check_in)             - checked_out(check_in)
- check_in_refused(refusal)        - session_auto_closed(check_in_ids, organization)
- milestone(attendee, kind, value) - at_risk(attendee, days_absent)
"""

from django.dispatch import Signal

checked_in = Signal()
checked_out = Signal()
check_in_refused = Signal()
session_auto_closed = Signal()
milestone = Signal()
at_risk = Signal()
