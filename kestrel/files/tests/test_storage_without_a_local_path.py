"""Every stored file is read and written through Django's storage API, never by path (issue 18,
item 7), so that S3-compatible storage is a change of configuration. The file flows run here
against a storage kept in memory with no local path (`path()` raises NotImplementedError, as an
object store's does, and nothing it keeps is on the disk), so any code that reads, writes,
sizes, deletes or streams a kept file by path fails these tests."""

import datetime
import posixpath

import pytest
import time_machine
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError
from django.utils import timezone

from kestrel.audit import heads
from kestrel.audit.chain import chain_for
from kestrel.files.models import Attachment
from kestrel.files.tests.test_file_contents import publish
from kestrel.incidents.models import Incident
from kestrel.incidents.tests.add_incident_post import add_action_post, add_incident_post
from kestrel.library.models import Document, DocumentVersion
from kestrel.testing.factories import (
    AgencyFactory,
    AlertGroupFactory,
    CategoryFactory,
    StudentFactory,
)
from kestrel.testing.storage import StorageWithNoPath

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
# Past FILE_UPLOAD_MAX_MEMORY_SIZE: Django spools it to a temporary file, which the file system
# storage would move into place by its path; a storage with no path must be given its content.
LARGE_PDF = PDF + b"%" + b"0" * (3 * 1024 * 1024)
MEMORY = {"BACKEND": "kestrel.testing.storage.StorageWithNoPath"}


@pytest.fixture(autouse=True)
def no_local_path(settings):
    """Uploads and library files, and the published audit heads, kept where no path exists."""
    settings.STORAGES = {**settings.STORAGES, "default": MEMORY, "audit_heads": MEMORY}
    kept = storages["default"]
    assert isinstance(kept, StorageWithNoPath) and isinstance(heads.store(), StorageWithNoPath)
    with pytest.raises(NotImplementedError):
        kept.path("attachments/anything.pdf")
    return kept


@pytest.fixture
def form(school, levels, people):
    """What Add Incident needs: two students, categories staff may see, a group, an agency."""
    return {
        "hannah": StudentFactory(school=school, legal_first_name="Hannah"),
        "matthew": StudentFactory(school=school, legal_first_name="Matthew"),
        "cause": CategoryFactory(
            school=school, name="Cause for Concern", access_level=levels.staff
        ),
        "home": CategoryFactory(school=school, name="Home Issues", access_level=levels.staff),
        "slt": AlertGroupFactory(school=school, name="SLT"),
        "agency": AgencyFactory(school=school, name="Police"),
    }


def upload(client, name, content) -> int:
    response = client.post("/files/upload/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200, response.content
    return response.json()["id"]


def downloaded(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response
    content = b"".join(response.streaming_content)
    assert response["Content-Length"] == str(len(content))  # sized by the storage, not a path
    return content


def test_files_added_to_an_incident_and_an_action_are_kept_and_downloaded_with_no_local_path(
    form, people, signed_in, no_local_path
):
    teacher = signed_in(people.teacher)
    small = upload(teacher, "minutes.pdf", PDF)
    large = upload(teacher, "statement.pdf", LARGE_PDF)

    added = teacher.post("/incidents/add/", add_incident_post(form, people, files=[small, large]))

    assert added.status_code == 302
    incident = Incident.objects.get()
    files = {file.original_name: file for file in incident.attachments.all()}
    assert set(files) == {"minutes.pdf", "statement.pdf"}
    for file, content in [(files["minutes.pdf"], PDF), (files["statement.pdf"], LARGE_PDF)]:
        assert no_local_path.exists(file.stored_name)
        assert no_local_path.size(file.stored_name) == file.size == len(content)
        assert downloaded(teacher, f"/files/{file.key}/") == content

    on_action = upload(teacher, "letter.pdf", PDF + b"%action")
    action = teacher.post(
        f"/incidents/{incident.pk}/actions/add/", add_action_post(files=[on_action])
    )

    assert action.status_code == 302
    file = Attachment.objects.get(pk=on_action)
    assert file.action is not None and no_local_path.exists(file.stored_name)
    assert downloaded(teacher, f"/files/{file.key}/") == PDF + b"%action"


def test_a_library_document_and_its_new_version_are_kept_and_downloaded_with_no_local_path(
    people, signed_in, client, no_local_path
):
    dsl = signed_in(people.dsl)
    published = publish(dsl, SimpleUploadedFile("cp-policy.pdf", PDF))
    assert published.status_code == 302
    document = Document.objects.get()
    versioned = dsl.post(
        f"/library/{document.pk}/versions/",
        {"file": SimpleUploadedFile("cp-policy-v2.pdf", LARGE_PDF), "notes": "New LADO contact"},
    )
    assert versioned.status_code == 302

    first, second = document.versions.order_by("number")
    assert no_local_path.exists(first.stored_name) and no_local_path.exists(second.stored_name)
    teacher = signed_in(people.teacher)
    assert downloaded(teacher, f"/library/{document.pk}/versions/1/download/") == PDF
    assert downloaded(teacher, f"/library/{document.pk}/versions/2/download/") == LARGE_PDF


def test_tidy_removes_an_unsubmitted_upload_from_a_storage_with_no_local_path(
    form, people, signed_in, no_local_path, capsys
):
    teacher = signed_in(people.teacher)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=3)):
        unsubmitted = Attachment.objects.get(pk=upload(teacher, "draft.pdf", PDF))
        submitted = upload(teacher, "minutes.pdf", PDF + b"%kept")
        teacher.post("/incidents/add/", add_incident_post(form, people, files=[submitted]))
    kept = Attachment.objects.get(pk=submitted)
    assert kept.incident is not None and no_local_path.exists(unsubmitted.stored_name)

    call_command("tidy")

    assert not Attachment.objects.filter(pk=unsubmitted.pk).exists()
    assert not no_local_path.exists(unsubmitted.stored_name)
    assert no_local_path.exists(kept.stored_name)
    assert "Removed 1 unused uploads" in capsys.readouterr().out
    # The audit chain heads tidy publishes went to their own storage, with no path either.
    assert heads.published(chain_for(people.teacher.school_id))


def kept_names(storage, folder: str = "") -> list[str]:
    """Every file in the storage, found through its API."""
    folders, files = storage.listdir(folder)
    names = [posixpath.join(folder, name) for name in files]
    for name in folders:
        names += kept_names(storage, posixpath.join(folder, name))
    return names


def failing(*args, **kwargs):
    raise DatabaseError("the database went away")


def test_a_file_whose_row_is_not_written_is_not_left_in_the_storage(
    people, signed_in, no_local_path, monkeypatch
):
    # The storage is not rolled back with the transaction, and tidy finds unused uploads by
    # their rows: a file no row names would be kept, unseen, for ever.
    teacher = signed_in(people.teacher)
    monkeypatch.setattr(Attachment.objects, "create", failing)
    with pytest.raises(DatabaseError):
        teacher.post("/files/upload/", {"file": SimpleUploadedFile("minutes.pdf", PDF)})
    assert kept_names(no_local_path) == []

    dsl = signed_in(people.dsl)
    monkeypatch.setattr(DocumentVersion.objects, "create", failing)
    with pytest.raises(DatabaseError):
        publish(dsl, SimpleUploadedFile("cp-policy.pdf", PDF))
    assert kept_names(no_local_path) == []
    assert not Document.objects.exists()
