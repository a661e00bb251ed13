"""`manage.py find_hidden_characters`: names already stored with a line break, tab or hidden
character, from before the forms refused them (kestrel.forms.one_line). Each is listed by table,
row and field, never by value; correct them in School set-up. Exits non-zero when it finds any."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from kestrel.forms import hidden_characters
from kestrel.schools.scope import scopes_disabled

# Every one-line value that goes into a page title, a list, an email or its header.
FIELDS = {
    "schools.School": ["name"],
    "schools.AccessLevel": ["name"],
    "schools.Agency": ["name"],
    "incidents.Category": ["name"],
    "alerts.AlertGroup": ["name"],
    "accounts.User": ["first_name", "last_name", "job_title", "email"],
    "students.Student": [
        "legal_first_name",
        "legal_last_name",
        "preferred_first_name",
        "preferred_last_name",
        "upn",
        "tutor_group",
    ],
    "library.LibraryCategory": ["name"],
    "library.Document": ["title"],
}


def stored_hidden_characters():
    """(model label, pk, field) for each stored value holding a character one_line refuses."""
    for label, fields in FIELDS.items():
        model = apps.get_model(label)
        for pk, *values in model.objects.order_by("pk").values_list("pk", *fields).iterator():
            for field, value in zip(fields, values, strict=True):
                if value and hidden_characters(value):
                    yield label, pk, field


class Command(BaseCommand):
    help = "Lists stored names that hold a line break, tab or hidden character."

    # Across schools on purpose: a command serves the whole installation, not one school.
    @scopes_disabled()
    def handle(self, *args, **options):
        found = list(stored_hidden_characters())
        for label, pk, field in found:
            self.stdout.write(f"{label} {pk} {field}")
        if found:
            raise CommandError(
                f"{len(found)} stored value{'s' if len(found) != 1 else ''} "
                "hold a line break, tab or hidden character: correct them in School set-up."
            )
        self.stdout.write("No stored name holds a line break, tab or hidden character.")
