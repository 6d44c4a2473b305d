"""The door manifest: what a desk or door needs to decide entries while the network is down.

Per member: an identifier hash of the QR code and of the biometric footprint (never the raw ids),
the name, the subscription state and expiry, the last entry; and the gym's rules (anti-passback
windows, closed days, visit length). Identifiers are HMAC-SHA256 under a key of the organization's
own (derived from SECRET_KEY), truncated to `HASH_HEX` hex digits: the device hashes what it scans
with the same key and looks the result up, so a manifest copied off one gym's device names no card
or footprint of any other gym, and holds nothing a card could be printed from.

Delta refresh: every change of a member's entry (or its removal) gets the organization's next
manifest version; `since=<cursor>` answers only entries changed after that version and the ids
removed since. The cursor is that integer version: stable, and the same for every device.
"""

import hashlib
import hmac
import json
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.errors import DomainError
from gamification.models import QR_PREFIX, AccessMethod, ClosedDay, DoorManifestEntry, Gym, GymProfile
from gamification.plugins import ANTI_PASSBACK, DEFAULT_ANTI_PASSBACK
from gamification.services import DEFAULT_VISIT_HOURS
from organizations.dates import local_today
from organizations.models import Organization

HASH_HEX = 32  # 128 bits of HMAC-SHA256: collisions are out of reach for any gym's member count
CLOSED_DAYS_AHEAD = 90


class InvalidCursor(DomainError):
    code = "invalid_cursor"


def door_key(organization: Organization) -> str:
    """The organization's identifier key (hex): the same on every call, different for every organization."""
    return hmac.new(settings.SECRET_KEY.encode(), f"gym-door-manifest:{organization.pk}".encode(), hashlib.sha256).hexdigest()


def identifier(key: str, value: str) -> str:
    """The manifest's identifier of a scanned value (`GYM_QR_<token>`, or a footprint hash)."""
    return hmac.new(bytes.fromhex(key), value.encode(), hashlib.sha256).hexdigest()[:HASH_HEX]


def _member_entries(organization: Organization, key: str) -> dict[int, dict]:
    profiles = GymProfile.objects.filter(organization=organization).select_related("member").order_by("member_id")
    entries = {}
    for profile in profiles:
        member = profile.member
        entries[member.pk] = {
            "id": member.pk,
            "name": member.full_name,
            "qr": identifier(key, f"{QR_PREFIX}{member.qr_token}"),
            "footprint": identifier(key, profile.footprint_hash) if profile.footprint_hash else None,
            "active": bool(member.attendance_enabled and member.attendance_is_active()),
            "access_type": profile.access_type,
            "subscription_status": profile.subscription_status,
            "expires_at": profile.expires_at.isoformat() if profile.expires_at else None,
            "last_entry_at": profile.last_visit_at.isoformat() if profile.last_visit_at else None,
        }
    return entries


def _digest(entry: dict) -> str:
    return hashlib.sha256(json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def door_rules(*, organization: Organization, gym: Gym) -> dict:
    """The rules a device applies offline, as the server applies them (gamification.plugins)."""
    today = local_today(organization.tz)
    closed = ClosedDay.objects.filter(
        gym=gym, date__gte=today - timedelta(days=1), date__lte=today + timedelta(days=CLOSED_DAYS_AHEAD)
    ).values_list("date", flat=True)
    return {
        "time_zone": organization.time_zone,
        "anti_passback_seconds": {
            method: int(ANTI_PASSBACK.get(method, DEFAULT_ANTI_PASSBACK).total_seconds())
            for method in (AccessMethod.QR, AccessMethod.MANUAL, AccessMethod.BIOMETRIC)
        },
        "visit_hours": organization.option("gym_visit_hours", DEFAULT_VISIT_HOURS),
        "closed_weekdays": sorted(gym.closed_weekdays or []),
        "closed_dates": [day.isoformat() for day in closed],
        "courtesy_needs_reason": True,
        "qr_prefix": QR_PREFIX,
        "identifier": {"algorithm": "HMAC-SHA256", "key": door_key(organization), "hex_digits": HASH_HEX},
    }


def door_manifest(*, organization: Organization, gym: Gym, since: int | None = None) -> dict:
    """The manifest of `organization` (all members), or with `since` only what changed after that
    cursor. Records the changes it finds as the next version first; raises InvalidCursor for a
    cursor this organization never gave out."""
    key = door_key(organization)
    with transaction.atomic():
        Gym.objects.select_for_update().filter(pk=gym.pk).first()  # one version step at a time per gym
        current = _member_entries(organization, key)
        stored = {row.member_id: row for row in DoorManifestEntry.objects.filter(organization=organization)}
        version = max((row.version for row in stored.values()), default=0)
        digests = {member_id: _digest(entry) for member_id, entry in current.items()}
        changed = [m for m, d in digests.items() if m not in stored or stored[m].removed or stored[m].digest != d]
        gone = [m for m, row in stored.items() if m not in current and not row.removed]
        if changed or gone:
            version += 1
            new = []
            for member_id in changed:
                row = stored.get(member_id)
                if row is None:
                    row = DoorManifestEntry(organization=organization, member_id=member_id)
                    new.append(row)
                row.digest, row.version, row.removed = digests[member_id], version, False
            for member_id in gone:
                stored[member_id].version, stored[member_id].removed = version, True
            DoorManifestEntry.objects.bulk_create(new, batch_size=1000)
            updated = [stored[m] for m in [*changed, *gone] if m in stored]
            DoorManifestEntry.objects.bulk_update(updated, ["digest", "version", "removed"], batch_size=1000)
            for row in new:
                stored[row.member_id] = row
    if since is not None and since > version:
        raise InvalidCursor(f"Cursor {since} was never given out here (the latest is {version}); download the whole manifest.")
    if since is None:
        members, removed = list(current.values()), []
    else:
        members = [entry for member_id, entry in current.items() if stored[member_id].version > since]
        removed = sorted(m for m, row in stored.items() if row.removed and row.version > since)
    return {
        "cursor": version,
        "full": since is None,
        "generated_at": timezone.now().isoformat(),
        "rules": door_rules(organization=organization, gym=gym),
        "members": members,
        "removed": removed,
    }
