"""Item titles' stored bigrams and their GIN index, for the 我的待办 / 工作台 title search
(core.search; PostgreSQL only — SQLite searches with LIKE)."""

from django.db import migrations

from core.search import drop_stored_column_sql, stored_column_sql


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in stored_column_sql("tasks_item", "title"):
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in drop_stored_column_sql("tasks_item", "title"):
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("tasks", "0002_list_indexes"), ("core", "0003_search_functions")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
