"""Finding students: the type-ahead on Add Incident and elsewhere."""

from django.db.models import QuerySet

from kestrel.students.models import Student
from kestrel.students.search import fold

MAX_WORDS = 5


def search_students(*, school, query: str, limit: int = 20) -> QuerySet[Student]:
    """Students whose names, UPN or registration group contain every word typed, in any order,
    ignoring case and accents; on roll first."""
    words = fold(query).split()[:MAX_WORDS]
    if not words or len(query.strip()) < 2:
        return Student.objects.none()
    students = Student.objects.filter(school=school)
    for word in words:  # a substring of search_text: PostgreSQL's trigram index answers it
        students = students.filter(search_text__contains=word)
    return students.order_by("-on_roll", "legal_last_name", "legal_first_name")[:limit]
