"""Thin Celery wrappers around the bookings services."""

import logging

from celery import shared_task

from bookings import services

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (Exception,), "retry_backoff": 5, "retry_backoff_max": 300, "retry_jitter": True, "max_retries": 5}


@shared_task(**RETRY)
def mark_no_shows() -> int:
    """Mark the still-registered bookings of every ended class `no_show` (all organizations)."""
    marked = services.mark_no_shows()
    if marked:
        logger.info("marked %s booking(s) no-show", marked)
    return marked
