"""Files: checked by content, stored under generated names, given back only to who may see them."""

import io
import zipfile

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from kestrel.audit.models import AuditEvent
from kestrel.files.checks import MAX_BYTES
from kestrel.files.models import Attachment
from kestrel.testing.factories import AlertFactory, IncidentFactory, StudentFactory

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"PE\x00\x00"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def upload(client, name, content):
    return client.post("/files/upload/", {"file": SimpleUploadedFile(name, content)})


@pytest.fixture
def teacher(people, signed_in):
    return signed_in(people.teacher)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("minutes.pdf", PDF, "PDF"),
        ("bruise.png", PNG, "PNG image"),
        ("letter.docx", docx(), "Word document"),
        ("notes.txt", "Notes from the meeting – Zoë’s mum came in.".encode(), "Text"),
    ],
)
def test_accepted_files_are_stored_under_a_generated_name_outside_the_web_root(
    teacher, name, content, kind
):
    answer = upload(teacher, name, content).json()
    assert (answer["name"], answer["type"]) == (name, kind)
    stored = Attachment.objects.get(pk=answer["id"])
    assert name not in stored.stored_name
    assert stored.stored_name.startswith(f"attachments/{stored.school_id}/")
    assert default_storage.exists(stored.stored_name)
    # Kept through the storage API, served by no address but the permission-checked download.
    for served in ("/", settings.STATIC_URL, "/media/"):
        assert teacher.get(f"{served}{stored.stored_name}").status_code == 404
    assert AuditEvent.objects.filter(action="file.uploaded").count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "is empty (0 bytes)"),
        ("invoice.pdf", EXE, "is not a type of file Kestrel accepts"),
        ("drawing.svg", SVG, "is not a type of file Kestrel accepts"),
        ("page.txt", b"<!DOCTYPE html><html><script>x()</script></html>", "is not a type"),
    ],
)
def test_refused_files_get_a_clear_message_and_nothing_is_kept(teacher, name, content, message):
    response = upload(teacher, name, content)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert Attachment.objects.count() == 0
    assert AuditEvent.objects.filter(action="file.refused").count() == 1


def test_an_oversized_file_is_refused(teacher):
    response = upload(teacher, "huge.pdf", PDF + b"0" * MAX_BYTES)
    assert response.status_code == 400
    assert "larger than 20 MB" in response.json()["error"]


def attached(people, school, **incident):
    owner = people.teacher
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=owner, **incident)
    from kestrel.files.services import attach, store_upload

    file = store_upload(actor=owner, upload=SimpleUploadedFile("minutes.pdf", PDF))
    attach(actor=owner, ids=[file.pk], incident=incident)
    file.refresh_from_db()
    return incident, file


def test_a_file_is_downloaded_as_an_attachment_by_someone_who_may_open_the_incident(
    people, school, teacher
):
    _, file = attached(people, school)
    response = teacher.get(f"/files/{file.key}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="minutes.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="file.downloaded", actor=people.teacher).count() == 1


def test_a_colleague_who_may_not_open_the_incident_gets_404_and_it_is_recorded(
    people, school, signed_in
):
    _, file = attached(people, school)
    response = signed_in(people.admin).get(f"/files/{file.key}/")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="access.refused", actor=people.admin).count() == 1


def test_an_alerted_colleague_may_download_until_they_mark_it_as_read(people, school, signed_in):
    incident, file = attached(people, school)
    alert = AlertFactory(incident=incident, recipient=people.admin)
    client = signed_in(people.admin)
    assert client.get(f"/files/{file.key}/").status_code == 200
    client.post(f"/alerts/{alert.pk}/read/")
    assert client.get(f"/files/{file.key}/").status_code == 404


def test_someone_elses_upload_cannot_be_attached_to_my_incident(people, school):
    from kestrel.files.services import attach, store_upload

    theirs = store_upload(actor=people.dsl, upload=SimpleUploadedFile("a.pdf", PDF))
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    assert attach(actor=people.teacher, ids=[theirs.pk], incident=incident) == 0


def test_a_name_with_folders_never_reaches_the_disk(teacher):
    # Django's upload parser drops "../" before Kestrel sees the name; the file is stored under a
    # generated name whatever it is called, and Kestrel's own check refuses folders outright.
    answer = upload(teacher, "../../etc/passwd.pdf", PDF).json()
    stored = Attachment.objects.get(pk=answer["id"])
    assert stored.original_name == "passwd.pdf"
    assert ".." not in stored.stored_name and "passwd" not in stored.stored_name
    from kestrel.files.checks import Refused, clean_name

    with pytest.raises(Refused, match="contains a folder"):
        clean_name("../../etc/passwd")
    with pytest.raises(Refused, match="contains a folder"):
        clean_name("..\\windows\\system32")
