"""Writes of the outbox: recording events (any app, inside its transaction) and the relay's bookkeeping."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from realtime import wakeup
from realtime.models import OutboxChannel, OutboxEvent

TARGET_FIELDS = {"layer": "layer_sent_at", "pusher": "pusher_sent_at"}


def outbox_record(*, events: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
    """Record `(channel, event, payload)` rows in the current transaction (one INSERT)."""
    OutboxEvent.objects.bulk_create(
        [OutboxEvent(channel=channel, event=event, payload=payload) for channel, event, payload in events]
    )
    if wakeup.has_local_relay():
        transaction.on_commit(wakeup.wake_local_relays)


def outbox_assign_sequences(*, limit: int = 1000) -> int:
    """Give committed events without a sequence their channel's next numbers, in id order.

    Per channel, under the channel row's lock (`select_for_update`), so two relays never give one
    number twice; the rows are re-read under the lock. Returns how many rows got a number.
    """
    channels = list(dict.fromkeys(
        OutboxEvent.objects.filter(sequence__isnull=True).order_by("id").values_list("channel", flat=True)[:limit]
    ))
    assigned = 0
    for name in channels:
        with transaction.atomic():
            channel = OutboxChannel.objects.select_for_update().filter(name=name).first()
            if channel is None:  # the channel's first event
                OutboxChannel.objects.get_or_create(name=name)
                channel = OutboxChannel.objects.select_for_update().get(name=name)
            rows = list(OutboxEvent.objects.filter(channel=name, sequence__isnull=True).order_by("id").only("id")[:limit])
            if not rows:
                continue
            for offset, row in enumerate(rows, start=1):
                row.sequence = channel.last_sequence + offset
            OutboxEvent.objects.bulk_update(rows, ["sequence"])
            channel.last_sequence += len(rows)
            channel.save(update_fields=["last_sequence"])
            assigned += len(rows)
    return assigned


def outbox_next_batch(*, target: str, limit: int) -> list[OutboxEvent]:
    """Number what is new, then return what `target` has still to send (one call for the relay)."""
    outbox_assign_sequences(limit=limit)
    return outbox_pending(target=target, limit=limit)


def outbox_pending(*, target: str, limit: int) -> list[OutboxEvent]:
    """Numbered events `target` has not accepted yet, oldest first per channel."""
    field = TARGET_FIELDS[target]
    return list(
        OutboxEvent.objects.filter(sequence__isnull=False, **{f"{field}__isnull": True})
        .order_by("channel", "sequence")[:limit]
    )


def outbox_mark_sent(*, target: str, ids: list[int], at: datetime | None = None) -> int:
    """Record that `target` accepted these events."""
    if not ids:
        return 0
    field = TARGET_FIELDS[target]
    return OutboxEvent.objects.filter(pk__in=ids, **{f"{field}__isnull": True}).update(**{field: at or timezone.now()})


def outbox_prune(*, targets: Iterable[str], older_than: timedelta, batch: int = 5000) -> int:
    """Delete events every target in `targets` accepted more than `older_than` ago; return how many."""
    cutoff = timezone.now() - older_than
    done = Q(sequence__isnull=False, created_at__lt=cutoff)
    for target in targets:
        done &= Q(**{f"{TARGET_FIELDS[target]}__lt": cutoff})
    deleted = 0
    while True:
        ids = list(OutboxEvent.objects.filter(done).values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += OutboxEvent.objects.filter(pk__in=ids).delete()[0]
