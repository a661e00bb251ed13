# Issue 21, item 4: each child's file shows only that child's part.

from django.db import migrations, models


def drop_tally_triggers(apps, schema_editor):
    """SQLite adds a NOT NULL column by making the table anew, which the chronology tallies'
    triggers (one of them on the linked students' table) do not survive: they are put back
    after (as in 0012)."""
    from kestrel.incidents import tallies

    if schema_editor.connection.vendor == "sqlite":
        tallies.remove(schema_editor.connection)


def put_tally_triggers_back(apps, schema_editor):
    from kestrel.incidents import tallies

    if schema_editor.connection.vendor == "sqlite":
        tallies.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0014_prevent"),
    ]

    operations = [
        migrations.RunPython(drop_tally_triggers, put_tally_triggers_back),
        # Links made before these were asked: no note, and nothing shared beyond the date and
        # categories (the file says that no note was written and offers the incident's link).
        migrations.AddField(
            model_name="linkedstudent",
            name="note",
            field=models.TextField(
                blank=True,
                db_default="",
                default="",
                verbose_name="Note for the linked student’s file",
            ),
        ),
        migrations.AddField(
            model_name="linkedstudent",
            name="share_whole_entry",
            field=models.BooleanField(
                db_default=False,
                default=False,
                verbose_name="Share the whole entry with the linked student’s file",
            ),
        ),
        migrations.RunPython(put_tally_triggers_back, drop_tally_triggers),
    ]
