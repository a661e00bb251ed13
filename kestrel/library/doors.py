"""The doors to the Library's documents and their versions (see `kestrel.access.doors`)."""

from django.db.models import Prefetch, QuerySet

from kestrel.access import doors, refusals
from kestrel.access.policies import Viewer, policy_for
from kestrel.library.models import DocumentVersion


def _with_versions(documents: QuerySet) -> QuerySet:
    return documents.select_related("category").prefetch_related(
        Prefetch("versions", queryset=DocumentVersion.objects.order_by("-number"))
    )


def get_document_for_user(request, pk: int, action: str):
    """A Library document with its versions, newest first."""
    return doors.get_for_user(request, "document", pk, action, shape=_with_versions)


def get_document_version_for_user(request, pk: int, number: int, action: str = "download"):
    """One version of a Library document, with its document, in one query."""
    policy = policy_for("document")
    policy.check_action(action)
    viewer = Viewer.of(request)
    version = (
        DocumentVersion.objects.filter(
            document__in=policy.visible(viewer), document_id=pk, number=number
        )
        .select_related("document")
        .first()
    )
    if version is None:
        refusals.refuse_lookup(
            request,
            DocumentVersion,
            kind="document_version",
            school_path="document__school",
            document_id=pk,
            number=number,
        )
    doors.allowed(request, policy, viewer, action, version.document, pk)
    return version
