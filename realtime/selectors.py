"""Reads of the outbox."""

from realtime.models import OutboxChannel


def channel_last_sequence(*, name: str) -> int:
    """The last sequence the relay gave on channel `name` (0 before its first event)."""
    return OutboxChannel.objects.filter(name=name).values_list("last_sequence", flat=True).first() or 0
