"""Email addresses have one spelling wherever they are stored, compared, looked up or counted."""

import unicodedata

from django.db import models


def normalise(address: str) -> str:
    """The address with surrounding spaces removed, NFKC-normalised and casefolded.

    NFKC folds width and compatibility forms (a full-width "Olivia" is "Olivia"); casefold()
    folds case more thoroughly than lower(). Look-alike letters (the dotless i, U+0131) stay
    distinct, so an address is found by exact comparison with the stored spelling, never with
    the database's case-insensitive matching: PostgreSQL's upper() turns "ol\u0131via" into
    "OLIVIA".
    """
    folded = unicodedata.normalize("NFKC", address).casefold()
    # Casefolding can undo NFKC, and NFKC can make spaces (U+00B8 is a space and a cedilla).
    return unicodedata.normalize("NFKC", folded).strip()


class EmailAddressField(models.EmailField):
    """An email address stored, and looked up, in its one spelling: whatever writes the row
    (a form, create_user, bulk_create, a factory) or filters on it, the value is normalise()d."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return normalise(value) if isinstance(value, str) else value

    def deconstruct(self):
        # The column is an ordinary email column: migrations need not know (no table rebuild).
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.EmailField", args, kwargs
