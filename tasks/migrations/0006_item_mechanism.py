"""Item.mechanism: the joint meeting of the item's units, stored and indexed for 工作台 (issue 16),
filled from each item's first share."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    Item, Assignment = apps.get_model("tasks", "Item"), apps.get_model("tasks", "Assignment")
    Item.objects.filter(mechanism__isnull=True).update(mechanism_id=Subquery(
        Assignment.objects.filter(item_id=OuterRef("pk")).order_by("pk").values("unit__mechanism_id")[:1]))
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE tasks_item")  # every row was rewritten: fresh statistics for the planner


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0004_contacts_and_unit_robots'),
        ('tasks', '0005_unit_request_granted_due_date'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='item',
            name='mechanism',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='members.mechanism', verbose_name='联席会议'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='item',
            index=models.Index(fields=['mechanism', 'due_date', 'id'], name='item_mech_due_idx'),
        ),
        migrations.AddIndex(
            model_name='item',
            index=models.Index(fields=['mechanism', 'status', 'due_date', 'id'], name='item_mech_status_due_idx'),
        ),
        migrations.AddIndex(
            model_name='item',
            index=models.Index(condition=models.Q(('status', 'done'), _negated=True), fields=['mechanism', 'due_date', 'id'], name='item_mech_open_due_idx'),
        ),
    ]
