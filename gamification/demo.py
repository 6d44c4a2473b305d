"""Demo gym: "Iron Gym" (iron-gym, Europe/Madrid) with ~40 members, subscriptions, streak history,
closed days and a door terminal key."""

import random
from datetime import time, timedelta

from django.utils import timezone

from attendance import services as engine
from attendance.exceptions import Refused
from attendance.models import CheckIn, Member
from gamification import services
from gamification.models import AccessMethod, AccessType, ClosedDay, GymProfile, SubscriptionStatus
from gamification.plugins import ANTI_PASSBACK
from organizations.dates import local_datetime, local_today
from organizations.demo import demo_cast, demo_organization
from organizations.models import DeviceKey

SLUG = "iron-gym"
TERMINAL_KEY = "dk_iron_gym_demo_terminal_key_0001"  # demo only: a fixed key so every run can print it
FIRST = ["Alba", "Bruno", "Celia", "Dario", "Eva", "Fede", "Gala", "Hector", "Irene", "Javi", "Lara", "Marco",
         "Nora", "Oscar", "Paula", "Raul", "Sara", "Teo", "Vera", "Yago"]
LAST = ["Navarro", "Ortega", "Prieto", "Ruiz", "Serrano", "Torres", "Vidal", "Molina"]
HISTORY_DAYS = 45


def _terminal(org) -> DeviceKey:
    device, _ = DeviceKey.objects.get_or_create(
        key_hash=DeviceKey.hash_key(TERMINAL_KEY),
        defaults={"organization": org, "name": "Door terminal", "kind": "terminal", "prefix": TERMINAL_KEY[:10]},
    )
    return device


def seed(progress) -> str:
    org = demo_organization(SLUG, "Iron Gym", "Europe/Madrid")
    cast = demo_cast(org)
    gym = services.gym_configure(organization=org, closed_weekdays=[6])  # closed on Sundays
    tz = org.tz
    today = local_today(tz)
    for offset, reason in ((12, "Local holiday"), (26, "Maintenance"), (-9, "Bank holiday")):
        ClosedDay.objects.get_or_create(gym=gym, date=today - timedelta(days=offset), defaults={"reason": reason})
    _terminal(org)

    members, footprint_members = [], set()
    for i in range(40):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 3) % len(LAST)]
        email = f"{first.lower()}.{last.lower()}{i}@irongym.example"
        member = Member.objects.filter(organization=org, email=email).first()
        if member is None:
            member = services.gym_member_create(
                organization=org, first_name=first, last_name=last, email=email, phone=f"+34 611 {i:03d} {i * 37 % 1000:03d}",
                access_type=AccessType.STAFF if i in (0, 1) else AccessType.MEMBER,
                subscription_status=SubscriptionStatus.ACTIVE,
                expires_at=timezone.now() + timedelta(days=400),
            )
            if i % 4 == 0:
                services.footprint_register(member=member, footprint_id=f"FP-{i:04d}")
        if i % 4 == 0:
            footprint_members.add(member.pk)
        members.append(member)

    summary_key = f"door terminal key: {TERMINAL_KEY} (biometric footprints FP-0000, FP-0004, …)"
    if CheckIn.objects.filter(organization=org, source="gym").exists():
        return f"{org.name} ({SLUG}): {len(members)} members (history already present); {summary_key}"

    rng = random.Random(7)
    habits = [rng.choice([0.25, 0.5, 0.75, 0.95]) for _ in members]
    visits = refused = 0
    start = today - timedelta(days=HISTORY_DAYS)
    for offset in range(HISTORY_DAYS + 1):
        day = start + timedelta(days=offset)
        if day.weekday() in gym.closed_weekdays or ClosedDay.objects.filter(gym=gym, date=day).exists():
            continue
        for member, habit in zip(members, habits, strict=True):
            if rng.random() > habit:
                continue
            at = local_datetime(day, time(rng.randint(7, 20), rng.randint(0, 59)), tz)
            if at > timezone.now():
                continue
            if member.pk in footprint_members and at > timezone.now() - ANTI_PASSBACK[AccessMethod.BIOMETRIC]:
                continue  # the README's footprints must open the door on a newcomer's first try
            method = rng.choice([AccessMethod.QR, AccessMethod.QR, AccessMethod.MANUAL])
            try:
                services.gym_check_in(organization=org, member=member, access_method=method, at=at, actor=cast["reception"])
                visits += 1
            except Refused:
                refused += 1
        if offset % 10 == 0:
            progress(f"history up to {day}: {visits} visits")
    # The end state: a few expired or inactive subscriptions, a freeze, a courtesy pass today.
    now = timezone.now()
    for i, member in enumerate(members):
        if i in (5, 11, 17, 23):
            GymProfile.objects.filter(member=member).update(expires_at=now - timedelta(days=3 + i))
        elif i in (8, 29, 35):
            GymProfile.objects.filter(member=member).update(subscription_status=SubscriptionStatus.INACTIVE)
    services.streak_freeze_set(member=members[3], until=today + timedelta(days=7), actor=cast["manager"])
    services.courtesy_grant(organization=org, member=services.courtesy_guest_create(organization=org, name="Guest Visitor"),
                            reason="Trial session with a member", actor=cast["reception"], role="receptionist")
    services.streak_reset(organization=org)
    engine.checkout_expired(organization=org)  # what the 5-minute auto check-out job would have done
    return f"{org.name} ({SLUG}): {len(members)} members, {visits} visits over {HISTORY_DAYS} days; {summary_key}"
