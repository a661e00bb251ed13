"""Who may read a student's chronology, their audit trail and keep their case file: the policy of
the kind "student" (see `kestrel.access.policies`)."""

from django.db.models import Q, QuerySet

from kestrel.access.policies import Policy, Viewer, register
from kestrel.students.models import Student


class ChronologyPolicy(Policy):
    """A student's chronology, their audit trail and their case file: key holders of the
    student's school with their key unlocked (each entry then only as `IncidentPolicy.visible`
    allows; a case-file record made on an incident only to those whose key opens it)."""

    kind = "student"
    model = Student
    actions = frozenset({"chronology", "audit_trail", "case_file"})

    def visible(self, viewer: Viewer) -> QuerySet[Student]:
        if not (viewer.signed_in and viewer.user.is_key_holder and viewer.key_unlocked):
            return Student.objects.none()
        return Student.objects.all()

    def _can_chronology(self, viewer: Viewer, student) -> bool:
        return viewer.user.is_key_holder and viewer.key_unlocked

    _can_audit_trail = _can_chronology
    _can_case_file = _can_chronology

    def _who(self, action: str, student) -> Q:
        return Q(is_key_holder=True)

    def sends_to_unlock(self, viewer: Viewer, action: str) -> bool:
        return viewer.key_holder_locked


STUDENTS = register(ChronologyPolicy())
