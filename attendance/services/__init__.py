"""The engine's writes, one module per subdomain:

| module         | what it writes                                                        |
|----------------|-----------------------------------------------------------------------|
| checkin        | `check_in`: open a session, or refuse it and record the refusal       |
| checkout       | `check_out`, `toggle`                                                  |
| ending         | the one close every route goes through, and clearing a current session |
| sessions       | `session_record`, `session_remove`: closed sessions known after the fact |
| offline        | `record_bulk`: a device's offline batch                               |
| expiry         | `checkout_expired`: the auto check-out job                            |
| corrections    | `correction_submit` / `_approve` / `_reject`, `force_check_out`       |
| rollups        | counting visits, `recalculate_stats`                                  |
| retention      | `retention_purge`                                                      |
| at_risk        | `at_risk_notify`                                                       |

Lock order, everywhere: the attendee row first (`attendee_get_for_update`, or the auto check-out
job's `select_for_update(skip_locked=True)` on the attendee rows of its batch), then that attendee's
check-ins. Check-ins of one attendee are therefore serialized: two simultaneous scans cannot both
pass a rule or double-count, and a job never deadlocks with a door. The row, the attendee's
counters, the monthly rollup and the plugins' side effects share one transaction; signals and
live events run after commit.
"""

from attendance.services.at_risk import at_risk_notify
from attendance.services.checkin import check_in
from attendance.services.checkout import check_out, toggle
from attendance.services.common import (
    CHECK_IN_RECORDED,
    CHECK_OUT_RECORDED,
    Attendee,
    CheckInResult,
    attendee_get_for_update,
    refusal_record,
)
from attendance.services.corrections import correction_approve, correction_reject, correction_submit, force_check_out
from attendance.services.expiry import checkout_expired
from attendance.services.offline import record_bulk
from attendance.services.retention import retention_purge
from attendance.services.rollups import recalculate_stats
from attendance.services.sessions import session_record, session_remove

__all__ = [
    "CHECK_IN_RECORDED",
    "CHECK_OUT_RECORDED",
    "Attendee",
    "CheckInResult",
    "at_risk_notify",
    "attendee_get_for_update",
    "check_in",
    "check_out",
    "checkout_expired",
    "correction_approve",
    "correction_reject",
    "correction_submit",
    "force_check_out",
    "recalculate_stats",
    "record_bulk",
    "refusal_record",
    "retention_purge",
    "session_record",
    "session_remove",
    "toggle",
]
