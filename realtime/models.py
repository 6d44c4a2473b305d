"""The outbox: live events recorded in the transaction that raised them, until the relay delivered them."""

import json
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxEvent(models.Model):
    """One event for one channel (`org-acme`, `hotel-acme`).

    Written inside the write's transaction, so it exists exactly when the write does. The relay
    gives it the channel's next `sequence` (in commit-visible order, under the channel row's lock)
    and then marks each target once it has accepted the event; delivered rows are pruned later.
    """

    channel = models.CharField(max_length=200)
    event = models.CharField(max_length=100)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    sequence = models.PositiveBigIntegerField(null=True, blank=True)
    layer_sent_at = models.DateTimeField(null=True, blank=True)
    pusher_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], condition=Q(sequence__isnull=True), name="outbox_unsequenced"),
            models.Index(fields=["channel", "sequence"], condition=Q(sequence__isnull=False, layer_sent_at__isnull=True),
                         name="outbox_layer_pending"),
            models.Index(fields=["channel", "sequence"], condition=Q(sequence__isnull=False, pusher_sent_at__isnull=True),
                         name="outbox_pusher_pending"),
            models.Index(fields=["created_at"], name="outbox_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["channel", "sequence"], name="outbox_one_event_per_sequence"),
        ]

    def __str__(self):
        return f"{self.channel} #{self.sequence or '-'} {self.event}"

    def message(self) -> dict:
        """The payload as screens and Pusher get it: its own keys, then `event_id` and `sequence`."""
        return {**self.payload, "event_id": str(self.event_id), "sequence": self.sequence}

    def frame(self) -> str:
        """The WebSocket text frame screens get: `{"event": <name>, "data": <message()>}`."""
        return json.dumps({"event": self.event, "data": self.message()}, cls=DjangoJSONEncoder)


class OutboxChannel(models.Model):
    """A channel's last given sequence. Only the relay writes it; its row lock orders the sequencing."""

    name = models.CharField(max_length=200, primary_key=True)
    last_sequence = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name} @{self.last_sequence}"
