"""Who may download a file: the policy of the kind "file" (see `kestrel.access.policies`)."""

from django.db.models import Q, QuerySet

from kestrel.access.policies import Policy, Viewer, policy_for, register
from kestrel.files.models import Attachment


def _incidents():
    """The incidents' policy, from the registry: a file's rule is its incident's."""
    return policy_for("incident")


class FilePolicy(Policy):
    """A file attached to an incident or one of its actions: downloaded by whoever may open the
    incident. An upload not yet attached belongs to no record and is nobody's to download."""

    kind = "file"
    model = Attachment
    actions = frozenset({"download"})

    def visible(self, viewer: Viewer) -> QuerySet[Attachment]:
        return Attachment.objects.filter(incident__in=_incidents().visible(viewer).values("pk"))

    def _can_download(self, viewer: Viewer, attachment) -> bool:
        return attachment.incident_id is not None and _incidents().can(
            viewer, "open", attachment.incident
        )

    def _who(self, action: str, attachment) -> Q:
        if attachment.incident_id is None:
            return Q(pk__in=[])
        return _incidents()._who("open", attachment.incident)


FILES = register(FilePolicy())
