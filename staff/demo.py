"""Demo data: the Grand Hotel (Lisbon) with 15 staff, weekly shifts, three weeks of clock history
through the engine (late arrivals, half days, forgotten clock-outs closed automatically), the
people whose shift is running now on duty, a display key for the lobby TV, and staff logins."""

import random
from datetime import time, timedelta

from django.db.models import Max
from django.utils import timezone

from attendance import registry
from attendance import services as engine
from attendance.models import CheckIn, WeeklyShift, open_sessions_of
from organizations.dates import local_datetime, local_today
from organizations.demo import DEMO_PASSWORD, demo_cast, demo_membership, demo_organization, demo_user
from organizations.models import DeviceKey, DeviceKind
from staff import services
from staff.kiosk import kiosk_credentials_set
from staff.models import Staff

SLUG = "grand-hotel"
DISPLAY_KEY = "dk_demo-grand-hotel-lobby-tv"  # a fixed demo key, so the TV URL survives re-seeding
KIOSK_KEY = "dk_demo-grand-hotel-lobby-kiosk"  # the lobby kiosk; staff1 clocks there with PIN 2468 or badge B-0001
KIOSK_PIN, KIOSK_BADGE = "2468", "B-0001"
HISTORY_DAYS = 21

# (first, last, department, position, hourly rate, (start, end), weekdays)
PEOPLE = [
    ("Sofia", "Almeida", "Front desk", "Receptionist", "11.50", ("07:00", "15:00"), (0, 1, 2, 3, 4)),
    ("Tiago", "Ferreira", "Front desk", "Receptionist", "11.50", ("15:00", "23:00"), (0, 1, 2, 3, 4)),
    ("Marta", "Costa", "Front desk", "Night auditor", "13.00", ("23:00", "07:00"), (0, 1, 2, 3, 6)),
    ("Rui", "Santos", "Front desk", "Receptionist", "11.50", ("07:00", "15:00"), (2, 3, 4, 5, 6)),
    ("Ana", "Pereira", "Housekeeping", "Room attendant", "9.80", ("08:00", "16:00"), (0, 1, 2, 3, 4)),
    ("Joao", "Oliveira", "Housekeeping", "Room attendant", "9.80", ("08:00", "16:00"), (1, 2, 3, 4, 5)),
    ("Ines", "Rodrigues", "Housekeeping", "Supervisor", "12.40", ("08:00", "16:00"), (0, 1, 2, 3, 4)),
    ("Pedro", "Martins", "Kitchen", "Chef", "15.00", ("06:00", "14:00"), (0, 1, 2, 3, 4)),
    ("Beatriz", "Sousa", "Kitchen", "Cook", "11.00", ("14:00", "22:00"), (1, 2, 3, 4, 5)),
    ("Miguel", "Fernandes", "Kitchen", "Dishwasher", "9.20", ("10:00", "18:00"), (0, 2, 3, 4, 5)),
    ("Carla", "Goncalves", "Maintenance", "Technician", "12.80", ("09:00", "17:00"), (0, 1, 2, 3, 4)),
    ("Nuno", "Ribeiro", "Security", "Guard", "10.90", ("22:00", "06:00"), (0, 1, 2, 4, 5)),
    ("Rita", "Carvalho", "Security", "Guard", "10.90", ("10:00", "18:00"), (0, 1, 3, 4, 6)),
    ("Helena", "Lopes", "Management", "Duty manager", "18.50", ("09:00", "18:00"), (0, 1, 2, 3, 4)),
    ("Diogo", "Marques", "Spa", "Therapist", "12.00", ("11:00", "19:00"), (2, 3, 4, 5, 6)),
]
STAFF_LOGINS = 2  # staff1, staff2 sign in as the first two people


def seed(progress) -> str:
    hotel = demo_organization(SLUG, "Grand Hotel", "Europe/Lisbon",
                              settings={"staff": {"auto_checkout_grace_minutes": 30},
                                        # A button press is deliberate; the disabled button stops double clicks.
                                        "duplicate_scan_seconds": 0})
    demo_cast(hotel)
    ct = registry.content_type_for(Staff)
    people = []
    for index, (first, last, dept, position, rate, (start, end), weekdays) in enumerate(PEOPLE):
        user = None
        if index < STAFF_LOGINS:
            user = demo_user(f"staff{index + 1}", first_name=first, last_name=last)
            demo_membership(hotel, user, "staff")
        staff, _ = Staff.objects.get_or_create(
            organization=hotel, first_name=first, last_name=last,
            defaults={"department": dept, "position": position, "hourly_rate": rate, "user": user},
        )
        if not WeeklyShift.objects.filter(attendee_type=ct, attendee_id=staff.pk).exists():
            services.staff_shifts_set(staff=staff, shifts=[
                {"weekday": d, "start_time": time.fromisoformat(start), "end_time": time.fromisoformat(end)}
                for d in weekdays
            ])
        people.append(staff)
    if not DeviceKey.objects.filter(key_hash=DeviceKey.hash_key(DISPLAY_KEY)).exists():
        DeviceKey.objects.create(organization=hotel, name="Lobby TV", kind=DeviceKind.DISPLAY,
                                 prefix=DISPLAY_KEY[:10], key_hash=DeviceKey.hash_key(DISPLAY_KEY))
    if not DeviceKey.objects.filter(key_hash=DeviceKey.hash_key(KIOSK_KEY)).exists():
        DeviceKey.objects.create(organization=hotel, name="Lobby kiosk", kind=DeviceKind.KIOSK,
                                 prefix=KIOSK_KEY[:10], key_hash=DeviceKey.hash_key(KIOSK_KEY))
    if not people[0].kiosk_pin:
        kiosk_credentials_set(staff=people[0], pin=KIOSK_PIN, badge=KIOSK_BADGE)
    board = f"/hotel/{SLUG}/board/?key={DISPLAY_KEY}"
    summary = (f"hotel {SLUG}: {len(people)} staff; board for a TV: {board} ; "
               f"staff logins staff1, staff2 (password {DEMO_PASSWORD}); "
               f"kiosk: /hotel/{SLUG}/kiosk/?key={KIOSK_KEY} (staff1: PIN {KIOSK_PIN}, badge {KIOSK_BADGE})")
    if CheckIn.objects.filter(organization=hotel, attendee_type=ct).exists():
        return summary + " (history already present)"
    _history(hotel, people, progress)
    on_duty = open_sessions_of(Staff).filter(organization=hotel).count()
    return summary + f"; {on_duty} on duty now"


def _history(hotel, people, progress) -> None:
    rng = random.Random(7)
    tz = hotel.tz
    today = local_today(tz)
    now = timezone.now()
    shifts = {s.pk: {w.weekday: w for w in WeeklyShift.objects.filter(attendee_type=registry.content_type_for(Staff),
                                                                      attendee_id=s.pk)} for s in people}
    for days_ago in range(HISTORY_DAYS, -1, -1):
        day = today - timedelta(days=days_ago)
        for staff in people:
            shift = shifts[staff.pk].get(day.weekday())
            if shift is None or rng.random() < 0.06:
                continue
            start = local_datetime(day, shift.start_time, tz)
            end = start + shift.scheduled
            arrive = start + timedelta(minutes=rng.choice([-8, -5, -3, 0, 2, 4, 6, 12, 18, 25]))
            if arrive >= now:
                continue
            services.staff_clock_in(staff=staff, method=rng.choice(["web", "web", "kiosk"]), at=arrive)
            roll = rng.random()
            if roll < 0.05:
                continue  # forgot to clock out: closed at shift end + grace by the auto check-out
            leave = start + shift.scheduled / 2 if roll < 0.10 else end + timedelta(minutes=rng.randint(-15, 50))
            if leave < now:
                services.staff_clock_out(staff=staff, at=leave)
        engine.checkout_expired(organization=hotel, before=min(now, local_datetime(day + timedelta(days=1), time(12), tz)))
        if days_ago % 7 == 0:
            progress(f"clock history down to {days_ago} day(s) ago")
    services.staff_auto_checkout(organization=hotel, now=now)
    # Whatever the hour of seeding, the board should show a busy hotel: a few people came in early.
    on_duty = open_sessions_of(Staff).filter(organization=hotel).values("attendee_id")
    off = list(Staff.objects.filter(organization=hotel).exclude(pk__in=on_duty).order_by("pk"))
    for staff in rng.sample(off, k=max(0, min(len(off), 6 - (len(people) - len(off))))):
        at = now - timedelta(minutes=rng.randint(5, 150))
        last_out = CheckIn.objects.filter(attendee_type__model="staff", attendee_id=staff.pk).aggregate(
            last=Max("checked_out_at"))["last"]
        if last_out is not None and at < last_out:  # one session at a time: after the day's last clock-out
            at = min(last_out + timedelta(minutes=1), now)
        services.staff_clock_in(staff=staff, method="kiosk", at=at)
