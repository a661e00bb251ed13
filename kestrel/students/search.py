"""The text the student type-ahead searches (kestrel.search folds it): their names, UPN and
registration group. Migration 0002 imports these names: keep them here."""

from kestrel.search import folded_fields
from kestrel.students.names import STUDENT_NAME_FIELDS

SEARCH_FIELDS = (*STUDENT_NAME_FIELDS, "upn", "tutor_group")


def search_text(student) -> str:
    """A student's SEARCH_FIELDS, folded and joined by a space (empty fields included)."""
    return folded_fields(student, SEARCH_FIELDS)
