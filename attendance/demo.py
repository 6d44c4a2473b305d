"""Demo data for the engine: a club with members and three months of visits."""

import random
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from attendance import services
from attendance.models import CheckIn, Member, MemberStatus
from organizations.dates import local_datetime, local_today
from organizations.demo import demo_cast, demo_organization

FIRST = ["Ana", "Ben", "Carla", "Diego", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kira", "Luis", "Mia",
         "Nico", "Olga", "Pau", "Quinn", "Rosa", "Sam", "Tess"]
LAST = ["Garcia", "Smith", "Rossi", "Muller", "Dubois", "Silva", "Novak", "Kim", "Haddad", "Jensen"]
LOCATIONS = ["Main entrance", "Pool", "Studio A"]


def seed(progress) -> str:
    org = demo_organization("demo", "Demo Club", "Europe/Madrid")
    demo_cast(org)
    rng = random.Random(42)
    members = []
    for i in range(60):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        member, _ = Member.objects.get_or_create(
            organization=org, email=f"{first.lower()}.{last.lower()}{i}@example.com",
            defaults={"first_name": first, "last_name": last, "phone": f"+34 600 {i:03d} {i * 7 % 1000:03d}",
                      "status": MemberStatus.SUSPENDED if i % 29 == 5 else MemberStatus.ACTIVE,
                      "rfid_tag": f"RFID{i:04d}"},
        )
        members.append(member)
    if CheckIn.objects.filter(organization=org).exists():
        return f"organization {org.slug}: {len(members)} members (history already present)"
    ct = ContentType.objects.get_for_model(Member)
    tz = org.tz
    today = local_today(tz)
    rows = []
    for member in members:
        habit = rng.choice([0.05, 0.2, 0.4, 0.6])  # chance of a visit on a given day
        for days_ago in range(90, 0, -1):
            if rng.random() > habit:
                continue
            day = today - timedelta(days=days_ago)
            start = local_datetime(day, timezone.datetime.min.time(), tz) + timedelta(hours=rng.randint(6, 20), minutes=rng.randint(0, 59))
            stay = timedelta(minutes=rng.randint(35, 120))
            rows.append(CheckIn(organization=org, attendee_type=ct, attendee_id=member.pk, checked_in_at=start,
                                checked_out_at=start + stay, duration=stay, method=rng.choice(["qr_code", "rfid", "manual", "kiosk"]),
                                source="demo", location=rng.choice(LOCATIONS)))
    with transaction.atomic():
        CheckIn.objects.bulk_create(rows, batch_size=1000)
        progress(f"{len(rows)} past visits written; rebuilding rollups")
        services.recalculate_stats(organization=org)
    # A few people in the building right now, through the engine itself.
    for member in members[:6]:
        if member.status == MemberStatus.ACTIVE:
            services.check_in(organization=org, attendee=member, method="qr_code", source="demo",
                              location=rng.choice(LOCATIONS), expected_checkout_at=timezone.now() + timedelta(hours=2))
    return f"organization {org.slug}: {len(members)} members, {len(rows)} past visits"
