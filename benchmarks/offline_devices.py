"""Benchmark: what an offline desk or door costs — the door manifest for 5,000 members, and pushing
a queue of 500 scans — on PostgreSQL.

Data: one gym (Europe/Madrid) with 5,000 members (active subscriptions), inserted with one
INSERT ... SELECT, each with a gym profile.

Measured, in-process through the HTTP interface (rest_framework's APIClient: routing,
authentication, serializers and the database, without a socket), with a terminal's device key:
- the full manifest: first download (records every member in the delta log), a second one (log
  already current), its size in bytes raw and gzip-compressed;
- a delta after 50 members' subscriptions changed: time and size;
- a queue of 500 scans of 500 members pushed as one `POST /api/v1/check-ins/bulk/`, side by side
  with the reference: the same 500 entries as 500 single `POST /api/v1/check-ins/` calls.
Targets: full manifest < 1 MB gzip-compressed and < 2 s; the 500-scan push recorded whole in < 30 s
(a door back online clears its queue within half a minute). The push costs about what the single
check-ins cost: each event also claims and stores its event id (organizations.idempotency).

    .venv/bin/python benchmarks/offline_devices.py [--quick]

--quick (or BENCH_QUICK=1) uses 1,000 members and a queue of 100.
"""

import gzip
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/att_offline_bench")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
import common  # noqa: E402

SLUG = "bench-offline"
MEMBERS = 1000 if common.QUICK else 5000
QUEUE = 100 if common.QUICK else 500
MANIFEST_GZIP_TARGET = 1_000_000
MANIFEST_SECONDS_TARGET = 2.0
PUSH_SECONDS_TARGET = 30.0


def build():
    from django.utils import timezone

    from gamification.models import DoorManifestEntry, Gym, GymProfile
    from organizations.models import DeviceKey, IdempotencyKey, Organization

    old = Organization.objects.filter(slug=SLUG).first()
    if old is not None:
        DoorManifestEntry.objects.filter(organization=old).delete()
        GymProfile.objects.filter(organization=old).delete()
        Gym.objects.filter(organization=old).delete()
        IdempotencyKey.objects.filter(organization=old).delete()
        DeviceKey.objects.filter(organization=old).delete()
    organization = common.fresh_organization(SLUG)
    from gamification import services
    from organizations.services import device_key_create

    services.gym_configure(organization=organization)
    lo, hi = common.insert_members(organization, MEMBERS)
    expires = timezone.now() + timedelta(days=365)
    GymProfile.objects.bulk_create(
        [GymProfile(member_id=i, organization=organization, subscription_status="active", expires_at=expires)
         for i in range(lo, hi + 1)],
        batch_size=2000,
    )
    common.analyze()
    _, raw = device_key_create(organization=organization, name="bench door", kind="terminal")
    return organization, list(range(lo, hi + 1)), raw


def timed(call):
    t0 = time.perf_counter()
    response = call()
    return response, time.perf_counter() - t0


def main() -> int:
    common.header(f"Offline devices: door manifest for {MEMBERS:,} members, a queue of {QUEUE} scans")
    common.setup_django()
    from django.utils import timezone
    from rest_framework.test import APIClient

    from gamification import services

    with common.stopwatch("data"):
        organization, ids, raw = build()
    door = APIClient()
    door.credentials(HTTP_AUTHORIZATION=f"Device {raw}")

    first, first_s = timed(lambda: door.get("/api/v1/gym/door-manifest"))
    second, second_s = timed(lambda: door.get("/api/v1/gym/door-manifest"))
    assert first.status_code == second.status_code == 200, first.content[:300]
    body = second.content
    packed = len(gzip.compress(body))
    cursor = second.json()["cursor"]
    print(f"  full manifest: {len(second.json()['members']):,} members, {len(body):,} bytes, {packed:,} bytes gzip "
          f"({len(body) / MEMBERS:.0f} B per member)")
    print(f"  full manifest download: first {first_s * 1000:.0f} ms (delta log written), again {second_s * 1000:.0f} ms")

    from attendance.models import Member

    for member in Member.objects.filter(pk__in=ids[:50]):
        services.subscription_set(member=member, status="paused", expires_at=None)
    delta, delta_s = timed(lambda: door.get("/api/v1/gym/door-manifest", {"since": cursor}))
    print(f"  delta after 50 changes: {len(delta.json()['members'])} members, {len(delta.content):,} bytes, "
          f"{delta_s * 1000:.0f} ms")

    now = timezone.now().replace(microsecond=0)
    queue_ids, single_ids = ids[100:100 + QUEUE], ids[100 + QUEUE:100 + 2 * QUEUE]
    items = [
        {"action": "check_in", "attendee_id": member_id, "event_id": f"bench-{member_id}", "method": "qr_code",
         "at": (now - timedelta(minutes=30) + timedelta(seconds=n)).isoformat()}
        for n, member_id in enumerate(queue_ids)
    ]
    push, push_s = timed(lambda: door.post("/api/v1/check-ins/bulk/", {"items": items}, format="json"))
    summary = push.json()["summary"]
    t0 = time.perf_counter()
    statuses = {}
    for n, member_id in enumerate(single_ids):
        answer = door.post("/api/v1/check-ins/", {
            "attendee_id": member_id, "method": "qr_code",
            "at": (now - timedelta(minutes=30) + timedelta(seconds=n)).isoformat()}, format="json")
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
    single_s = time.perf_counter() - t0
    print(f"  push of {QUEUE} queued scans (one batch): {push_s:.2f} s ({push_s / QUEUE * 1000:.1f} ms per scan) {summary}")
    print(f"  reference, {QUEUE} single check-ins:       {single_s:.2f} s ({single_s / QUEUE * 1000:.1f} ms per scan) "
          f"{json.dumps(statuses)}")

    common.target("manifest size", packed < MANIFEST_GZIP_TARGET, f"{packed:,} B gzip for {MEMBERS:,} members")
    common.target("manifest download", second_s < MANIFEST_SECONDS_TARGET, f"{second_s * 1000:.0f} ms")
    common.target("queue push", summary == {"recorded": QUEUE} and push_s < PUSH_SECONDS_TARGET,
                  f"{push_s:.2f} s for {QUEUE} (500 single check-ins: {single_s:.2f} s)")
    return common.exit_code()


if __name__ == "__main__":
    sys.exit(main())
