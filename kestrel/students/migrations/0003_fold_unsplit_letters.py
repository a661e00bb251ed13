"""search_text filled again: folding now turns letters that Unicode does not split into a base
letter and an accent (ł, ø, æ, œ, đ, ð, þ, ħ, ı) into the letters typed for them, so that "Pawel"
finds "Paweł" (kestrel.students.search.UNSPLIT_LETTERS)."""

import importlib

from django.db import migrations

# The same filling as when search_text was added (a module name that starts with a digit is
# imported by its name as a string).
fill_search_text = importlib.import_module(
    "kestrel.students.migrations.0002_student_search_text"
).fill_search_text


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0002_student_search_text"),
    ]

    operations = [
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
