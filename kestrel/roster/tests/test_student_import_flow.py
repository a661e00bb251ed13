"""Students from a CSV, through the pages: upload, preview, confirm, re-import."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kestrel.audit.models import AuditEvent
from kestrel.roster.models import Outcome, RosterImport, RosterRow, State
from kestrel.students.models import Student
from kestrel.students.upn import make_upn
from kestrel.testing.factories import StudentFactory

HEADER = "Adno,UPN,Legal Surname,Legal Forename,Preferred Forename,DOB,Year,Reg Group,Gender\n"


def row(adno, upn, last, first, born, year, group, gender="F", preferred=""):
    return f"{adno},{upn},{last},{first},{preferred},{born},{year},{group},{gender}\n"


def upload(client, text: str, *, whole=True, name="students.csv"):
    data = {"file": SimpleUploadedFile(name, text.encode("utf-8-sig"), "text/csv")}
    if whole:
        data["whole_roster"] = "on"
    return client.post(reverse("roster:upload", args=["students"]), data)


@pytest.fixture
def admin(people, signed_in):
    return signed_in(people.admin)


@pytest.fixture
def roll(school):
    """Three students on roll, with UPNs."""
    return [
        StudentFactory(
            school=school,
            legal_first_name=first,
            legal_last_name=last,
            upn=make_upn(201, 3000, 18, serial),
            date_of_birth=datetime.date(2015, 5, serial),
            year_group=4,
            tutor_group="4A",
            mis_id=f"100{serial}",
            gender=gender,
        )
        for serial, (first, last, gender) in enumerate(
            [("Hannah", "Greenwood", "F"), ("Amir", "Hussain", "M"), ("Zoë", "Adeyemi", "F")],
            start=1,
        )
    ]


def _run(django_capture_on_commit_callbacks, action):
    with django_capture_on_commit_callbacks(execute=True):
        return action()


def test_a_whole_roster_file_adds_changes_and_marks_leavers(
    admin, roll, django_capture_on_commit_callbacks
):
    hannah, amir, zoe = roll
    text = (
        HEADER
        + row("1001", hannah.upn, "Greenwood", "Hannah", "01/05/2015", "4", "4B")  # group changes
        + row("1002", amir.upn, "Hussain", "Amir", "02/05/2015", "Year 4", "4A", "M")  # unchanged
        + row("1004", make_upn(201, 3000, 18, 9), "Nuñez", "Lucía", "2016-09-01", "3", "3C")
    )  # Zoë is not in the file: she is leaving
    response = _run(django_capture_on_commit_callbacks, lambda: upload(admin, text))
    roster_import = RosterImport.objects.get()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert roster_import.state == State.PREVIEW, roster_import.message
    counts = roster_import.counts
    assert (counts["new"], counts["changed"], counts["unchanged"], counts["leaving"]) == (
        1,
        1,
        1,
        1,
    )
    page = admin.get(reverse("roster:detail", args=[roster_import.pk])).content.decode()
    assert "Lucía Nuñez" in page and "4A → <strong>4B</strong>" in page
    assert "Zoë Adeyemi" in page
    assert Student.objects.get(pk=hannah.pk).tutor_group == "4A"  # nothing changed yet

    # One of three leaving is more than one in ten: asked twice.
    once = admin.post(reverse("roster:confirm", args=[roster_import.pk]), {})
    assert once.status_code == 400
    assert "More than one in ten are leaving" in once.content.decode()
    _run(
        django_capture_on_commit_callbacks,
        lambda: admin.post(
            reverse("roster:confirm", args=[roster_import.pk]), {"confirm_leavers": "on"}
        ),
    )
    roster_import.refresh_from_db()
    assert roster_import.state == State.DONE
    assert Student.objects.get(pk=hannah.pk).tutor_group == "4B"
    zoe.refresh_from_db()
    assert (zoe.on_roll, zoe.left_on) == (False, datetime.date.today())
    lucia = Student.objects.get(legal_last_name="Nuñez")
    assert (lucia.year_group, lucia.tutor_group, lucia.gender) == (3, "3C", "F")
    assert AuditEvent.objects.filter(action="roster.imported").count() == 1
    assert AuditEvent.objects.filter(action="student.added", student=lucia).count() == 1
    assert AuditEvent.objects.filter(action="student.left", student=zoe).count() == 1

    # The same file again changes nothing.
    _run(django_capture_on_commit_callbacks, lambda: upload(admin, text))
    again = RosterImport.objects.exclude(pk=roster_import.pk).get()
    assert again.state == State.PREVIEW
    assert (again.counts["new"], again.counts["changed"], again.counts["leaving"]) == (0, 0, 0)
    assert again.counts["unchanged"] == 3
    assert not RosterRow.objects.filter(roster_import=again).exists()


def test_a_partial_file_makes_nobody_leave(admin, roll, django_capture_on_commit_callbacks):
    text = HEADER + row("1004", make_upn(201, 3000, 18, 9), "Nuñez", "Lucía", "1/9/2016", "3", "3C")
    _run(django_capture_on_commit_callbacks, lambda: upload(admin, text, whole=False))
    roster_import = RosterImport.objects.get()
    assert roster_import.counts["leaving"] == 0
    assert roster_import.counts["new"] == 1


def test_a_name_and_birthday_match_is_held_never_merged(
    admin, roll, django_capture_on_commit_callbacks
):
    hannah = roll[0]
    old_upn = hannah.upn
    other_upn = make_upn(202, 4000, 18, 5)
    text = HEADER + row("2001", other_upn, "Greenwood", "Hannah", "01/05/2015", "4", "4A")
    _run(django_capture_on_commit_callbacks, lambda: upload(admin, text, whole=False))
    roster_import = RosterImport.objects.get()
    held = RosterRow.objects.get(roster_import=roster_import)
    assert (held.outcome, held.student_id) == (Outcome.HELD, hannah.pk)
    admin.post(reverse("roster:decide", args=[roster_import.pk, held.pk]), {"decision": "same"})
    _run(
        django_capture_on_commit_callbacks,
        lambda: admin.post(reverse("roster:confirm", args=[roster_import.pk]), {}),
    )
    hannah.refresh_from_db()
    assert hannah.upn == other_upn
    assert hannah.former_upns.split() == [old_upn]
    assert Student.objects.count() == 3


def test_refused_rows_are_imported_only_when_the_administrator_says(
    admin, roll, django_capture_on_commit_callbacks
):
    bad_upn = "B" + make_upn(201, 3000, 18, 9)[1:]
    text = (
        HEADER
        + row("1004", make_upn(201, 3000, 18, 9), "Nuñez", "Lucía", "1/9/2016", "3", "3C")
        + row("1005", bad_upn, "Okafor", "Chidi", "1/9/2016", "3", "3C")
        + row("1006", "", "Future", "Child", "1/9/2099", "3", "3C")
    )
    _run(django_capture_on_commit_callbacks, lambda: upload(admin, text, whole=False))
    roster_import = RosterImport.objects.get()
    reasons = dict(RosterRow.objects.filter(outcome=Outcome.REFUSED).values_list("row", "reason"))
    assert "check letter" in reasons[3]
    assert reasons[4] == "Date of birth 01/09/2099 is in the future."
    refused = admin.post(reverse("roster:confirm", args=[roster_import.pk]), {})
    assert refused.status_code == 400
    assert "tick the box to import the others" in refused.content.decode()
    assert Student.objects.count() == 3
    _run(
        django_capture_on_commit_callbacks,
        lambda: admin.post(
            reverse("roster:confirm", args=[roster_import.pk]), {"leave_out_refused": "on"}
        ),
    )
    assert Student.objects.count() == 4


def test_a_row_that_clashes_at_apply_time_is_left_out_and_the_rest_applied(
    admin, roll, school, django_capture_on_commit_callbacks
):
    """A UPN taken by a student added by hand after the preview: that row alone is left out,
    said so, and the chunk's other rows (a joiner and a change) are applied all the same."""
    hannah = roll[0]
    taken = make_upn(201, 3000, 18, 9)
    text = (
        HEADER
        + row("1001", hannah.upn, "Greenwood", "Hannah", "01/05/2015", "4", "4B", "F")
        + row("1004", taken, "Nuñez", "Lucía", "1/9/2016", "3", "3C")
        + row("1005", make_upn(201, 3000, 18, 10), "Okafor", "Chidi", "2/9/2016", "3", "3C")
    )
    _run(django_capture_on_commit_callbacks, lambda: upload(admin, text, whole=False))
    roster_import = RosterImport.objects.get()
    StudentFactory(school=school, upn=taken, legal_last_name="Added-By-Hand")
    _run(
        django_capture_on_commit_callbacks,
        lambda: admin.post(reverse("roster:confirm", args=[roster_import.pk]), {}),
    )
    roster_import.refresh_from_db()
    assert roster_import.state == State.DONE
    assert (roster_import.counts["added"], roster_import.counts["changed"]) == (1, 1)
    assert roster_import.counts["not_applied"] == 1
    clash = RosterRow.objects.get(roster_import=roster_import, row=3)
    assert clash.skipped == "Another student now has this UPN: nothing was changed."
    assert Student.objects.get(pk=hannah.pk).tutor_group == "4B"
    assert Student.objects.filter(legal_last_name="Okafor").count() == 1
    assert not Student.objects.filter(legal_last_name="Nuñez").exists()


def test_an_imported_change_is_on_the_students_own_audit_trail(
    admin, roll, people, client, django_capture_on_commit_callbacks
):
    from kestrel.testing.auth import sign_in_fully, unlock_key

    hannah = roll[0]
    text = HEADER + row("1001", hannah.upn, "Greenwood", "Hannah", "01/05/2015", "4", "4B", "F")
    _run(django_capture_on_commit_callbacks, lambda: upload(admin, text, whole=False))
    roster_import = RosterImport.objects.get()
    _run(
        django_capture_on_commit_callbacks,
        lambda: admin.post(reverse("roster:confirm", args=[roster_import.pk]), {}),
    )
    sign_in_fully(client, people.dsl)
    unlock_key(client)
    page = client.get(reverse("audit:student", args=[hannah.pk])).content.decode()
    assert "Changed a student’s details" in page
    assert people.admin.full_name in page


def test_the_preview_reads_as_many_queries_for_one_row_as_for_many(
    admin, roll, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_preview(count: int, start: int, changed: int) -> int:
        text = HEADER + "".join(
            row(f"9{n}", make_upn(203, 5000, 19, n), "Nuñez", f"Child{n}", "1/9/2016", "3", "3C")
            for n in range(start, start + count)
        )
        for student in roll[:changed]:  # each moved to 4B: a change naming its student
            text += row(
                student.mis_id,
                student.upn,
                student.legal_last_name,
                student.legal_first_name,
                student.date_of_birth.strftime("%d/%m/%Y"),
                "4",
                "4B",
                student.gender,
            )
        _run(django_capture_on_commit_callbacks, lambda: upload(admin, text, whole=False))
        roster_import = RosterImport.objects.order_by("-pk").first()
        url = reverse("roster:detail", args=[roster_import.pk])
        admin.get(url)  # the first visit warms the session and template caches
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(url).status_code == 200
        return len(captured)

    assert queries_for_preview(1, 1, changed=1) == queries_for_preview(40, 100, changed=3)


def test_a_leaver_with_a_child_protection_file_gets_a_transfer_for_the_dsl_team(
    admin, roll, people, django_capture_on_commit_callbacks
):
    from kestrel.testing.factories import IncidentFactory
    from kestrel.transfers.models import State as TransferState
    from kestrel.transfers.models import Transfer

    hannah, amir, zoe = roll
    IncidentFactory(school=zoe.school, student=zoe, reporter=people.teacher)
    text = HEADER + "".join(
        row(
            f"100{n}",
            child.upn,
            child.legal_last_name,
            child.legal_first_name,
            f"0{n}/05/2015",
            "4",
            "4A",
            child.gender,
        )
        for n, child in ((1, hannah), (2, amir))
    )  # Zoë, who has a file, and no one else is leaving
    _run(django_capture_on_commit_callbacks, lambda: upload(admin, text))
    roster_import = RosterImport.objects.get()
    _run(
        django_capture_on_commit_callbacks,
        lambda: admin.post(
            reverse("roster:confirm", args=[roster_import.pk]), {"confirm_leavers": "on"}
        ),
    )
    transfer = Transfer.objects.get()
    assert transfer.student == zoe and transfer.state == TransferState.NEEDS_DESTINATION
    assert transfer.left_on == datetime.date.today() and transfer.started_how == "roster"
