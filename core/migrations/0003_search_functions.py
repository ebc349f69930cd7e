"""The bigram search functions of core.search (PostgreSQL only; SQLite searches with LIKE)."""

from django.db import migrations

from core.search import DROP_SQL, FUNCTIONS_SQL


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS_SQL)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
