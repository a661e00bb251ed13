"""The text the student type-ahead searches, and the folding that makes "zoe" find "Zoë".

Each student keeps `search_text`: their names, UPN and registration group, lowercase and without
accents. Typed words are folded the same way and matched as substrings, which a trigram index
answers on PostgreSQL.
"""

import unicodedata

from kestrel.students.names import STUDENT_NAME_FIELDS

SEARCH_FIELDS = (*STUDENT_NAME_FIELDS, "upn", "tutor_group")


def fold(text: str) -> str:
    """Lowercase, with accents taken off: "Siobhán Ó Briain" is "siobhan o briain"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def search_text(student) -> str:
    """A student's SEARCH_FIELDS, folded and joined by a space (empty fields included)."""
    return fold(" ".join(getattr(student, name) for name in SEARCH_FIELDS))
