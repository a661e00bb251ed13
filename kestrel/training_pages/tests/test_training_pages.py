"""The training log's pages through the test client: requirements set in School set-up,
training recorded with its certificate (kept encrypted), lists, the member of staff's own view
on Account Settings, removal, the joining date, the compliance CSV, and the audit trail."""

import csv
import datetime
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.testing.factories import RequirementFactory, TrainingRecordFactory
from kestrel.training.models import AppliesTo, JoiningDate, Requirement, TrainingRecord
from kestrel.training.services import add_certificate

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Title (Level 3 DSL) >>\nendobj\n"


def date_fields(name: str, day: datetime.date) -> dict:
    return {f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year}


@pytest.fixture
def update(school):
    return RequirementFactory(school=school, name="Safeguarding update", renewal_months=12)


def actions(school) -> list[str]:
    return list(AuditEvent.objects.filter(school=school).values_list("action", flat=True))


def test_the_administrator_sets_a_requirement_in_school_set_up(school, people, signed_in):
    client = signed_in(people.admin)
    response = client.post(
        reverse("schools:add", args=["training"]),
        {
            "name": "DSL training",
            "applies_to": AppliesTo.DSL_TEAM,
            "renewal_months": "24",
            "induction_days": "0",
            "due_soon_days": "90",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    requirement = Requirement.objects.get(school=school)
    assert (requirement.name, requirement.renewal_months, requirement.due_soon_days) == (
        "DSL training",
        24,
        90,
    )
    listed = client.get(reverse("schools:section", args=["training"])).content.decode()
    assert "The DSL team (key holders)" in listed and "Every 2 years" in listed
    assert "requirement.added" in actions(school)


def test_a_requirement_of_job_titles_needs_them(school, people, signed_in):
    client = signed_in(people.admin)
    response = client.post(
        reverse("schools:add", args=["training"]),
        {
            "name": "Safer recruitment",
            "applies_to": AppliesTo.JOB_TITLES,
            "job_titles": "  ",
            "induction_days": "30",
            "due_soon_days": "30",
        },
    )
    assert response.status_code == 200
    assert "Enter at least one job title, one a line." in response.content.decode()
    assert not Requirement.objects.exists()


def test_training_is_recorded_with_its_certificate_kept_encrypted(
    school, people, signed_in, update
):
    client = signed_in(people.dsl)
    response = client.post(
        reverse("training_pages:record", args=[people.teacher.pk]),
        {
            "training": str(update.pk),
            **date_fields("completed_on", datetime.date(2026, 9, 3)),
            "provider": "Local authority",
            "certificate": SimpleUploadedFile("james cert.pdf", PDF),
        },
    )
    assert response.status_code == 302
    record = TrainingRecord.objects.get(staff=people.teacher)
    assert (record.course, record.requirement, record.provider) == (
        "Safeguarding update",
        update,
        "Local authority",
    )
    kept = record.certificate
    with default_storage.open(kept.stored_name, "rb") as stored:
        at_rest = stored.read()
    assert b"Level 3 DSL" not in at_rest and b"%PDF" not in at_rest
    download = client.get(reverse("training_pages:certificate", args=[record.pk]))
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert {"training.recorded", "training.certificate_added"} <= set(actions(school))
    assert "training.certificate_downloaded" in actions(school)


def test_the_same_training_on_the_same_day_is_refused_and_nothing_typed_is_lost(
    school, people, signed_in, update
):
    TrainingRecordFactory(
        requirement=update, staff=people.teacher, completed_on=datetime.date(2026, 9, 3)
    )
    response = signed_in(people.admin).post(
        reverse("training_pages:record", args=[people.teacher.pk]),
        {
            "training": str(update.pk),
            **date_fields("completed_on", datetime.date(2026, 9, 3)),
            "provider": "Safeguarding partnership",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "James Carter has this training on this date." in page
    assert 'value="Safeguarding partnership"' in page
    assert TrainingRecord.objects.count() == 1


def test_a_certificate_that_is_not_a_pdf_or_picture_is_refused_and_nothing_recorded(
    school, people, signed_in, update
):
    response = signed_in(people.admin).post(
        reverse("training_pages:record", args=[people.teacher.pk]),
        {
            "training": str(update.pk),
            **date_fields("completed_on", datetime.date(2026, 9, 3)),
            "certificate": SimpleUploadedFile("notes.txt", b"just some notes\n"),
        },
    )
    assert response.status_code == 200
    assert "is not a PDF or a picture" in response.content.decode()
    assert not TrainingRecord.objects.exists()


def test_other_training_needs_its_course_name_and_a_past_date(school, people, signed_in):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = signed_in(people.admin).post(
        reverse("training_pages:record", args=[people.teacher.pk]),
        {"training": "other", **date_fields("completed_on", tomorrow)},
    )
    page = response.content.decode()
    assert "Enter the course name." in page
    assert "Date completed must be today or in the past." in page


def test_staff_see_their_own_training_and_certificates_on_account_settings(
    school, people, signed_in, update, client
):
    own = TrainingRecordFactory(requirement=update, staff=people.teacher, provider="NSPCC")
    other = TrainingRecordFactory(requirement=update, staff=people.dsl)
    for training in (own, other):
        add_certificate(
            actor=people.admin,
            training=training,
            upload=SimpleUploadedFile("c.pdf", PDF),
        )
    signed_in(people.teacher)
    page = client.get(reverse("accounts:settings")).content.decode()
    assert "Your training" in page and "Safeguarding update" in page and "NSPCC" in page
    assert reverse("training_pages:certificate", args=[own.pk]) in page
    mine = client.get(reverse("training_pages:certificate", args=[own.pk]))
    assert b"".join(mine.streaming_content) == PDF
    assert client.get(reverse("training_pages:certificate", args=[other.pk])).status_code == 404
    assert client.get(reverse("training_pages:overview")).status_code == 403
    assert client.get(reverse("training_pages:staff", args=[people.teacher.pk])).status_code == 403


def test_a_record_removed_by_mistake_is_kept_marked_and_no_longer_counts(
    school, people, signed_in, update
):
    training = TrainingRecordFactory(requirement=update, staff=people.teacher)
    client = signed_in(people.dsl)
    response = client.post(
        reverse("training_pages:remove", args=[training.pk]),
        {"reason": "Recorded for the wrong person"},
    )
    assert response.status_code == 302
    training.refresh_from_db()
    assert training.removed_by == people.dsl
    assert training.removed_reason == "Recorded for the wrong person"
    page = client.get(reverse("training_pages:staff", args=[people.teacher.pk])).content.decode()
    assert "<del>Safeguarding update</del>" in page
    assert client.get(reverse("training_pages:remove", args=[training.pk])).status_code == 404


def test_the_joining_date_sets_when_induction_training_is_due(school, people, signed_in, update):
    client = signed_in(people.admin)
    response = client.post(
        reverse("training_pages:joined", args=[people.teacher.pk]),
        date_fields("joined_on", datetime.date(2026, 9, 1)),
    )
    assert response.status_code == 302
    assert JoiningDate.objects.get(staff=people.teacher).joined_on == datetime.date(2026, 9, 1)
    page = client.get(reverse("training_pages:staff", args=[people.teacher.pk])).content.decode()
    assert "1 Oct 2026" in page  # 30 days after joining


def test_the_lists_are_audited_when_viewed(school, people, signed_in, update):
    client = signed_in(people.dsl)
    assert client.get(reverse("training_pages:overview")).status_code == 200
    assert client.get(reverse("training_pages:staff_list")).status_code == 200
    assert client.get(reverse("training_pages:staff", args=[people.teacher.pk])).status_code == 200
    assert {
        "training.overview_viewed",
        "training.staff_list_viewed",
        "training.staff_viewed",
    } <= set(actions(school))


def test_the_compliance_csv_never_starts_a_cell_with_a_formula(school, people, signed_in):
    RequirementFactory(school=school, name='=HYPERLINK("http://evil","x")')
    people.teacher.job_title = "+cmd|' /C calc'!A0"
    people.teacher.first_name = "@SUM(1)"
    people.teacher.save()
    response = signed_in(people.admin).get(reverse("training_pages:compliance_csv"))
    assert response["Content-Disposition"].startswith("attachment")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Staff member", "Email address", "Job title", "Training"]
    cells = [cell for row in rows[1:] for cell in row]
    assert cells, "the list has rows"
    assert not [cell for cell in cells if cell[:1] in {"=", "+", "-", "@"}]
    assert '\'=HYPERLINK("http://evil","x")' in cells
    assert "'+cmd|' /C calc'!A0" in cells
    assert "training.compliance_exported" in actions(school)


def test_the_lists_narrow_to_one_training(school, people, signed_in, update):
    prevent = RequirementFactory(school=school, name="Prevent awareness", renewal_months=36)
    for requirement in (update, prevent):
        TrainingRecordFactory(
            requirement=requirement, staff=people.teacher, completed_on=datetime.date(2020, 1, 6)
        )
    client = signed_in(people.dsl)
    both = client.get(reverse("training_pages:overview"))
    assert {(s.staff, s.requirement) for s in both.context["overdue"]} >= {
        (people.teacher, update),
        (people.teacher, prevent),
    }
    one = client.get(reverse("training_pages:overview"), {"training": str(prevent.pk)})
    assert {s.requirement for s in one.context["overdue"]} == {prevent}
    assert "Showing Prevent awareness only." in one.content.decode()
    unknown = client.get(reverse("training_pages:overview"), {"training": "999999"})
    assert unknown.context["chosen"] == ""
