import logging

from celery import shared_task

from config.retries import retry_policy
from organizations.pusher_client import get_pusher

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    **retry_policy(backoff=2, backoff_max=120, max_retries=8),
    acks_late=True,
)
def pusher_trigger(self, channel: str, event: str, payload: dict) -> None:
    """Trigger `event` on Pusher; failures are logged and retried with backoff."""
    try:
        get_pusher().trigger(channel, event, payload)
    except Exception as exc:
        logger.warning(
            "Pusher trigger %s/%s failed (attempt %s of %s): %s",
            channel, event, self.request.retries + 1, self.max_retries + 1, exc,
        )
        raise
