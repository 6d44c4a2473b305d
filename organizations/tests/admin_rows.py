"""One row of every model the admin shows, for one organization (for the admin scoping tests)."""

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from attendance.models import CheckIn, Correction, Member, MonthlyRollup, Refusal, WeeklyShift
from bookings import models as bookings
from gamification.models import Gym, GymProfile
from meetings import models as meetings
from organizations.models import AuditLog, DeviceKey, Membership, Organization, Role, User
from staff.models import Staff


def tenant_rows(org: Organization, tag: str) -> dict:
    """Create one row of each registered tenant model in `org`; every text a search could hit carries `tag`."""
    now = timezone.now().replace(microsecond=0)
    person = User.objects.create_user(username=f"person-{tag}", password="pw-123456", email=f"{tag}@example.com")
    member = Member.objects.create(organization=org, first_name=f"Member{tag}", last_name=tag, email=f"m-{tag}@example.com")
    member_type = ContentType.objects.get_for_model(Member)
    check_in = CheckIn.objects.create(organization=org, attendee_type=member_type, attendee_id=member.pk,
                                      checked_in_at=now - dt.timedelta(hours=1), location=f"door-{tag}")
    staff = Staff.objects.create(organization=org, first_name=f"Staff{tag}", department=tag)
    venue = bookings.Venue.objects.create(organization=org, name=f"Venue{tag}", capacity=10)
    class_type = bookings.ClassType.objects.create(organization=org, name=f"Yoga{tag}")
    fitness_class = bookings.FitnessClass.objects.create(organization=org, class_type=class_type, venue=venue,
                                                         starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1, hours=1))
    plan = bookings.MembershipPlan.objects.create(organization=org, name=f"Plan{tag}")
    family = meetings.Family.objects.create(organization=org, name=f"Family{tag}")
    teacher = meetings.Teacher.objects.create(organization=org, first_name=f"Teacher{tag}")
    scheduled = meetings.ScheduledClass.objects.create(organization=org, title=f"Maths{tag}", teacher=teacher, starts_at=now,
                                                       meet_meeting_code=f"abc-{tag}")
    session = meetings.ClassSession.objects.create(organization=org, scheduled_class=scheduled, last_error=tag)
    rows = {
        User: person,
        Organization: org,
        Membership: Membership.objects.create(organization=org, user=person, role=Role.RECEPTIONIST),
        DeviceKey: DeviceKey.objects.create(organization=org, name=f"Door{tag}", prefix=f"dk_{tag}"[:12], key_hash=f"hash-{tag}"),
        AuditLog: AuditLog.objects.create(organization=org, action=f"test.{tag}", reason=tag),
        Member: member,
        CheckIn: check_in,
        Refusal: Refusal.objects.create(organization=org, code=f"refused_{tag}", detail=tag, attempted_at=now),
        MonthlyRollup: MonthlyRollup.objects.create(organization=org, attendee_type=member_type, attendee_id=member.pk,
                                                    month=now.date().replace(day=1)),
        WeeklyShift: WeeklyShift.objects.create(organization=org, attendee_type=ContentType.objects.get_for_model(Staff),
                                                attendee_id=staff.pk, weekday=0, start_time=dt.time(9), end_time=dt.time(17)),
        Correction: Correction.objects.create(organization=org, attendee_type=member_type, attendee_id=member.pk,
                                              kind="missing_check_out", reason=f"forgot {tag}", check_in=check_in),
        Staff: staff,
        Gym: Gym.objects.create(organization=org),
        GymProfile: GymProfile.objects.create(organization=org, member=member),
        bookings.Studio: bookings.Studio.objects.create(organization=org),
        bookings.Venue: venue,
        bookings.Instructor: bookings.Instructor.objects.create(organization=org, name=f"Coach{tag}"),
        bookings.ClassType: class_type,
        bookings.FitnessClass: fitness_class,
        bookings.MembershipPlan: plan,
        bookings.CustomerMembership: bookings.CustomerMembership.objects.create(organization=org, customer=member, plan=plan,
                                                                                started_on=now.date()),
        bookings.ClassPackage: bookings.ClassPackage.objects.create(organization=org, customer=member, classes_total=5,
                                                                    name=f"Pack{tag}", expires_at=now + dt.timedelta(days=30)),
        bookings.Booking: bookings.Booking.objects.create(organization=org, fitness_class=fitness_class, customer=member,
                                                          method="drop_in"),
        bookings.WaitlistEntry: bookings.WaitlistEntry.objects.create(organization=org, fitness_class=fitness_class,
                                                                      customer=member, method="drop_in"),
        meetings.Family: family,
        meetings.Teacher: teacher,
        meetings.Student: meetings.Student.objects.create(organization=org, first_name=f"Student{tag}", family=family),
        meetings.ScheduledClass: scheduled,
        meetings.ClassSession: session,
        meetings.AttendanceLog: meetings.AttendanceLog.objects.create(
            organization=org, class_session=session, session_name=f"s-{tag}", conference_record=f"c-{tag}",
            participant_name=f"p-{tag}", participant_kind="anonymous", display_name=f"Guest{tag}", joined_at=now,
        ),
        meetings.ClassAttendance: meetings.ClassAttendance.objects.create(organization=org, class_session=session,
                                                                          teacher=teacher, person_key=f"t-{tag}"),
        meetings.SyncAttempt: meetings.SyncAttempt.objects.create(organization=org, class_session=session, error_code=tag),
        meetings.ParticipantLink: meetings.ParticipantLink.objects.create(organization=org, participant_kind="anonymous",
                                                                          identity=f"Guest{tag}", teacher=teacher),
        meetings.GoogleCredential: meetings.GoogleCredential.objects.create(organization=org, authorized_user_info={},
                                                                            account_email=f"{tag}@example.com"),
    }
    return rows
