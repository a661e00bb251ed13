"""Publishing documents, adding versions, recording reads. Each writes its audit event."""

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max

from kestrel.audit.services import record
from kestrel.files.services import check_and_save, removed_unless_recorded
from kestrel.library.models import Document, DocumentVersion, LibraryCategory, ReadRecord


def _store(actor, upload, request) -> dict:
    return check_and_save(upload, folder=f"library/{actor.school_id}", actor=actor, request=request)


def category_named(*, school, name: str) -> LibraryCategory:
    existing = LibraryCategory.objects.filter(school=school, name__iexact=name.strip()).first()
    return existing or LibraryCategory.objects.create(school=school, name=name.strip())


def publish(*, actor, title, category, summary, is_policy, upload, notes="", request=None):
    """Publishes a new document with its first version (the file is checked by its content)."""
    stored = _store(actor, upload, request)
    with removed_unless_recorded(stored["stored_name"]), transaction.atomic():
        document = Document.objects.create(
            school=actor.school,
            category=category,
            title=title,
            summary=summary,
            is_policy=is_policy,
            published_by=actor,
        )
        DocumentVersion.objects.create(
            document=document, number=1, notes=notes, uploaded_by=actor, **stored
        )
        record(action="library.published", actor=actor, request=request, obj=document)
    return document


def add_version(*, actor, document, upload, notes="", request=None) -> DocumentVersion:
    """Adds a new version; earlier ones stay. Staff must confirm a new version of a policy."""
    stored = _store(actor, upload, request)
    with removed_unless_recorded(stored["stored_name"]), transaction.atomic():
        Document.objects.select_for_update().filter(pk=document.pk).first()
        number = (document.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        version = DocumentVersion.objects.create(
            document=document, number=number, notes=notes, uploaded_by=actor, **stored
        )
        record(
            action="library.version_added",
            actor=actor,
            request=request,
            obj=document,
            detail={"version": number},
        )
    return version


def confirm_read(*, actor, version, request=None) -> ReadRecord:
    with transaction.atomic():
        read, created = ReadRecord.objects.get_or_create(version=version, reader=actor)
        if created:
            record(
                action="library.read",
                actor=actor,
                request=request,
                obj=version.document,
                detail={"version": version.number},
            )
    return read


def open_for_download(*, actor, version, request=None):
    """Records the download, then opens the kept file through the storage (never by a path, so
    that the storage may be an object store)."""
    record(
        action="library.downloaded",
        actor=actor,
        request=request,
        obj=version.document,
        detail={"version": version.number},
    )
    return default_storage.open(version.stored_name, "rb")
