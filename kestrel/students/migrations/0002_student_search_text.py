"""The type-ahead's search_text: added, filled in for every student, and on PostgreSQL given a
trigram index (pg_trgm), so that a substring search reads the index rather than every student.

The index is made here rather than in Student.Meta because SQLite has no trigram index, and a
GIN index on Meta would need django.contrib.postgres. Should the folding in kestrel.search
ever change, a new migration must fill search_text again.
"""

from django.db import migrations, models

from kestrel.search import fill_search_text as fill
from kestrel.students.search import SEARCH_FIELDS

BATCH = 5000
INDEX = "students_student_search_trgm"


def fill_search_text(apps, schema_editor):
    """Every student's search_text, BATCH students at a time in order of id."""
    student = apps.get_model("students", "Student")
    fill(student, SEARCH_FIELDS, schema_editor.connection, batch=BATCH)


def add_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13 and later): the database owner may add it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f'CREATE INDEX "{INDEX}" ON "students_student" USING gin ("search_text" gin_trgm_ops)'
    )
    # Every row was just rewritten: the planner's statistics are stale until analysed.
    schema_editor.execute('ANALYZE "students_student"')


def remove_trigram_index(apps, schema_editor):
    # The extension stays: something else in the database may have come to use it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="student",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_index, remove_trigram_index),
    ]
