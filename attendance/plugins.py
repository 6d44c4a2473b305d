"""Plugins: before/after hooks around check-in and check-out.

A before hook may refuse by raising attendance.exceptions.Refused (code + message); it runs with the
attendee row locked, inside the transaction. After hooks run in the same transaction, after the
row is written: a failure there rolls the check-in back, so keep network calls out (use
transaction.on_commit). Apps register plugins in AppConfig.ready(); settings.ATTENDANCE_PLUGINS
adds more by dotted path.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("attendance.plugins")


@dataclass
class CheckInContext:
    organization: Any
    attendee: Any
    method: str
    source: str
    at: datetime
    actor: Any = None
    device: Any = None
    location: str = ""
    metadata: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)  # free-form, per source (e.g. {"access_type": "staff"})


class Plugin:
    """Subclass and override any hook. `sources` limits the plugin to check-ins of those sources."""

    sources: frozenset[str] | None = None

    def applies(self, ctx: CheckInContext) -> bool:
        return self.sources is None or ctx.source in self.sources

    def before_check_in(self, ctx: CheckInContext) -> None: ...

    def after_check_in(self, ctx: CheckInContext, check_in) -> None: ...

    def before_check_out(self, ctx: CheckInContext, check_in) -> None: ...

    def after_check_out(self, ctx: CheckInContext, check_in) -> None: ...


class LoggingPlugin(Plugin):
    """Logs every check-in and check-out (logger `attendance.plugins`)."""

    def after_check_in(self, ctx, check_in):
        logger.info(
            "check-in #%s org=%s attendee=%s method=%s source=%s",
            check_in.pk, ctx.organization.slug, ctx.attendee.pk, ctx.method, ctx.source,
        )

    def after_check_out(self, ctx, check_in):
        logger.info("check-out #%s org=%s duration=%ss", check_in.pk, ctx.organization.slug, check_in.duration_seconds)


_registered: list[Plugin] = []
_from_settings: list[Plugin] | None = None


def register(plugin: Plugin) -> Plugin:
    _registered.append(plugin)
    return plugin


def unregister(plugin: Plugin) -> None:
    _registered.remove(plugin)


def active_plugins(ctx: CheckInContext) -> list[Plugin]:
    global _from_settings
    if _from_settings is None:
        _from_settings = [import_string(path)() for path in settings.ATTENDANCE_PLUGINS]
    return [p for p in [*_from_settings, *_registered] if p.applies(ctx)]
