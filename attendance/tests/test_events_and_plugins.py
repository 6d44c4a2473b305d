"""Every declared engine event is fired, plugins can refuse, and the logging plugin logs."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from attendance import events, plugins, services
from attendance.exceptions import Refused
from attendance.models import CheckIn, Member, Refusal

pytestmark = pytest.mark.django_db


class Recorder:
    def __init__(self, signal):
        self.calls = []
        self.signal = signal

    def __call__(self, sender, **kwargs):
        self.calls.append(kwargs)

    def __enter__(self):
        self.signal.connect(self)
        return self

    def __exit__(self, *exc):
        self.signal.disconnect(self)


def test_checked_in_and_checked_out_fire_after_commit(org, member, django_capture_on_commit_callbacks):
    with Recorder(events.checked_in) as ins, Recorder(events.checked_out) as outs:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.check_in(organization=org, attendee=member)
        assert ins.calls == []  # nothing before commit
        for callback in callbacks:
            callback()
        assert ins.calls[0]["check_in"].attendee_id == member.pk
        with django_capture_on_commit_callbacks(execute=True):
            services.check_out(organization=org, attendee=member)
        assert outs.calls[0]["check_in"].checked_out_at is not None


def test_check_in_refused_fires_with_the_recorded_refusal(org, member, django_capture_on_commit_callbacks):
    Member.objects.filter(pk=member.pk).update(attendance_enabled=False)
    with Recorder(events.check_in_refused) as refused, django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Refused):
            services.check_in(organization=org, attendee=member)
    assert refused.calls[0]["refusal"] == Refusal.objects.get()


def test_milestone_fires_on_the_tenth_visit(org, member, settings, django_capture_on_commit_callbacks):
    settings.ATTENDANCE_DUPLICATE_SCAN_SECONDS = 0
    start = timezone.now() - timedelta(days=20)
    with Recorder(events.milestone) as milestones, django_capture_on_commit_callbacks(execute=True):
        for day in range(10):
            services.check_in(organization=org, attendee=member, at=start + timedelta(days=day))
            services.check_out(organization=org, attendee=member, at=start + timedelta(days=day, hours=1))
    assert [(c["kind"], c["value"]) for c in milestones.calls] == [("visits", 10)]


def test_at_risk_fires_once_for_attendees_absent_for_n_days(org, member):
    other = Member.objects.create(organization=org, first_name="Recent")
    Member.objects.filter(pk=member.pk).update(last_visit_at=timezone.now() - timedelta(days=14))
    Member.objects.filter(pk=other.pk).update(last_visit_at=timezone.now() - timedelta(days=2))
    with Recorder(events.at_risk) as at_risk:
        assert services.at_risk_notify(organization=org, days=14) == 1
    assert at_risk.calls[0]["attendee"].pk == member.pk
    assert at_risk.calls[0]["days_absent"] == 14


def test_session_auto_closed_fires(org, member, django_capture_on_commit_callbacks):
    now = timezone.now()
    services.check_in(organization=org, attendee=member, at=now - timedelta(hours=3), expected_checkout_at=now - timedelta(hours=1))
    with Recorder(events.session_auto_closed) as closed, django_capture_on_commit_callbacks(execute=True):
        services.checkout_expired(organization=org, before=now)
    assert closed.calls[0]["check_in_ids"] == [CheckIn.objects.get().pk]


class BlockingPlugin(plugins.Plugin):
    sources = frozenset({"api"})

    def __init__(self):
        self.after = []

    def before_check_in(self, ctx):
        if ctx.metadata.get("blocked"):
            raise Refused("Blocked by the test plugin.", code="blocked_by_plugin")

    def after_check_in(self, ctx, check_in):
        self.after.append(check_in.pk)


def test_a_plugin_before_hook_refuses_with_its_code_and_after_hook_runs(owner_client, member):
    plugin = plugins.register(BlockingPlugin())
    try:
        refused = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk, "metadata": {"blocked": True}}, format="json")
        assert refused.status_code == 409
        assert refused.json() == {"code": "blocked_by_plugin", "detail": "Blocked by the test plugin."}
        assert Refusal.objects.get().code == "blocked_by_plugin"
        assert CheckIn.objects.count() == 0
        ok = owner_client.post("/api/v1/check-ins/", {"attendee_id": member.pk}, format="json")
        assert plugin.after == [ok.json()["id"]]
    finally:
        plugins.unregister(plugin)


def test_logging_plugin_logs_check_in_and_out(org, member, caplog):
    with caplog.at_level(logging.INFO, logger="attendance.plugins"):
        row = services.check_in(organization=org, attendee=member).check_in
        services.check_out(organization=org, attendee=member)
    messages = [r.getMessage() for r in caplog.records if r.name == "attendance.plugins"]
    assert f"check-in #{row.pk} org=acme attendee={member.pk} method=manual source=api" in messages
    assert any(m.startswith(f"check-out #{row.pk} org=acme duration=") for m in messages)
