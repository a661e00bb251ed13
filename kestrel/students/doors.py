"""The door to students, for their chronology and audit trail (see `kestrel.access.doors`)."""

from kestrel.access import doors


def get_student_for_user(request, pk: int, action: str):
    """A student of the viewer's school, for their chronology or their audit trail."""
    return doors.get_for_user(request, "student", pk, action)
