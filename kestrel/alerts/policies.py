"""Whose an alert is: the policy of the kind "alert" (see `kestrel.access.policies`)."""

from django.db.models import Q, QuerySet

from kestrel.access.policies import Policy, Viewer, register
from kestrel.alerts.models import Alert


class AlertPolicy(Policy):
    """An alert is its recipient's: only they see it and mark it as read."""

    kind = "alert"
    model = Alert
    actions = frozenset({"open", "mark_as_read"})

    def visible(self, viewer: Viewer) -> QuerySet[Alert]:
        if not viewer.signed_in:
            return Alert.objects.none()
        return Alert.objects.filter(recipient=viewer.user)

    def _can_open(self, viewer: Viewer, alert) -> bool:
        return alert.recipient_id == viewer.user.pk

    _can_mark_as_read = _can_open

    def _who(self, action: str, alert) -> Q:
        return Q(pk=alert.recipient_id)


ALERTS = register(AlertPolicy())
