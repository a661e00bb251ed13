"""Finding students: the type-ahead on Add Incident and elsewhere."""

from django.db.models import QuerySet

from kestrel.search import MIN_CHARACTERS, matching
from kestrel.students.models import Student


def search_students(*, query: str, limit: int = 20) -> QuerySet[Student]:
    """Students whose names, UPN or registration group contain every word typed, in any order,
    ignoring case and accents; on roll first."""
    if len(query.strip()) < MIN_CHARACTERS:
        return Student.objects.none()
    students = matching(Student.objects.all(), query)
    return students.order_by("-on_roll", "legal_last_name", "legal_first_name")[:limit]


def students_matching(query: str, *, limit: int = 20) -> list[Student]:
    """Students, on roll or not, whose names, UPN or registration group contain every word of
    `query`, ignoring case and accents, by last name (at most `limit`): the audit search."""
    found = matching(Student.objects.all(), query)
    return list(found.order_by("legal_last_name", "legal_first_name", "pk")[:limit])
