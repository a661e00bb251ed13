"""Importing training records from a file: a preview first (new, already recorded, refused with
why), nothing added until confirmed, nothing lost (refused rows download with their cells), and
the same file imported again adds nothing."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kestrel.audit.models import AuditEvent
from kestrel.testing.factories import RequirementFactory, UserFactory
from kestrel.training.models import TrainingImport, TrainingRecord

HEADER = "Email,Name,Course,Date completed,Provider\r\n"


@pytest.fixture
def update(school):
    return RequirementFactory(
        school=school,
        name="Safeguarding update",
        other_names="Annual safeguarding refresher\nKCSIE update",
    )


@pytest.fixture
def admin(signed_in, people):
    return signed_in(people.admin)


def upload(client, text: str, name="training.csv"):
    return client.post(
        reverse("training_pages:import"),
        {"file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")},
    )


def rows_by_number(training_import) -> dict[int, dict]:
    return {row["row"]: row for row in training_import.rows}


def test_the_preview_judges_each_row_and_adds_nothing(school, people, admin, update):
    UserFactory(school=school, first_name="Sam", last_name="Lee", email="sam.a@example.org")
    UserFactory(school=school, first_name="Sam", last_name="Lee", email="sam.b@example.org")
    UserFactory(
        school=school, first_name="Old", last_name="Hand", email="old@example.org", is_active=False
    )
    text = HEADER + (
        "james.carter@example.org,,Annual safeguarding refresher,03/09/2026,LA\r\n"  # 2
        ",Chloe Kelan,Prevent awareness,1 Sep 2025,Home Office\r\n"  # 3
        "nobody@example.org,,Safeguarding update,03/09/2026,\r\n"  # 4
        ",Sam Lee,Safeguarding update,03/09/2026,\r\n"  # 5
        "james.carter@example.org,,Safeguarding update,09/25/2026,\r\n"  # 6
        "james.carter@example.org,,Safeguarding update,03/09/2099,\r\n"  # 7
        "old@example.org,,Safeguarding update,03/09/2026,\r\n"  # 8
        "james.carter@example.org,,,03/09/2026,\r\n"  # 9
        "JAMES.CARTER@example.org,,safeguarding  UPDATE,2026-09-03,\r\n"  # 10: as row 2
        ",Nobody Here,Safeguarding update,03/09/2026,\r\n"  # 11
    )
    response = upload(admin, text)
    training_import = TrainingImport.objects.get(school=school)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "training_pages:import_preview", args=[training_import.pk]
    )
    rows = rows_by_number(training_import)
    assert (rows[2]["outcome"], rows[2]["staff_id"], rows[2]["course"]) == (
        "new",
        people.teacher.pk,
        "Safeguarding update",  # counted as the requirement its other name names
    )
    assert rows[2]["requirement_id"] == update.pk
    assert (rows[3]["outcome"], rows[3]["staff_id"], rows[3]["requirement_id"]) == (
        "new",
        people.dsl.pk,
        None,  # other training, kept as it was named
    )
    assert rows[3]["completed_on"] == "2025-09-01"
    reasons = {number: row["reason"] for number, row in rows.items() if row["outcome"] == "refused"}
    assert reasons == {
        4: "No member of staff has the email address nobody@example.org.",
        5: "2 members of staff are called Sam Lee: give their email address instead.",
        6: "“09/25/2026” looks like a date written month first, as in the United States. Write "
        "dates day first, as dd/mm/yyyy (25/09/2026 if that is the date meant).",
        7: "3 September 2099 is in the future: give the date it was completed.",
        8: "Old Hand’s account is deactivated. Activate it in School set-up, Staff, to record "
        "their training.",
        9: "No course given.",
        11: "No member of staff is called Nobody Here. Check the spelling, or give their email "
        "address.",
    }
    assert (rows[10]["outcome"], rows[10]["reason"]) == ("already", "The same as row 2.")
    assert training_import.counts == {"new": 2, "already": 1, "refused": 7}
    assert not TrainingRecord.objects.exists()

    page = admin.get(response["Location"]).content.decode()
    assert "Add 2 training records" in page
    assert "Other training: counts towards no requirement" in page
    assert "No member of staff has the email address nobody@example.org." in page


def test_confirming_adds_the_new_rows_and_importing_again_adds_nothing(
    school, people, admin, update
):
    text = HEADER + (
        "james.carter@example.org,,KCSIE update,03/09/2026,LA\r\n"
        "chloe.kelan@example.org,,Safeguarding update,04/09/2026,\r\n"
    )
    upload(admin, text)
    first = TrainingImport.objects.get()
    response = admin.post(reverse("training_pages:import_confirm", args=[first.pk]))
    assert response.status_code == 302
    records = TrainingRecord.objects.order_by("completed_on")
    assert [(r.staff, r.requirement, r.completed_on, r.imported_by) for r in records] == [
        (people.teacher, update, datetime.date(2026, 9, 3), first),
        (people.dsl, update, datetime.date(2026, 9, 4), first),
    ]
    events = AuditEvent.objects.filter(school=school)
    assert events.filter(action="training.imported").count() == 1
    assert events.filter(action="training.recorded").count() == 2
    # Confirming twice (a double click) adds nothing more.
    admin.post(reverse("training_pages:import_confirm", args=[first.pk]))
    assert TrainingRecord.objects.count() == 2

    upload(admin, text)
    again = TrainingImport.objects.exclude(pk=first.pk).get()
    assert again.counts == {"new": 0, "already": 2, "refused": 0}
    assert {row["reason"] for row in again.rows} == {"Already recorded."}
    admin.post(reverse("training_pages:import_confirm", args=[again.pk]))
    assert TrainingRecord.objects.count() == 2


def test_cancelling_adds_nothing(school, people, admin, update):
    upload(admin, HEADER + "james.carter@example.org,,Safeguarding update,03/09/2026,\r\n")
    training_import = TrainingImport.objects.get()
    admin.post(reverse("training_pages:import_cancel", args=[training_import.pk]))
    training_import.refresh_from_db()
    assert training_import.state == TrainingImport.State.CANCELLED
    admin.post(reverse("training_pages:import_confirm", args=[training_import.pk]))
    assert not TrainingRecord.objects.exists()


def test_refused_rows_download_with_their_reasons_and_cells_as_text(school, people, admin):
    text = HEADER + "=cmd|' /C calc'!A0,,Safeguarding update,03/09/2026,@evil\r\n"
    upload(admin, text)
    training_import = TrainingImport.objects.get()
    response = admin.get(reverse("training_pages:import_refused", args=[training_import.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Row",
        "Why it was refused",
        "Email",
        "Name",
        "Course",
        "Date completed",
        "Provider",
    ]
    assert rows[1][0] == "2"
    assert rows[1][1].startswith("“=cmd|' /C calc'!A0” is not an email address.")
    assert rows[1][2:] == ["'=cmd|' /C calc'!A0", "", "Safeguarding update", "03/09/2026", "'@evil"]
    assert AuditEvent.objects.filter(action="training.import_refused_downloaded").exists()


def test_a_file_without_the_columns_needed_is_refused_saying_which(school, people, admin):
    response = upload(admin, "Staff,When\r\nJames Carter,03/09/2026\r\n")
    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "“training.csv” has no column for Email address (or Name) or Course or Date completed."
        in page
    )
    assert not TrainingImport.objects.exists()


def test_a_file_that_is_not_a_table_is_refused_in_training_words(school, people, admin):
    response = upload(admin, "", name="empty.csv")
    page = response.content.decode()
    assert "“empty.csv” is empty." in page
    assert "students" not in page.split("govuk-error-summary")[1].split("</div>")[0]


def test_a_file_with_no_rows_is_refused(school, people, admin):
    response = upload(admin, HEADER)
    assert "“training.csv” has a header row but no rows of training under it." in (
        response.content.decode()
    )
    assert not TrainingImport.objects.exists()
