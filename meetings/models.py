"""Online classes on Google Meet: people, classes, their sessions, what Meet reported, and billing rates.

Money is integer cents. A rate is per minute or per hour of attended time (see docs/meetings.md).
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from attendance.models import AttendeeMixin
from organizations.models import Organization


class RateUnit(models.TextChoices):
    MINUTE = "minute", "per minute"
    HOUR = "hour", "per hour"


RATE_UNIT_SECONDS = {RateUnit.MINUTE: 60, RateUnit.HOUR: 3600}


class Family(models.Model):
    """A billing account: the students of one family are billed together at the family's rate."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="meet_families")
    name = models.CharField(max_length=200)
    billing_email = models.EmailField(blank=True)
    rate_cents = models.PositiveIntegerField(default=0, help_text="Integer cents per rate unit of attended time.")
    rate_unit = models.CharField(max_length=8, choices=RateUnit.choices, default=RateUnit.HOUR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "families"
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="meet_family_unique_name")]

    def __str__(self) -> str:
        return self.name


class Person(AttendeeMixin):
    """Fields shared by teachers and students: a name, an email and a Google identity."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    google_user_id = models.CharField(
        max_length=128, blank=True,
        help_text='The Meet participant\'s signedinUser.user, e.g. "users/1234567890".',
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["last_name", "first_name", "id"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def attendance_name(self) -> str:
        return self.full_name


class Teacher(Person):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="meet_teacher_profiles",
        help_text="The login of this teacher; lets them see the attendance logs of their own classes.",
    )
    pay_rate_cents = models.PositiveIntegerField(default=0, help_text="Integer cents per rate unit of attended time.")
    pay_rate_unit = models.CharField(max_length=8, choices=RateUnit.choices, default=RateUnit.HOUR)

    class Meta(Person.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "google_user_id"], condition=~Q(google_user_id=""), name="meet_teacher_google_id"
            ),
        ]


class Student(Person):
    # RESTRICT: a family with students cannot be deleted alone, but deleting the organization cascades.
    family = models.ForeignKey(Family, on_delete=models.RESTRICT, related_name="students")

    class Meta(Person.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "google_user_id"], condition=~Q(google_user_id=""), name="meet_student_google_id"
            ),
        ]


class ScheduledClass(models.Model):
    """One class on the timetable: who teaches, who attends, when, and in which Meet space."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="meet_classes")
    title = models.CharField(max_length=200)
    teacher = models.ForeignKey(Teacher, on_delete=models.RESTRICT, related_name="classes")
    students = models.ManyToManyField(Student, blank=True, related_name="classes")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(default=60)
    meet_space_name = models.CharField(max_length=120, blank=True, help_text='e.g. "spaces/jQCFfuBOdN5z"')
    meet_meeting_code = models.CharField(max_length=40, blank=True, help_text='e.g. "abc-mnop-xyz"')
    meet_link = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "scheduled classes"
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["organization", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(meet_space_name="") | ~Q(meet_meeting_code=""), name="meet_class_has_space_or_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d %H:%M} UTC)"

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"


class DataState(models.TextChoices):
    NONE = "none", "Not fetched yet"
    PARTIAL = "partial", "Partial (a call was still open)"
    FINAL = "final", "Final"
    FAILED = "failed", "Last fetch failed"


class ClassSession(models.Model):
    """A class that has started: created by the jobs when its start comes, completed when it ends."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="meet_sessions")
    scheduled_class = models.OneToOneField(ScheduledClass, on_delete=models.CASCADE, related_name="session")
    status = models.CharField(max_length=12, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    data_state = models.CharField(max_length=10, choices=DataState.choices, default=DataState.NONE)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    final_data_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["status", "completed_at"]),
        ]

    def __str__(self) -> str:
        return f"session of {self.scheduled_class}"


class ParticipantKind(models.TextChoices):
    SIGNED_IN = "signed_in", "Signed-in user"
    ANONYMOUS = "anonymous", "Anonymous user"
    PHONE = "phone", "Phone user"


class AttendanceLog(models.Model):
    """One Meet participant session (one device's stay) as Meet reported it, matched to a person or not.

    Keyed by the participant session's resource name within the class session, so a re-fetch
    updates the row instead of adding one.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="meet_logs")
    class_session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="logs")
    session_name = models.CharField(max_length=255, help_text="conferenceRecords/…/participants/…/participantSessions/…")
    conference_record = models.CharField(max_length=120)
    participant_name = models.CharField(max_length=200)
    participant_kind = models.CharField(max_length=12, choices=ParticipantKind.choices)
    google_user_id = models.CharField(max_length=128, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    teacher = models.ForeignKey(Teacher, null=True, blank=True, on_delete=models.SET_NULL, related_name="meet_logs")
    student = models.ForeignKey(Student, null=True, blank=True, on_delete=models.SET_NULL, related_name="meet_logs")
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True, help_text="Empty while the participant is still in the call.")
    duration_seconds = models.PositiveIntegerField(default=0, help_text="Up to the last fetch while still in the call.")
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["class_session", "session_name"], name="meet_log_unique_session_name"),
            models.CheckConstraint(condition=Q(teacher__isnull=True) | Q(student__isnull=True), name="meet_log_one_person"),
        ]
        indexes = [
            models.Index(fields=["organization", "joined_at"]),
            models.Index(fields=["session_name"]),
        ]

    def __str__(self) -> str:
        return f"{self.participant_label} {self.joined_at:%H:%M:%S}"

    @property
    def person(self):
        return self.teacher or self.student

    @property
    def participant_label(self) -> str:
        return self.display_name or self.google_user_id or self.participant_name

    @property
    def identity(self) -> str:
        """The key a ParticipantLink remembers: the Google user id, or the display name of a guest."""
        return self.google_user_id if self.participant_kind == ParticipantKind.SIGNED_IN else self.display_name


class ClassAttendance(models.Model):
    """Per class session and person: the union of their log intervals inside the counted window.

    Derived from AttendanceLog on every sync; billing and payroll sum it. `check_in_id` is the
    engine session recorded for it.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    class_session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="attendances")
    teacher = models.ForeignKey(Teacher, null=True, blank=True, on_delete=models.CASCADE, related_name="attendances")
    student = models.ForeignKey(Student, null=True, blank=True, on_delete=models.CASCADE, related_name="attendances")
    person_key = models.CharField(max_length=32, editable=False, help_text='"teacher-<id>" or "student-<id>"')
    seconds = models.PositiveIntegerField(default=0)
    first_joined_at = models.DateTimeField(null=True, blank=True)
    last_left_at = models.DateTimeField(null=True, blank=True)
    device_sessions = models.PositiveIntegerField(default=0)
    ongoing = models.BooleanField(default=False)
    check_in_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(teacher__isnull=False) & Q(student__isnull=True)) | (Q(teacher__isnull=True) & Q(student__isnull=False)),
                name="meet_attendance_exactly_one_person",
            ),
            # One plain unique key (not two partial ones) so a sync can upsert with ON CONFLICT.
            models.UniqueConstraint(fields=["class_session", "person_key"], name="meet_att_one_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher or self.student}: {self.seconds}s"


class SyncOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCESS = "success", "Success"
    TRANSIENT = "transient_error", "Temporary error (will retry)"
    ERROR = "error", "Error"
    NO_ACCESS = "no_access", "Google Meet API not available"


class SyncAttempt(models.Model):
    """One fetch of a class session's participants from the Meet API, and how it ended."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    class_session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="sync_attempts")
    trigger = models.CharField(max_length=20, default="job", help_text="job, final, retry, manual")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=SyncOutcome.choices, default=SyncOutcome.RUNNING)
    error_code = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    records = models.PositiveIntegerField(default=0)
    logs_created = models.PositiveIntegerField(default=0)
    logs_updated = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["organization", "outcome", "-started_at"])]

    def __str__(self) -> str:
        return f"sync {self.outcome} {self.started_at:%Y-%m-%d %H:%M:%S}"


class ParticipantLink(models.Model):
    """A remembered match: this Meet identity (Google user id, or a guest's display name) is this person.

    With `class_session` it holds in that class only (the default for guests and phones: Meet masks
    phone numbers and display names collide); without, in every class of the organization.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="meet_participant_links")
    class_session = models.ForeignKey(
        "ClassSession", null=True, blank=True, on_delete=models.CASCADE, related_name="participant_links",
        help_text="The class this link holds in; empty: every class of the organization.",
    )
    participant_kind = models.CharField(max_length=12, choices=ParticipantKind.choices)
    identity = models.CharField(
        max_length=200, help_text="The Google user id (users/…) of a signed-in user, or the display name of a guest or phone."
    )
    teacher = models.ForeignKey(Teacher, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(Student, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["identity"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "participant_kind", "identity"], condition=Q(class_session__isnull=True),
                name="meet_link_unique_identity",
            ),
            models.UniqueConstraint(
                fields=["class_session", "participant_kind", "identity"], condition=Q(class_session__isnull=False),
                name="meet_link_unique_identity_in_class",
            ),
            models.CheckConstraint(
                condition=(Q(teacher__isnull=False) & Q(student__isnull=True)) | (Q(teacher__isnull=True) & Q(student__isnull=False)),
                name="meet_link_exactly_one_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.identity} → {self.teacher or self.student}"


class GoogleCredential(models.Model):
    """The organization's Google OAuth authorized-user credentials (from `setup_google_oauth --meet`)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="google_credential")
    authorized_user_info = models.JSONField(help_text="OAuth authorized-user JSON (token, refresh_token, client_id, …).")
    scopes = models.JSONField(default=list)
    account_email = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Google credentials of {self.organization}"
