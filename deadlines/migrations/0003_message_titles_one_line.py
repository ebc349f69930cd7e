"""Titles written before `reminders.one_line` may hold a line break, which stops their mail (a header
may not contain one): mend the rows not yet sent so they go out."""

from django.db import migrations


def mend(apps, schema_editor):
    Message = apps.get_model("deadlines", "Message")
    broken = Message.objects.exclude(status="sent").filter(title__regex=r"[\r\n]")
    for m in broken.iterator():
        m.title = " ".join(m.title.split())[:200]
        m.save(update_fields=["title"])


class Migration(migrations.Migration):

    dependencies = [("deadlines", "0002_message_guest_and_unread")]

    operations = [migrations.RunPython(mend, migrations.RunPython.noop)]
