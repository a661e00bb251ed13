"""Export this file, with the test client: asking for an export, its progress, the download
(audited), and who may not."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from kestrel.audit.models import AuditEvent
from kestrel.exports import storage
from kestrel.exports.models import ExportRequest, State
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import IncidentFactory, StudentFactory, UserFactory
from kestrel.testing.queries import data_queries


@pytest.fixture
def hannah(school):
    return StudentFactory(
        school=school, legal_first_name="Hannah", legal_last_name="Greenwood", tutor_group="1B"
    )


@pytest.fixture
def dsl(signed_in, people):
    return unlock_key(signed_in(people.dsl))


def test_the_case_file_links_to_the_export_page(dsl, hannah):
    response = dsl.get(f"/students/{hannah.pk}/file/")
    assert f'href="/students/{hannah.pk}/file/export/"' in response.text
    assert "Export the whole file (PDF)" in response.text


def test_a_key_holder_exports_the_file_and_downloads_it(
    dsl, hannah, people, django_capture_on_commit_callbacks
):
    IncidentFactory(student=hannah, text="Arrived hungry for the third day running.")
    page = dsl.get(f"/students/{hannah.pk}/file/export/")
    assert page.status_code == 200
    assert "Export the whole file" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = dsl.post(f"/students/{hannah.pk}/file/export/", {"variant": "whole"})
    assert response.status_code == 302
    made = ExportRequest.objects.get()
    assert (made.requested_by, made.student, made.redacted) == (people.dsl, hannah, False)
    assert made.state == State.DONE
    page = dsl.get(f"/students/{hannah.pk}/file/export/")
    assert f"/students/{hannah.pk}/file/export/download/?export={made.pk}" in page.text
    assert "hx-trigger" not in page.text  # nothing being made: no polling
    download = dsl.get(f"/students/{hannah.pk}/file/export/download/?export={made.pk}")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert "Greenwood" not in download["Content-Disposition"]
    reader = PdfReader(io.BytesIO(download.getvalue()))
    text = reader.pages[-1].extract_text()
    assert "Arrived hungry for the third day running." in " ".join(
        page.extract_text() for page in reader.pages
    )
    assert "Confidential: child protection" in text
    event = AuditEvent.objects.get(action="export.downloaded")
    assert (event.actor, event.student) == (people.dsl, hannah)


def test_the_page_polls_while_the_export_is_being_made(dsl, hannah, people):
    made = ExportRequest.objects.create(
        school=hannah.school,
        student=hannah,
        requested_by=people.dsl,
        state=State.WORKING,
        progress_done=40,
        progress_total=200,
    )
    page = dsl.get(f"/students/{hannah.pk}/file/export/")
    assert 'hx-trigger="every 1s"' in page.text
    fragment = dsl.get(
        f"/students/{hannah.pk}/file/export/?progress=1", headers={"HX-Request": "true"}
    )
    assert "40 of 200 entries read (20%)." in fragment.text
    assert "<html" not in fragment.text
    made.state = State.DONE
    made.stored_name = "exports/x.pdf.fernet"
    made.save()
    fragment = dsl.get(
        f"/students/{hannah.pk}/file/export/?progress=1", headers={"HX-Request": "true"}
    )
    assert "hx-trigger" not in fragment.text
    assert "Download the PDF" in fragment.text


def test_the_redacted_variant_is_asked_for_with_its_choice(
    dsl, hannah, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dsl.post(f"/students/{hannah.pk}/file/export/", {"variant": "redacted"})
    assert ExportRequest.objects.get().redacted


def test_another_key_holders_export_is_not_theirs_to_download(
    signed_in, school, levels, hannah, people, django_capture_on_commit_callbacks, client
):
    deputy = UserFactory(school=school, access_level=levels.dsl, is_key_holder=True)
    made = ExportRequest.objects.create(
        school=school, student=hannah, requested_by=deputy, state=State.DONE, stored_name="x"
    )
    dsl = unlock_key(signed_in(people.dsl))
    response = dsl.get(f"/students/{hannah.pk}/file/export/download/?export={made.pk}")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


def test_a_teacher_is_refused_the_export_page(signed_in, people, hannah):
    client = signed_in(people.teacher)
    assert client.get(f"/students/{hannah.pk}/file/export/").status_code == 403
    assert client.post(f"/students/{hannah.pk}/file/export/").status_code == 403
    assert not ExportRequest.objects.exists()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(data_queries(context))


def test_the_export_page_costs_the_same_queries_with_one_export_or_five(dsl, hannah, people):
    def made():
        ExportRequest.objects.create(
            school=hannah.school, student=hannah, requested_by=people.dsl, state=State.DONE
        )

    made()
    url = f"/students/{hannah.pk}/file/export/"
    dsl.get(url)  # the session's first page renews it: not the page's cost
    one = _queries(dsl, url)
    for _ in range(4):
        made()
    assert _queries(dsl, url) == one


def test_the_attached_files_are_downloaded_as_a_zip_and_audited(dsl, hannah, people):
    pdf = storage.store(io.BytesIO(b"%PDF-1.7 the file"), suffix=".pdf")
    files = storage.store(io.BytesIO(b"PK the files"), suffix=".zip")
    made = ExportRequest.objects.create(
        school=hannah.school,
        student=hannah,
        requested_by=people.dsl,
        state=State.DONE,
        stored_name=pdf.name,
        size=pdf.size,
        files_stored_name=files.name,
        files_size=files.size,
        files_count=3,
    )
    page = dsl.get(f"/students/{hannah.pk}/file/export/")
    assert "Download the attached files (ZIP)" in page.text and "3 files" in page.text
    response = dsl.get(f"/students/{hannah.pk}/file/export/download/?export={made.pk}&files=1")
    assert response["Content-Type"] == "application/zip"
    assert response.getvalue() == b"PK the files"
    assert response["Content-Disposition"].endswith('-attached-files.zip"')
    event = AuditEvent.objects.get(action="export.files_downloaded")
    assert (event.student, event.detail) == (hannah, {"files": 3})


def test_an_export_deleted_after_a_week_is_listed_without_a_download(dsl, hannah, people):
    ExportRequest.objects.create(
        school=hannah.school, student=hannah, requested_by=people.dsl, state=State.DONE
    )
    page = dsl.get(f"/students/{hannah.pk}/file/export/")
    assert "made, and deleted since" in page.text
    assert "Download the PDF" not in page.text
