"""Channel policies: what a check-in arriving through one channel (its `source`) means to the engine.

An app declares its channel's policy to the engine in `AppConfig.ready()`:

    policies.register(ChannelPolicy(source="staff", duplicate_scan_seconds=0, already_open_code="already_on_duty",
                                    already_open_message="{name} is already on duty."))

A policy may also govern other channels in the organizations it names (`covers`): a gym's rules
apply to check-ins through the engine's generic API and device batches in a gym, so a kiosk
cannot get around them.

The engine applies it under the attendee's lock, so an app neither writes engine rules into
`Organization.settings` nor pre-checks outside the lock. Where a policy leaves a field None, the
organization's option (then the setting) applies. Further refusals belong in a plugin's
`before_check_in` (attendance.plugins).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from organizations.models import Organization

OnOpenSession = Literal["refuse", "close_and_reopen"]


@dataclass(frozen=True)
class ChannelPolicy:
    source: str
    duplicate_scan_seconds: int | None = None  # a second check-in within this window is `duplicate_scan`
    on_open_session: OnOpenSession | None = None  # refuse a check-in while a session is open, or close it first
    already_open_code: str = "already_checked_in"  # the refusal when a session is open and the policy refuses
    already_open_message: str = "{name} is already checked in."
    # covers(source, organization): True where this policy also governs another channel's check-ins.
    covers: Callable[[str, Organization], bool] | None = None


DEFAULT = ChannelPolicy(source="")
_by_source: dict[str, ChannelPolicy] = {}


def register(policy: ChannelPolicy) -> ChannelPolicy:
    """Declare the policy of `policy.source` (replacing an earlier one for that source)."""
    _by_source[policy.source] = policy
    return policy


def policy_for(source: str, organization: Organization | None = None) -> ChannelPolicy:
    """The policy of `source`; else the first policy that covers `source` in `organization`; else DEFAULT."""
    policy = _by_source.get(source)
    if policy is not None:
        return policy
    if organization is not None:
        for candidate in _by_source.values():
            if candidate.covers is not None and candidate.covers(source, organization):
                return candidate
    return DEFAULT
