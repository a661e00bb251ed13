"""The door to colleagues, for the audit trail of what they have viewed (see
`kestrel.access.doors`)."""

from kestrel.access import doors


def get_colleague_for_user(request, pk: int, action: str = "audit_trail"):
    """A colleague of the viewer's school, for the audit trail of what they have viewed."""
    return doors.get_for_user(request, "staff", pk, action)
