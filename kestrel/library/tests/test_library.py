"""The Library: the DSL publishes, staff read and download, policies record who has read them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kestrel.audit.models import AuditEvent
from kestrel.library.models import Document, ReadRecord
from kestrel.testing.auth import sign_in_fully

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def publish(client, **changes):
    data = {
        "title": "Child protection policy 2026",
        "new_category": "Policies",
        "summary": "Read this before the first day of term.",
        "is_policy": "on",
        "file": SimpleUploadedFile("cp-policy.pdf", PDF),
    }
    data.update(changes)
    return client.post("/library/publish/", data)


@pytest.fixture
def dsl(people):
    return sign_in_fully(Client(), people.dsl)


@pytest.fixture
def teacher(people):
    return sign_in_fully(Client(), people.teacher)


def test_the_dsl_publishes_a_policy_that_staff_see_and_download(dsl, teacher, people):
    response = publish(dsl)
    doc = Document.objects.get()
    assert response["Location"] == f"/library/{doc.pk}/"
    assert doc.category.name == "Policies" and doc.is_policy
    index = teacher.get("/library/").content.decode()
    assert "Child protection policy 2026" in index and "Please confirm you have read it" in index
    download = teacher.get(f"/library/{doc.pk}/versions/1/download/")
    assert download["Content-Disposition"] == 'attachment; filename="cp-policy.pdf"'
    assert b"".join(download.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="library.downloaded", actor=people.teacher).exists()


def test_staff_confirm_they_have_read_a_policy_and_the_dsl_sees_who_has(dsl, teacher, people):
    publish(dsl)
    doc = Document.objects.get()
    teacher.post(f"/library/{doc.pk}/read/")
    teacher.post(f"/library/{doc.pk}/read/")  # twice: still one record
    assert ReadRecord.objects.filter(reader=people.teacher).count() == 1
    page = dsl.get(f"/library/{doc.pk}/").content.decode()
    assert "Who has read version 1" in page
    assert "1 of 3 staff." in page  # Chloe, James and the office; not the other school's staff
    assert "James Carter" in page


def test_a_new_version_asks_everyone_to_read_again_and_keeps_the_old_one(dsl, teacher):
    publish(dsl)
    doc = Document.objects.get()
    teacher.post(f"/library/{doc.pk}/read/")
    dsl.post(
        f"/library/{doc.pk}/versions/",
        {"file": SimpleUploadedFile("cp-policy-v2.pdf", PDF + b"%v2"), "notes": "New LADO contact"},
    )
    page = teacher.get(f"/library/{doc.pk}/").content.decode()
    assert "I have read this policy" in page  # version 2 is not yet confirmed
    assert "Version 1</a>" in page  # the earlier version stays
    assert teacher.get(f"/library/{doc.pk}/versions/1/download/").status_code == 200


def test_only_the_dsl_team_publishes(teacher):
    response = publish(teacher)
    assert response.status_code == 403
    assert Document.objects.count() == 0


def test_a_file_kestrel_does_not_accept_is_refused_with_the_reason(dsl):
    response = publish(dsl, file=SimpleUploadedFile("policy.pdf", b"MZ\x90\x00" + b"\x00" * 100))
    assert response.status_code == 200
    assert "is not a type of file Kestrel accepts" in response.content.decode()
    assert Document.objects.count() == 0


def test_a_category_is_needed(dsl):
    response = publish(dsl, new_category="")
    assert "Choose a category, or name a new one." in response.content.decode()
