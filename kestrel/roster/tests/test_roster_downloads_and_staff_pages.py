"""The refused rows as a CSV (no cell a spreadsheet would run as a formula), and Import staff
through its pages, up to the first-time emails."""

import csv
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kestrel.accounts.models import User
from kestrel.audit.models import AuditEvent
from kestrel.roster.models import RosterImport, State
from kestrel.roster.tests import exports
from kestrel.students.names import MASK


@pytest.fixture
def admin(people, signed_in):
    return signed_in(people.admin)


def _upload(client, kind, content, name, capture, *, whole=False):
    data = {"file": SimpleUploadedFile(name, content)}
    if whole:
        data["whole_roster"] = "on"
    with capture(execute=True):
        response = client.post(reverse("roster:upload", args=[kind]), data, follow=True)
    return response


def _refused_file():
    good, formula, future = exports.sample_students(3, start=40, year_groups=[3])
    formula["legal_first_name"] = '=HYPERLINK("http://evil.example","Click")'
    formula["upn"] = "B" + formula["upn"][1:]  # a wrong check letter: refused
    future["date_of_birth"] = future["date_of_birth"].replace(year=2099)
    return exports.sims_csv([good, formula, future])


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_refused_rows_download_as_a_csv_whose_cells_never_start_a_formula(
    admin, django_capture_on_commit_callbacks
):
    _upload(admin, "students", _refused_file(), "roll.csv", django_capture_on_commit_callbacks)
    roster_import = RosterImport.objects.get()
    page = admin.get(reverse("roster:detail", args=[roster_import.pk])).content.decode()
    assert "Download the refused rows (CSV)" in page
    response = admin.get(reverse("roster:refused_csv", args=[roster_import.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, *rows = _csv(response)
    assert header[:2] == ["Row", "Why it was refused"]
    assert [row[0] for row in rows] == ["3", "4"]
    first_names = header.index("legal_first_name")
    assert rows[0][first_names] == '\'=HYPERLINK("http://evil.example","Click")'
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert "in the future" in rows[1][1]
    event = AuditEvent.objects.get(action="roster.refused_rows_downloaded")
    assert event.detail == {"rows": 2, "names_hidden": False}


def test_under_hide_names_the_download_stars_the_names(admin, django_capture_on_commit_callbacks):
    _upload(admin, "students", _refused_file(), "roll.csv", django_capture_on_commit_callbacks)
    roster_import = RosterImport.objects.get()
    admin.post("/hide-names/", {"next": "/dashboard/"})
    header, *rows = _csv(admin.get(reverse("roster:refused_csv", args=[roster_import.pk])))
    for field in ("legal_first_name", "legal_last_name", "date_of_birth"):
        assert {row[header.index(field)] for row in rows} == {MASK}


def test_staff_come_in_deactivated_and_one_button_activates_and_emails_them(
    admin, people, django_capture_on_commit_callbacks
):
    newcomers = [
        {
            "first_name": "Priya",
            "last_name": "Shah",
            "email": "priya.shah@example.org",
            "job_title": "Teaching assistant",
            "access_level": "Staff",
        },
        {
            "first_name": "Tomás",
            "last_name": "Ó Briain",
            "email": "tomas.obriain@example.org",
            "job_title": "Class teacher",
            "access_level": "Staff",
        },
    ]
    _upload(
        admin,
        "staff",
        exports.staff_csv(
            newcomers, fields=["first_name", "last_name", "email", "job_title", "access_level"]
        ),
        "staff.csv",
        django_capture_on_commit_callbacks,
    )
    roster_import = RosterImport.objects.get()
    assert roster_import.state == State.PREVIEW, roster_import.message
    assert roster_import.counts["new"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("roster:confirm", args=[roster_import.pk]), {})
    roster_import.refresh_from_db()
    assert roster_import.state == State.DONE
    added = User.objects.filter(email__in=[n["email"] for n in newcomers])
    assert sorted(u.is_active for u in added) == [False, False]
    page = admin.get(reverse("roster:detail", args=[roster_import.pk])).content.decode()
    assert "Activate and send first-time emails" in page
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("roster:invite", args=[roster_import.pk]))
    assert sorted(u.is_active for u in added.all()) == [True, True]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(n["email"] for n in newcomers)
    page = admin.get(reverse("roster:detail", args=[roster_import.pk])).content.decode()
    assert "Activate and send first-time emails" not in page
    # A second press sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("roster:invite", args=[roster_import.pk]))
    assert len(mail.outbox) == 2
