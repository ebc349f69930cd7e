"""Item.progress: the live shares' summary that 工作台 draws (tasks.services keeps it)."""

from django.db import migrations, models


def backfill(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor == "postgresql":
        from tasks.services import PROGRESS_BACKFILL_SQL

        schema_editor.execute(PROGRESS_BACKFILL_SQL)
        schema_editor.execute("ANALYZE tasks_item")  # every row was rewritten: fresh statistics for the planner
        return
    Item, Assignment = apps.get_model("tasks", "Item"), apps.get_model("tasks", "Assignment")
    for item_id in Item.objects.values_list("pk", flat=True).iterator():
        rows = (Assignment.objects.filter(item_id=item_id).exclude(status="rerouted").order_by("role", "order", "pk")
                .values_list("unit_id", "role", "order", "status"))
        Item.objects.filter(pk=item_id).update(progress=[list(r) for r in rows])


class Migration(migrations.Migration):
    dependencies = [("tasks", "0003_title_search_index")]

    operations = [
        migrations.AddField(
            model_name="item",
            name="progress",
            field=models.JSONField(blank=True, default=list, editable=False, verbose_name="各单位进度"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
