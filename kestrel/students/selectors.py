"""Finding students: the type-ahead on Add Incident and elsewhere."""

from django.db.models import Q, QuerySet

from kestrel.students.models import Student

SEARCH_FIELDS = (
    "legal_first_name",
    "legal_last_name",
    "preferred_first_name",
    "preferred_last_name",
    "upn",
    "tutor_group",
)


def search_students(*, school, query: str, limit: int = 20) -> QuerySet[Student]:
    """Students whose names, UPN or registration group match every word typed; on roll first."""
    terms = query.split()[:5]
    if not terms or len(query.strip()) < 2:
        return Student.objects.none()
    matches = Q()
    for term in terms:
        any_field = Q()
        for field in SEARCH_FIELDS:
            any_field |= Q(**{f"{field}__icontains": term})
        matches &= any_field
    return Student.objects.filter(matches, school=school).order_by(
        "-on_roll", "legal_last_name", "legal_first_name"
    )[:limit]
