"""Channel policies: what a check-in of one channel means to the engine, and who may use it.

An app declares its channel's policy to the engine in `AppConfig.ready()`:

    policies.register(StaffPolicy(source="staff", attendee_label="staff", duplicate_scan_seconds=0,
                                  already_open_code="already_on_duty", ...))

A policy is found by the check-in's `source`, or — when it names an `attendee_label` — by the
attendee: the attendees of that type follow it on every route into the engine (the engine's generic
API, its offline batches, the channel's own API), whatever source those routes write.

The engine applies the session rules under the attendee's lock, so an app neither writes engine
rules into `Organization.settings` nor pre-checks outside the lock. Where a policy leaves a field
None, the organization's option (then the setting) applies. Further refusals belong in a plugin's
`before_check_in` (attendance.plugins).

The access hooks (`record_options`, `readable_ids`) are asked by the engine's API
(attendance.api.permissions) before it records or reads anything of an attendee; the defaults
leave every worker of the organization free to record and read, as the role check allows.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

OnOpenSession = Literal["refuse", "close_and_reopen"]


@dataclass(frozen=True)
class Caller:
    """Who asks, through an API route: a user with a role in the organization, or a device key."""

    organization: Any
    role: str | None = None  # None for a device
    user: Any = None
    device: Any = None


@dataclass(frozen=True)
class ChannelPolicy:
    source: str
    attendee_label: str | None = None  # attendees of this registered type follow this policy on every route
    duplicate_scan_seconds: int | None = None  # a second check-in within this window is `duplicate_scan`
    on_open_session: OnOpenSession | None = None  # refuse a check-in while a session is open, or close it first
    already_open_code: str = "already_checked_in"  # the refusal when a session is open and the policy refuses
    already_open_message: str = "{name} is already checked in."
    # A check-out (or toggle) pressed after the session's expected check-out closes it at that time,
    # flagged auto_closed, as the auto check-out job would: a forgotten check-out is never paid until
    # the press. An explicit `at` (a manager's correction of the time) is taken as given.
    overdue_closes_at_expected: bool = False

    def record_options(
        self, *, caller: Caller, attendee_id: int, at: datetime | None, reason: str,
        expected_checkout_at: datetime | None = None,
    ) -> dict:
        """May `caller` record a check-in or check-out of the attendee at `at` (None: now), with this
        expected check-out (None: the policy's)? Raise a DomainError (403 `permission_denied`, 400
        `reason_required`, 404) if not; else return the options the engine hands to the plugins
        (e.g. the reason an audit log keeps)."""
        return {}

    def readable_ids(self, *, caller: Caller) -> Collection[int] | None:
        """The ids of the attendees of this type whose records `caller` may read; None: all."""
        return None

    def expected_checkout(self, *, attendee, at: datetime) -> datetime | None:
        """When a session opened at `at` ends if nobody checks out (the auto check-out closes it then);
        None: the end of the attendee's shift, if any. Called with the attendee row locked."""
        return None


DEFAULT = ChannelPolicy(source="")
_by_source: dict[str, ChannelPolicy] = {}
_by_attendee: dict[str, ChannelPolicy] = {}


def register(policy: ChannelPolicy) -> ChannelPolicy:
    """Declare the policy of `policy.source` (and of its attendee type), replacing an earlier one."""
    _by_source[policy.source] = policy
    if policy.attendee_label:
        _by_attendee[policy.attendee_label] = policy
    return policy


def policy_for(source: str, *, attendee=None) -> ChannelPolicy:
    """The policy of the attendee's type if one governs it, else that of `source`, else DEFAULT."""
    if attendee is not None and _by_attendee:
        governing = governing_policy(type(attendee))
        if governing is not None:
            return governing
    return _by_source.get(source, DEFAULT)


def governing_policy(model) -> ChannelPolicy | None:
    """The policy that governs the attendees of `model` (a registered attendee model), if any."""
    from attendance import registry

    return _by_attendee.get(registry.label_for(model))


def governed() -> dict[str, ChannelPolicy]:
    """Every attendee label with the policy that governs it."""
    return dict(_by_attendee)
