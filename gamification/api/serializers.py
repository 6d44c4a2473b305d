"""Input and output shapes of the gym API."""

from rest_framework import serializers

from attendance.models import Member
from config.fields import DateTimeField, id_integer
from gamification.models import AccessType, SubscriptionStatus


class GymCheckInInputSerializer(serializers.Serializer):
    qr = serializers.CharField(required=False, max_length=200)
    user_id = id_integer(Member, required=False, help_text="The member's id (manual check-in).")

    def validate(self, attrs):
        if bool(attrs.get("qr")) == (attrs.get("user_id") is not None):
            raise serializers.ValidationError("Send either `qr` (GYM_QR_<token>) or `user_id`.")
        return attrs


class GymBiometricInputSerializer(serializers.Serializer):
    footprint_id = serializers.CharField(max_length=200)


class GymFootprintInputSerializer(serializers.Serializer):
    footprint_id = serializers.CharField(max_length=200)


class GymCourtesyInputSerializer(serializers.Serializer):
    user_id = id_integer(Member, required=False)
    qr = serializers.CharField(required=False, max_length=200)
    guest_name = serializers.CharField(required=False, max_length=200)
    reason = serializers.CharField(max_length=500)

    def validate(self, attrs):
        given = [k for k in ("user_id", "qr", "guest_name") if attrs.get(k) not in (None, "")]
        if len(given) != 1:
            raise serializers.ValidationError("Send one of `user_id`, `qr` or `guest_name`.")
        return attrs


class GymQueuedCourtesySerializer(serializers.Serializer):
    """A courtesy pass a desk gave offline (one item of its queue)."""

    event_id = serializers.CharField(max_length=100, help_text="The desk's id for this pass (its idempotency key).")
    at = DateTimeField(help_text="When the desk gave the pass; it is judged and recorded at this time.")
    reason = serializers.CharField(max_length=500)
    user_id = id_integer(Member, required=False, help_text="A member of the gym, or:")
    guest_name = serializers.CharField(required=False, max_length=200, help_text="A new guest's name.")

    def validate(self, attrs):
        if (attrs.get("user_id") is not None) == bool(attrs.get("guest_name")):
            raise serializers.ValidationError("Send one of `user_id` or `guest_name`.")
        return attrs


class GymCourtesyQueueInputSerializer(serializers.Serializer):
    """The queue (OpenAPI). Each item is validated on its own (GymCourtesyQueueEnvelopeSerializer
    takes the list), so one bad item is answered `invalid` while the others are recorded."""

    items = GymQueuedCourtesySerializer(many=True, allow_empty=False, max_length=500)


class GymCourtesyQueueEnvelopeSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.JSONField(), allow_empty=False, max_length=500)


class GymMemberCreateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    # Absent means "" (the service's default); a default "" here would declare a non-e-mail default.
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    access_type = serializers.ChoiceField(choices=[AccessType.MEMBER, AccessType.STAFF], default=AccessType.MEMBER)
    subscription_status = serializers.ChoiceField(choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    expires_at = DateTimeField(required=False, allow_null=True, default=None)


class GymSubscriptionInputSerializer(serializers.Serializer):
    subscription_status = serializers.ChoiceField(choices=SubscriptionStatus.choices)
    expires_at = DateTimeField(allow_null=True)


class GymFreezeInputSerializer(serializers.Serializer):
    until = serializers.DateField(allow_null=True)


class GymSettingsSerializer(serializers.Serializer):
    gamification_enabled = serializers.BooleanField(required=False)
    closed_weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), required=False)


class GymClosedDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    reason = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class StreakResetInputSerializer(serializers.Serializer):
    organization = serializers.SlugField(help_text="The gym's organization slug.")
    date = serializers.DateField(required=False, help_text="The local day to reset for (default: the gym's today).")


# --- output shapes (documentation of the responses) -------------------------------------------


class GymMemberSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    access_type = serializers.CharField()
    subscription_status = serializers.CharField()
    door_state = serializers.CharField(help_text="What the door applies now: active, expired, inactive, paused, cancelled, staff or courtesy.")
    expires_at = DateTimeField(allow_null=True)
    current_streak = serializers.IntegerField()
    longest_streak = serializers.IntegerField()
    last_visit_at = DateTimeField(allow_null=True)


class GymMemberRowSerializer(GymMemberSummarySerializer):
    email = serializers.CharField()
    phone = serializers.CharField()
    status = serializers.CharField()


class GymMemberDetailSerializer(GymMemberRowSerializer):
    qr = serializers.CharField()


class GymMemberListSerializer(serializers.Serializer):
    results = GymMemberRowSerializer(many=True)


class GymVisitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    checked_in_at = DateTimeField()
    expected_checkout_at = DateTimeField(allow_null=True)
    access_method = serializers.CharField()
    access_type = serializers.CharField()


class GymEntrySerializer(serializers.Serializer):
    result = serializers.CharField()
    visit = GymVisitSerializer()
    member = GymMemberSummarySerializer()


class GymRefusedSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    next_allowed_at = DateTimeField(required=False)
    member = GymMemberSummarySerializer(required=False)


class GymVisitRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    member_id = serializers.IntegerField()
    name = serializers.CharField()
    checked_in_at = DateTimeField()
    checked_out_at = DateTimeField(allow_null=True)
    access_method = serializers.CharField()
    access_type = serializers.CharField()
    is_open = serializers.BooleanField()


class GymRefusalRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    member_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    attempted_at = DateTimeField()
    method = serializers.CharField()
    code = serializers.CharField()
    detail = serializers.CharField()
    next_allowed_at = DateTimeField(allow_null=True)
    device = serializers.IntegerField(allow_null=True)


class GymVisitListSerializer(serializers.Serializer):
    results = GymVisitRowSerializer(many=True)


class GymRefusalListSerializer(serializers.Serializer):
    results = GymRefusalRowSerializer(many=True)


class GymDeskStateSerializer(serializers.Serializer):
    occupancy = serializers.DictField()
    visits = GymVisitRowSerializer(many=True)
    refusals = GymRefusalRowSerializer(many=True)


class GymSettingsOutputSerializer(serializers.Serializer):
    gamification_enabled = serializers.BooleanField()
    reactivated_at = DateTimeField(allow_null=True)
    closed_weekdays = serializers.ListField(child=serializers.IntegerField())
    closed_days = GymClosedDaySerializer(many=True)
    time_zone = serializers.CharField()


class GymRotateQrSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    qr = serializers.CharField()


class GymFootprintRegisteredSerializer(serializers.Serializer):
    registered = serializers.BooleanField()


class GymStreakResetResultSerializer(serializers.Serializer):
    organization = serializers.CharField()
    date = serializers.DateField()
    reset = serializers.IntegerField()
