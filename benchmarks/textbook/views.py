"""The plainest correct check-in a Django developer would write: validate, lock the member, close
an open visit, create the row, bump a counter with F(). No auth, no rules, no events."""

from django.db import transaction
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from benchmarks.textbook.models import TextbookMember, TextbookVisit


class CheckInInput(serializers.Serializer):
    member_id = serializers.IntegerField(min_value=1)
    method = serializers.ChoiceField(choices=["qr_code", "rfid", "manual"])


class VisitOutput(serializers.ModelSerializer):
    class Meta:
        model = TextbookVisit
        fields = ["id", "member_id", "checked_in_at", "method"]


class CheckInView(APIView):
    authentication_classes = []
    permission_classes = []

    def post(self, request):
        data = CheckInInput(data=request.data)
        data.is_valid(raise_exception=True)
        now = timezone.now()
        with transaction.atomic():
            member = get_object_or_404(TextbookMember.objects.select_for_update(), pk=data.validated_data["member_id"])
            TextbookVisit.objects.filter(member=member, checked_out_at__isnull=True).update(checked_out_at=now)
            visit = TextbookVisit.objects.create(member=member, checked_in_at=now, method=data.validated_data["method"])
            TextbookMember.objects.filter(pk=member.pk).update(visits=F("visits") + 1, last_visit_at=now)
        return Response(VisitOutput(visit).data, status=status.HTTP_201_CREATED)
