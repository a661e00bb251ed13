"""Who may read what a colleague has viewed (the Audit trail's staff page): the policy of the
kind "staff" (see `kestrel.access.policies`). As a student's audit trail: key holders of the
school, with their key unlocked."""

from django.db.models import Q, QuerySet

from kestrel.access.policies import Policy, Viewer, register
from kestrel.accounts.models import User


class StaffTrailPolicy(Policy):
    kind = "staff"
    model = User
    actions = frozenset({"audit_trail"})

    def visible(self, viewer: Viewer) -> QuerySet[User]:
        if not (viewer.signed_in and viewer.user.is_key_holder and viewer.key_unlocked):
            return User.objects.none()
        return User.objects.all()

    def _can_audit_trail(self, viewer: Viewer, colleague) -> bool:
        return viewer.user.is_key_holder and viewer.key_unlocked

    def _who(self, action: str, colleague) -> Q:
        return Q(is_key_holder=True)

    def sends_to_unlock(self, viewer: Viewer, action: str) -> bool:
        return viewer.key_holder_locked


COLLEAGUES = register(StaffTrailPolicy())
