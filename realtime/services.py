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

    One transaction for every channel: lock the rows of the channels that have unnumbered events
    (`select_for_update`, so two relays never give one number twice), read the unnumbered events
    under those locks, number them, and save the events and the channels' counters with one UPDATE
    each (six statements with BEGIN and COMMIT). A channel's first event creates its row first.
    Returns how many events got a number.
    """
    unnumbered = OutboxEvent.objects.filter(sequence__isnull=True).order_by("id").only("id", "channel")
    with transaction.atomic():
        channels = {channel.name: channel for channel in OutboxChannel.objects.select_for_update(of=("self",))
                    .filter(name__in=OutboxEvent.objects.filter(sequence__isnull=True).values("channel"))}
        rows = list(unnumbered[:limit])
        unlocked = {row.channel for row in rows} - channels.keys()
        if unlocked:  # a channel's first event, or one committed after the lock: lock it, then re-read its rows
            OutboxChannel.objects.bulk_create([OutboxChannel(name=name) for name in unlocked], ignore_conflicts=True)
            channels.update({channel.name: channel for channel in
                             OutboxChannel.objects.select_for_update(of=("self",)).filter(name__in=unlocked)})
            rows = [row for row in rows if row.channel not in unlocked] + list(unnumbered.filter(channel__in=unlocked)[:limit])
        if not rows:
            return 0
        for row in sorted(rows, key=lambda row: row.pk):
            channel = channels[row.channel]
            channel.last_sequence += 1
            row.sequence = channel.last_sequence
        OutboxEvent.objects.bulk_update(rows, ["sequence"])
        OutboxChannel.objects.bulk_update([channels[name] for name in {row.channel for row in rows}], ["last_sequence"])
    return len(rows)


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
