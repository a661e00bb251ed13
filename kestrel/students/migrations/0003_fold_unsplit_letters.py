"""search_text filled again: folding now turns letters that Unicode does not split into a base
letter and an accent (ł, ø, æ, œ, đ, ð, þ, ħ, ı) into the letters typed for them, so that "Pawel"
finds "Paweł" (kestrel.search.UNSPLIT_LETTERS)."""

from django.db import migrations

from kestrel.search import fill_search_text

# As Student.SEARCH_FIELDS stood when this migration was written.
SEARCH_FIELDS = (
    "legal_first_name",
    "legal_last_name",
    "preferred_first_name",
    "preferred_last_name",
    "upn",
    "tutor_group",
)


def fill(apps, schema_editor):
    fill_search_text(apps.get_model("students", "Student"), SEARCH_FIELDS, schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0002_student_search_text"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
