"""The text the student type-ahead searches, and the folding that makes "zoe" find "Zoë".

Each student keeps `search_text`: their names, UPN and registration group, lowercase and without
accents. Typed words are folded the same way and matched as substrings, which a trigram index
answers on PostgreSQL.
"""

import unicodedata

from kestrel.students.names import STUDENT_NAME_FIELDS

SEARCH_FIELDS = (*STUDENT_NAME_FIELDS, "upn", "tutor_group")


# Letters that Unicode does not split into a base letter and an accent, so that taking accents
# off leaves them whole: folded by hand, as a keyboard without them would type them (Polish
# "Paweł", Danish and Norwegian "Søren", "Æsa", Croatian "Đurđa", Icelandic "Þóra", Maltese
# "Ħal", the Turkish dotless i). Lowercase only: they are folded after casefold().
UNSPLIT_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ħ": "h", "ı": "i"}
)


def fold(text: str) -> str:
    """Lowercase, with accents taken off: "Siobhán Ó Briain" is "siobhan o briain", "Paweł
    Søndergård" is "pawel sondergard"."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.casefold().translate(UNSPLIT_LETTERS)


def search_text(student) -> str:
    """A student's SEARCH_FIELDS, folded and joined by a space (empty fields included)."""
    return fold(" ".join(getattr(student, name) for name in SEARCH_FIELDS))
