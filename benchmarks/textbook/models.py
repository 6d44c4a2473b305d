"""The textbook check-in's own tables: a member with a visit counter, and visits."""

from django.db import models
from django.db.models import Q


class TextbookMember(models.Model):
    name = models.CharField(max_length=100)
    visits = models.PositiveIntegerField(default=0)
    last_visit_at = models.DateTimeField(null=True, blank=True)


class TextbookVisit(models.Model):
    member = models.ForeignKey(TextbookMember, on_delete=models.CASCADE, related_name="+")
    checked_in_at = models.DateTimeField()
    checked_out_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=Q(checked_out_at__isnull=True), name="textbook_one_open_visit"),
        ]
