"""Staff get search_text, as students have: "Alert Staff Members" and the other staff searches
find "Siobhán" when "siobhan" is typed (kestrel.search)."""

from django.db import migrations, models

from kestrel.search import fill_search_text

# As User.SEARCH_FIELDS stood when this migration was written.
SEARCH_FIELDS = ("first_name", "last_name", "job_title", "email")


def fill(apps, schema_editor):
    fill_search_text(apps.get_model("accounts", "User"), SEARCH_FIELDS, schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_throttle_prune_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
