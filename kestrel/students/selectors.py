"""Finding students: the type-ahead on Add Incident and elsewhere."""

from django.db.models import QuerySet

from kestrel.students.models import Student
from kestrel.students.search import fold

MAX_WORDS = 5


def search_students(*, school, query: str, limit: int = 20) -> QuerySet[Student]:
    """Students whose names, UPN or registration group contain every word typed, in any order,
    ignoring case and accents; on roll first."""
    if len(query.strip()) < 2:
        return Student.objects.none()
    students = matching(Student.objects.filter(school=school), query)
    return students.order_by("-on_roll", "legal_last_name", "legal_first_name")[:limit]


def matching(students: QuerySet[Student], query: str) -> QuerySet[Student]:
    """Those of `students` whose names, UPN or registration group contain every word of `query`
    (its first MAX_WORDS), in any order, ignoring case and accents; none if nothing is typed."""
    words = fold(query).split()[:MAX_WORDS]
    if not words:
        return students.none()
    for word in words:  # a substring of search_text: PostgreSQL's trigram index answers it
        students = students.filter(search_text__contains=word)
    return students
