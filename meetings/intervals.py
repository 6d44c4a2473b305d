"""Interval arithmetic for attended time: clip to the class window, merge overlaps, count seconds."""

from collections.abc import Iterable
from datetime import datetime, timedelta


def clip(start: datetime, end: datetime, lo: datetime, hi: datetime) -> tuple[datetime, datetime] | None:
    """Return [start, end] ∩ [lo, hi], or None when they do not overlap."""
    s, e = max(start, lo), min(end, hi)
    return (s, e) if e > s else None


def union(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Merge overlapping or touching intervals; two devices at once count once."""
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def total_seconds(intervals: Iterable[tuple[datetime, datetime]]) -> int:
    """Whole seconds covered by already-merged intervals (the exact total, floored once)."""
    total = sum((e - s for s, e in intervals), timedelta())
    return int(total.total_seconds())
