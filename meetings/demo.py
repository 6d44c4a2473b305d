"""Demo data for online classes: Bright Academy (New York) with teachers, families, students and classes.

Past classes carry attendance logs as if they had been synced from Google Meet (written through the
same service as a real fetch), so billing, payroll and the admin's "others" list have data without
any Google account. No credentials are stored: the status page says so.
"""

import random
from datetime import time, timedelta

from django.utils import timezone

from meetings import services
from meetings.models import (
    ClassSession,
    Family,
    ParticipantKind,
    RateUnit,
    ScheduledClass,
    SessionStatus,
    Student,
    SyncAttempt,
    Teacher,
)
from organizations.dates import local_datetime, local_today
from organizations.demo import demo_cast, demo_membership, demo_organization, demo_user

TEACHERS = [("Tara", "Nguyen", 2800, RateUnit.HOUR), ("Omar", "Haddad", 45, RateUnit.MINUTE),
            ("Lucia", "Moretti", 3000, RateUnit.HOUR)]
FAMILIES = [("Garcia", ["Sofia", "Leo"], 3500, RateUnit.HOUR), ("Smith", ["Ava"], 60, RateUnit.MINUTE),
            ("Okafor", ["Chidi", "Ada", "Nnamdi"], 3200, RateUnit.HOUR), ("Kowalski", ["Marta"], 4000, RateUnit.HOUR),
            ("Tanaka", ["Yui", "Ren"], 55, RateUnit.MINUTE)]
SUBJECTS = ["Algebra", "Reading club", "Physics", "Spanish", "Chess"]


def seed(progress) -> str:
    org = demo_organization("bright-academy", "Bright Academy", "America/New_York")
    demo_cast(org)
    tara_login = demo_user("teacher", first_name="Tara", last_name="Nguyen")
    demo_membership(org, tara_login, "staff")
    if ScheduledClass.objects.filter(organization=org).exists():
        return f"organization {org.slug}: classes already present"

    teachers = []
    for i, (first, last, rate, unit) in enumerate(TEACHERS):
        teachers.append(Teacher.objects.create(
            organization=org, first_name=first, last_name=last, email=f"{first.lower()}@bright-academy.example",
            google_user_id=f"users/10{i}", pay_rate_cents=rate, pay_rate_unit=unit, user=tara_login if i == 0 else None,
        ))
    students = []
    for f_index, (family_name, kids, rate, unit) in enumerate(FAMILIES):
        family = Family.objects.create(organization=org, name=f"{family_name} family", rate_cents=rate, rate_unit=unit,
                                       billing_email=f"{family_name.lower()}@family.example")
        for k_index, kid in enumerate(kids):
            students.append(Student.objects.create(
                organization=org, family=family, first_name=kid, last_name=family_name,
                email=f"{kid.lower()}.{family_name.lower()}@student.example",
                # One student has no Google id yet: she shows up as an "other" to link in the admin.
                google_user_id="" if (f_index, k_index) == (3, 0) else f"users/2{f_index}{k_index}",
            ))

    rng = random.Random(6)
    tz = org.tz
    today = local_today(tz)
    now = timezone.now()
    classes = []
    for offset in range(-21, 15):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for slot, (hour, minute) in enumerate([(16, 0), (17, 30)]):
            teacher = teachers[(offset + slot) % len(teachers)]
            subject = SUBJECTS[(offset + slot) % len(SUBJECTS)]
            code = f"{subject[:3].lower()}-{abs(offset):02d}{slot}-bri"
            scheduled = ScheduledClass.objects.create(
                organization=org, title=subject, teacher=teacher, starts_at=local_datetime(day, time(hour, minute), tz),
                duration_minutes=60, meet_space_name=f"spaces/demo-{code}", meet_meeting_code=code,
                meet_link=f"https://meet.google.com/{code}",
            )
            scheduled.students.set(rng.sample(students, 3))
            classes.append(scheduled)
    # A late class on the last evening of last month (23:30 local), to show month boundaries in billing.
    last_of_previous = today.replace(day=1) - timedelta(days=1)
    late = ScheduledClass.objects.create(
        organization=org, title="Late study hall", teacher=teachers[2],
        starts_at=local_datetime(last_of_previous, time(23, 30), tz), duration_minutes=60,
        meet_space_name="spaces/demo-late-hall", meet_meeting_code="lat-hall-bri",
    )
    late.students.set(students[:2])
    classes.append(late)
    progress(f"{len(classes)} classes scheduled; writing attendance of past classes")

    past = 0
    for scheduled in classes:
        if scheduled.ends_at > now:
            continue
        session = ClassSession.objects.create(organization=org, scheduled_class=scheduled, status=SessionStatus.COMPLETED,
                                              started_at=scheduled.starts_at, completed_at=scheduled.ends_at)
        attempt = SyncAttempt.objects.create(organization=org, class_session=session, trigger="demo", started_at=scheduled.ends_at)
        fetched = _as_if_fetched(rng, scheduled)
        services.class_session_apply_fetch(class_session=session, attempt=attempt, records=1, fetched=fetched, now=scheduled.ends_at)
        past += 1
    return f"organization {org.slug}: {len(teachers)} teachers, {len(students)} students, {len(classes)} classes ({past} past, synced as demo)"


def _as_if_fetched(rng: random.Random, scheduled: ScheduledClass) -> list[services.FetchedSession]:
    """Participant sessions like Meet reports them: late joins, drop-outs and rejoins, a guest now and then."""
    start = scheduled.starts_at
    record = f"conferenceRecords/demo-{scheduled.pk}"
    items = []

    def add(n, kind, user_id, name, begin, end):
        participant = f"{record}/participants/{kind}-{n}"
        items.append(services.FetchedSession(
            name=f"{participant}/participantSessions/{len(items)}", record=record, participant=participant, kind=kind,
            google_user_id=user_id, display_name=name, start=begin, end=end,
        ))

    teacher = scheduled.teacher
    add(0, ParticipantKind.SIGNED_IN, teacher.google_user_id, teacher.full_name,
        start - timedelta(minutes=rng.randint(0, 5)), start + timedelta(minutes=60 + rng.randint(0, 4)))
    for n, student in enumerate(scheduled.students.all(), start=1):
        if rng.random() < 0.1:
            continue  # absent
        join = start + timedelta(minutes=rng.randint(0, 8), seconds=rng.randint(0, 59))
        leave = start + timedelta(minutes=rng.randint(45, 62), seconds=rng.randint(0, 59))
        kind, user_id = ParticipantKind.SIGNED_IN, student.google_user_id
        if not user_id:  # no Google id on file: Meet shows the account only by name
            user_id = f"users/unknown-{student.pk}"
        if rng.random() < 0.2:  # dropped out and came back
            drop = join + timedelta(minutes=rng.randint(10, 25))
            add(n, kind, user_id, student.full_name, join, drop)
            add(n, kind, user_id, student.full_name, drop + timedelta(minutes=rng.randint(1, 4)), leave)
        else:
            add(n, kind, user_id, student.full_name, join, leave)
    if rng.random() < 0.25:
        add(90, ParticipantKind.ANONYMOUS, "", "Grandpa Joe", start + timedelta(minutes=5), start + timedelta(minutes=15))
    if rng.random() < 0.15:
        add(91, ParticipantKind.PHONE, "", "+1 212-***-**45", start + timedelta(minutes=2), start + timedelta(minutes=30))
    return items
