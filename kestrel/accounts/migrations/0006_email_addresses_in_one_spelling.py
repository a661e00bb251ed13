"""Stored email addresses take their one spelling (NFKC, casefolded: kestrel.accounts.emails), as
sign-in, password links and School set-up now look them up by exact comparison (issue 17, item 7).

Addresses were stored lower-cased already, so for ASCII addresses nothing changes. An address whose
new spelling another account already has is left as it was, and named, for an administrator.
"""

import unicodedata

from django.db import migrations

from kestrel.search import fill_search_text

# As User.SEARCH_FIELDS stood when this migration was written.
SEARCH_FIELDS = ("first_name", "last_name", "job_title", "email")


def normalise(address: str) -> str:
    # As kestrel.accounts.emails.normalise stood when this migration was written.
    folded = unicodedata.normalize("NFKC", address).casefold()
    return unicodedata.normalize("NFKC", folded).strip()


def respell(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    rows = User._base_manager.using(schema_editor.connection.alias)
    taken = set(rows.values_list("email", flat=True))
    changed = 0
    for pk, email in rows.order_by("pk").values_list("pk", "email"):
        spelling = normalise(email)
        if spelling == email:
            continue
        if spelling in taken:
            print(f"\n  Account {pk}: {email!r} left as it is; {spelling!r} belongs to another.")
            continue
        rows.filter(pk=pk).update(email=spelling)
        taken.add(spelling)
        changed += 1
    if changed:
        fill_search_text(User, SEARCH_FIELDS, schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_authenticator_secrets_encrypted"),
    ]

    operations = [migrations.RunPython(respell, migrations.RunPython.noop)]
