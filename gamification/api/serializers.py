"""Input and output shapes of the gym API."""

from rest_framework import serializers

from gamification.models import AccessType, SubscriptionStatus


class CheckInInputSerializer(serializers.Serializer):
    qr = serializers.CharField(required=False, max_length=200)
    user_id = serializers.IntegerField(required=False, help_text="The member's id (manual check-in).")

    def validate(self, attrs):
        if bool(attrs.get("qr")) == (attrs.get("user_id") is not None):
            raise serializers.ValidationError("Send either `qr` (GYM_QR_<token>) or `user_id`.")
        return attrs


class BiometricInputSerializer(serializers.Serializer):
    footprint_id = serializers.CharField(max_length=200)


class FootprintInputSerializer(serializers.Serializer):
    footprint_id = serializers.CharField(max_length=200)


class CourtesyInputSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(required=False)
    qr = serializers.CharField(required=False, max_length=200)
    guest_name = serializers.CharField(required=False, max_length=200)
    reason = serializers.CharField(max_length=500)

    def validate(self, attrs):
        given = [k for k in ("user_id", "qr", "guest_name") if attrs.get(k) not in (None, "")]
        if len(given) != 1:
            raise serializers.ValidationError("Send one of `user_id`, `qr` or `guest_name`.")
        return attrs


class MemberCreateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    access_type = serializers.ChoiceField(choices=[AccessType.MEMBER, AccessType.STAFF], default=AccessType.MEMBER)
    subscription_status = serializers.ChoiceField(choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class SubscriptionInputSerializer(serializers.Serializer):
    subscription_status = serializers.ChoiceField(choices=SubscriptionStatus.choices)
    expires_at = serializers.DateTimeField(allow_null=True)


class FreezeInputSerializer(serializers.Serializer):
    until = serializers.DateField(allow_null=True)


class GymSettingsSerializer(serializers.Serializer):
    gamification_enabled = serializers.BooleanField(required=False)
    closed_weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), required=False)


class ClosedDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    reason = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class StreakResetInputSerializer(serializers.Serializer):
    organization = serializers.SlugField(help_text="The gym's organization slug.")
    date = serializers.DateField(required=False, help_text="The local day to reset for (default: the gym's today).")
