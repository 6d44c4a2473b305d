"""Retention: closed check-ins and refusals older than the organization keeps them are deleted;
the monthly rollups stay."""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from attendance.models import CheckIn, Refusal
from organizations.models import Organization


def retention_cutoff(organization: Organization, now: datetime | None = None) -> datetime | None:
    """The moment before which closed check-ins may have been purged (None: the organization keeps
    everything). Rollups of the local months up to the one holding it outlive their rows, so a
    rebuild leaves them alone and reads answer them from the rollups."""
    if organization.retention_days == 0:
        return None
    return (now or timezone.now()) - timedelta(days=organization.retention_days)


def retention_purge(
    *, organization: Organization, now: datetime | None = None, batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Delete closed check-ins and refusals older than the organization's retention; rollups stay."""
    cutoff = retention_cutoff(organization, now)
    if cutoff is None:
        return 0
    batch_size = batch_size or settings.RETENTION_BATCH_SIZE
    deleted = 0
    for model, field in ((CheckIn, "checked_in_at"), (Refusal, "attempted_at")):
        old = model.objects.filter(organization=organization, **{f"{field}__lt": cutoff})
        if model is CheckIn:
            old = old.filter(checked_out_at__isnull=False)
        while True:
            ids = list(old.values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            with transaction.atomic():
                count, _ = model.objects.filter(pk__in=ids).delete()
            deleted += count
            if progress:
                progress(deleted)
    return deleted
