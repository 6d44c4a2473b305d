from django.db import migrations, models
from django.db.models import F


def neutralise_invalid_rows(apps, schema_editor):
    """Rows the new checks refuse keep their meaning: a membership that ended before it started
    covered no day (now inactive, one day long); a package of 0 classes offered none (1 of 1 used)."""
    membership = apps.get_model("bookings", "CustomerMembership")
    membership.objects.filter(ended_on__lt=F("started_on")).update(active=False, ended_on=F("started_on"))
    package = apps.get_model("bookings", "ClassPackage")
    package.objects.filter(classes_total=0).update(classes_total=1, classes_used=1)


class Migration(migrations.Migration):

    dependencies = [
        ('attendance', '0004_drop_prefix_indexes'),
        ('bookings', '0003_booking_class_status_covers_organization'),
        ('organizations', '0001_initial'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='booking',
            options={'ordering': ['fitness_class__starts_at', 'id']},
        ),
        migrations.RemoveIndex(
            model_name='booking',
            name='booking_org_start',
        ),
        migrations.RemoveIndex(
            model_name='booking',
            name='booking_customer_start',
        ),
        migrations.RemoveIndex(
            model_name='booking',
            name='booking_registered_start',
        ),
        migrations.RemoveField(
            model_name='booking',
            name='class_starts_at',
        ),
        migrations.AddIndex(
            model_name='booking',
            index=models.Index(condition=models.Q(('status', 'registered')), fields=['fitness_class'], name='booking_registered_class'),
        ),
        migrations.RunPython(neutralise_invalid_rows, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='classpackage',
            constraint=models.CheckConstraint(condition=models.Q(('classes_total__gte', 1)), name='package_has_classes'),
        ),
        migrations.AddConstraint(
            model_name='customermembership',
            constraint=models.CheckConstraint(condition=models.Q(('ended_on__isnull', True), ('ended_on__gte', models.F('started_on')), _connector='OR'), name='membership_ends_after_start'),
        ),
    ]
