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
