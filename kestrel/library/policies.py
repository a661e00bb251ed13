"""Who may read, download and publish the Library's documents: the policy of the kind
"document" (see `kestrel.access.policies`)."""

from django.db.models import Q, QuerySet

from kestrel.access.policies import Policy, Viewer, register
from kestrel.library.models import Document


class LibraryDocumentPolicy(Policy):
    """The Library: every member of staff reads and downloads the school's current documents and
    confirms they have read a policy; the DSL team (key holders) publishes new versions."""

    kind = "document"
    model = Document
    actions = frozenset({"open", "download", "confirm_read", "add_version", "see_readers"})

    def visible(self, viewer: Viewer) -> QuerySet[Document]:
        if not viewer.signed_in:
            return Document.objects.none()
        return Document.objects.filter(is_active=True)

    def _can_open(self, viewer: Viewer, document) -> bool:
        return document.is_active

    _can_download = _can_open

    def _can_confirm_read(self, viewer: Viewer, document) -> bool:
        return document.is_active and document.is_policy

    def _can_add_version(self, viewer: Viewer, document) -> bool:
        return document.is_active and viewer.user.is_key_holder

    def _can_see_readers(self, viewer: Viewer, document) -> bool:
        return document.is_policy and viewer.user.is_key_holder

    def _who(self, action: str, document) -> Q:
        if not document.is_active or (action == "confirm_read" and not document.is_policy):
            return Q(pk__in=[])
        if action == "see_readers" and not document.is_policy:
            return Q(pk__in=[])
        if action in ("add_version", "see_readers"):
            return Q(is_key_holder=True)
        return Q()


DOCUMENTS = register(LibraryDocumentPolicy())
