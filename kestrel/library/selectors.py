"""Reads for the Library's pages: the documents with their versions, and who has read what."""

from django.db.models import Prefetch, QuerySet

from kestrel.accounts.selectors import active_colleagues
from kestrel.library.models import Document, DocumentVersion, ReadRecord


def documents() -> QuerySet[Document]:
    """The Library's documents in use, with their category and versions, newest first."""
    return (
        Document.objects.filter(is_active=True)
        .select_related("category")
        .prefetch_related(
            Prefetch("versions", queryset=DocumentVersion.objects.order_by("-number"))
        )
    )


def versions_read_by(reader) -> set[int]:
    """The ids of the versions `reader` has confirmed they read."""
    return set(ReadRecord.objects.filter(reader=reader).values_list("version_id", flat=True))


def readers(version) -> list[dict]:
    """Every active colleague, with when they confirmed they read `version` (None if not yet)."""
    have_read = {read.reader_id: read.read_at for read in version.reads.all()}
    return [{"user": user, "read_at": have_read.get(user.pk)} for user in active_colleagues()]


def has_read(version, reader) -> bool:
    return version.reads.filter(reader=reader).exists()
