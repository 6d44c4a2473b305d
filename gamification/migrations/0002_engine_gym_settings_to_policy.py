"""A gym's engine rules are its ChannelPolicy (gamification.plugins.GYM_POLICY): drop the copies that
configuring a gym used to write into its organization's settings."""

from django.db import migrations

GYM_VALUES = {"on_open_session": "close_and_reopen", "duplicate_scan_seconds": 0}


def drop_gym_engine_settings(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    for organization in Organization.objects.filter(gym__isnull=False):
        settings = dict(organization.settings or {})
        for key, value in GYM_VALUES.items():
            if settings.get(key) == value:
                del settings[key]
        if settings != organization.settings:
            organization.settings = settings
            organization.save(update_fields=["settings"])


class Migration(migrations.Migration):
    dependencies = [
        ("gamification", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(drop_gym_engine_settings, migrations.RunPython.noop),
    ]
