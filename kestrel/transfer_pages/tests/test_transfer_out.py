"""A leaver's transfer with the test client: marking as left starts it (due in 5 school days on
the school's calendar), sending is refused before the child has left, the paper route with its
receipt slip, the chase after 5 school days across a half-term, no destination, roster leavers,
the Dashboard's reminders and the transfer log."""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.core import mail
from pypdf import PdfReader

from kestrel.audit.models import AuditEvent
from kestrel.exports import services as exports_services
from kestrel.exports import storage
from kestrel.school_calendar.days import forget
from kestrel.school_calendar.models import Closure, Term
from kestrel.students.models import Student
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import IncidentFactory, StudentFactory
from kestrel.transfers import selectors, services
from kestrel.transfers.models import Destination, Route, State, Transfer

LONDON = zoneinfo.ZoneInfo("Europe/London")
# Autumn 2026 with its October half term (Monday 26 to Friday 30 October).
AUTUMN = (datetime.date(2026, 9, 2), datetime.date(2026, 12, 18))
HALF_TERM = (datetime.date(2026, 10, 26), datetime.date(2026, 10, 30))


@pytest.fixture
def calendar(school):
    Term.objects.create(school=school, name="Autumn 2026", starts_on=AUTUMN[0], ends_on=AUTUMN[1])
    Closure.objects.create(
        school=school,
        name="October half term",
        kind="half_term",
        starts_on=HALF_TERM[0],
        ends_on=HALF_TERM[1],
    )
    forget(school.pk)


@pytest.fixture
def hannah(school, people):
    child = StudentFactory(
        school=school,
        legal_first_name="Hannah",
        legal_last_name="Greenwood",
        tutor_group="1B",
        upn="A123456789012",
    )
    IncidentFactory(school=school, student=child, reporter=people.teacher, text="Hungry again.")
    return child


@pytest.fixture
def dsl(signed_in, people):
    return unlock_key(signed_in(people.dsl))


def date_fields(name: str, day: datetime.date) -> dict:
    return {f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year}


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=LONDON)


def test_marking_as_left_for_a_school_starts_a_transfer_due_in_five_school_days(
    dsl, hannah, calendar
):
    # Left on Thursday 22 October 2026: half term follows, so the 5th school day is Thursday
    # 5 November, not Thursday 29 October.
    with time_machine.travel(at(datetime.date(2026, 10, 23)), tick=False):
        response = dsl.post(
            f"/students/{hannah.pk}/file/leaving/",
            {
                **date_fields("left_on", datetime.date(2026, 10, 22)),
                "destination": "school",
                "destination_name": "Brook Academy",
                "destination_urn": "123456",
                "destination_email": "dsl@brook.example",
            },
        )
    transfer = Transfer.objects.get(student=hannah)
    assert response.status_code == 302
    assert response["Location"] == f"/transfers/{transfer.pk}/"
    assert transfer.state == State.DUE
    assert transfer.due_on == datetime.date(2026, 11, 5)
    assert transfer.destination_name == "Brook Academy"
    hannah.refresh_from_db()
    assert hannah.on_roll is False and hannah.left_on == datetime.date(2026, 10, 22)
    assert AuditEvent.objects.filter(action="transfer.started", student=hannah).count() == 1
    assert AuditEvent.objects.filter(action="student.marked_left", student=hannah).count() == 1


def test_a_refused_mark_as_left_keeps_what_was_typed(dsl, hannah):
    response = dsl.post(
        f"/students/{hannah.pk}/file/leaving/",
        {
            **date_fields("left_on", datetime.date.today()),
            "destination": "school",
            "destination_urn": "12",
            "destination_email": "dsl@brook.example",
        },
    )
    assert response.status_code == 200
    assert "Enter the new school&#x27;s name." in response.text
    assert "A URN is 6 digits" in response.text
    assert 'value="dsl@brook.example"' in response.text
    assert not Transfer.objects.filter(student=hannah).exists()


def test_a_child_with_no_file_is_marked_as_left_with_no_transfer(dsl, school):
    child = StudentFactory(school=school)
    response = dsl.post(
        f"/students/{child.pk}/file/leaving/",
        {**date_fields("left_on", datetime.date.today()), "destination": "home"},
    )
    assert response.status_code == 302
    assert not Transfer.objects.filter(student=child).exists()
    assert Student.objects.get(pk=child.pk).on_roll is False


def test_sending_before_the_child_has_left_is_refused(dsl, hannah, people):
    transfer = services.start(
        student=hannah,
        left_on=datetime.date.today(),
        destination=Destination.SCHOOL,
        details={"destination_name": "Brook Academy"},
        actor=people.dsl,
    )
    assert hannah.on_roll  # started (say by a roster import's leaving date) but still on roll
    with pytest.raises(services.NotLeft):
        services.record_sent(transfer=transfer, actor=people.dsl, route=Route.PAPER)
    page = dsl.get(f"/transfers/{transfer.pk}/")
    assert "The child has not left yet" in page.text
    assert "Prepare the file" not in page.text
    dsl.post(f"/transfers/{transfer.pk}/prepare/")
    dsl.post(f"/transfers/{transfer.pk}/paper/", {"how": "By secure courier"})
    transfer.refresh_from_db()
    assert transfer.state == State.DUE and transfer.export is None and transfer.sent_at is None


def test_the_paper_route_prints_a_receipt_slip_and_records_the_signed_slip(
    dsl, hannah, people, django_capture_on_commit_callbacks
):
    transfer = services.mark_left(
        actor=people.dsl,
        student=hannah,
        left_on=datetime.date.today(),
        destination=Destination.SCHOOL,
        details={"destination_name": "Brook Academy", "destination_email": "dsl@brook.example"},
    )
    with django_capture_on_commit_callbacks(execute=True):  # the export task runs
        dsl.post(f"/transfers/{transfer.pk}/prepare/")
    transfer.refresh_from_db()
    assert transfer.export.state == "done"
    page = dsl.get(f"/transfers/{transfer.pk}/")
    assert "Download the file to print" in page.text
    download = dsl.get(f"/transfers/{transfer.pk}/paper/")
    pdf = PdfReader(io.BytesIO(b"".join(download.streaming_content)))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Receipt slip: child protection file" in pdf.pages[-1].extract_text()
    assert f"T-{hannah.school_id}-{transfer.pk}" in text
    assert "Sent to Brook Academy" in text
    assert "Hungry again." in text
    assert AuditEvent.objects.filter(action="export.downloaded", student=hannah).exists()

    dsl.post(f"/transfers/{transfer.pk}/paper/", {"how": "By recorded or special delivery post"})
    transfer.refresh_from_db()
    assert transfer.state == State.SENT and transfer.route == Route.PAPER
    assert transfer.sent_by == people.dsl
    assert transfer.package_sha256 == transfer.export.sha256

    refused = dsl.post(f"/transfers/{transfer.pk}/paper/receipt/", {"name": "", "role": "DSL"})
    assert refused.status_code == 200 and 'value="DSL"' in refused.text
    signed = datetime.date.today()
    dsl.post(
        f"/transfers/{transfer.pk}/paper/receipt/",
        {"name": "Sam Patel", "role": "DSL, Brook Academy", **date_fields("signed_on", signed)},
    )
    transfer.refresh_from_db()
    assert transfer.state == State.RECEIVED
    assert transfer.acknowledged_by_name == "Sam Patel"
    assert transfer.acknowledged_at.date() == signed
    assert transfer.recorded_by == people.dsl
    log = dsl.get("/transfers/")
    assert "Sam Patel" in log.text and "Receipt confirmed" in log.text


def test_no_receipt_after_five_school_days_across_half_term_is_chased_once(
    dsl, hannah, people, calendar, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(datetime.date(2026, 10, 21)), tick=False):  # a Wednesday
        transfer = services.mark_left(
            actor=people.dsl,
            student=hannah,
            left_on=datetime.date(2026, 10, 20),
            destination=Destination.SCHOOL,
            details={"destination_name": "Brook Academy"},
        )
        services.record_sent(transfer=transfer, actor=people.dsl, route=Route.PAPER, how="By hand")
    transfer.refresh_from_db()
    # Thursday 22, Friday 23, (half term), Monday 2, Tuesday 3, Wednesday 4 November.
    assert transfer.chase_on == datetime.date(2026, 11, 4)

    with time_machine.travel(at(datetime.date(2026, 11, 3)), tick=False):
        assert services.chase_transfers() == "0 transfers chased"
        assert selectors.team_counts(hannah.school_id).chase == 0
    assert mail.outbox == []
    with (
        time_machine.travel(at(datetime.date(2026, 11, 4)), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.chase_transfers() == "1 transfers chased"
        assert services.chase_transfers() == "0 transfers chased"  # once only
        assert selectors.team_counts(hannah.school_id).chase == 1
    dashboard = dsl.get("/dashboard/")  # today, later still
    assert "1 file sent with no receipt after 5 school days" in dashboard.text
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [people.dsl.email]
    assert "no confirmation of receipt after 5 school days" in email.body
    assert f"/transfers/{transfer.pk}/" in email.body
    assert "Hannah" not in email.body and "Greenwood" not in email.body + email.subject
    assert AuditEvent.objects.filter(action="transfer.chased", student=hannah).count() == 1


def test_a_leaver_with_no_destination_keeps_the_file_and_the_local_authority_is_told(
    dsl, hannah, people
):
    response = dsl.post(
        f"/students/{hannah.pk}/file/leaving/",
        {**date_fields("left_on", datetime.date.today()), "destination": "missing"},
    )
    transfer = Transfer.objects.get(student=hannah)
    assert transfer.state == State.INFORM
    assert "Tell the local authority" in dsl.get(response["Location"]).text
    assert "with no school to go to: tell the local authority" in dsl.get("/dashboard/").text
    dsl.post(
        f"/transfers/{transfer.pk}/informed/",
        {
            **date_fields("informed_on", datetime.date.today()),
            "whom": "Children missing education officer, by phone.",
        },
    )
    transfer.refresh_from_db()
    assert transfer.state == State.INFORMED
    assert transfer.informed_by == people.dsl
    assert "tell the local authority" not in dsl.get("/dashboard/").text


def test_leavers_from_a_roster_import_get_a_transfer_waiting_for_their_destination(
    dsl, hannah, school
):
    quiet = StudentFactory(school=school)  # no file: nothing to send
    today = datetime.date.today()
    Student.objects.filter(pk__in=[hannah.pk, quiet.pk]).update(on_roll=False, left_on=today)
    assert services.start_for_leavers(school.pk) == 1
    assert services.start_for_leavers(school.pk) == 0  # once
    transfer = Transfer.objects.get(student=hannah)
    assert transfer.state == State.NEEDS_DESTINATION and transfer.started_how == "roster"
    assert not Transfer.objects.filter(student=quiet).exists()
    assert "record where they have gone" in dsl.get("/dashboard/").text
    dsl.post(
        f"/transfers/{transfer.pk}/destination/",
        {"destination": "school", "destination_name": "Brook Academy"},
    )
    transfer.refresh_from_db()
    assert transfer.state == State.DUE and transfer.destination_name == "Brook Academy"


def test_an_overdue_transfer_shows_on_the_dashboard_and_in_the_log(dsl, hannah, people):
    left = datetime.date.today() - datetime.timedelta(days=30)
    transfer = services.mark_left(
        actor=people.dsl,
        student=hannah,
        left_on=left,
        destination=Destination.SCHOOL,
        details={"destination_name": "Brook Academy"},
    )
    assert transfer.due_on < datetime.date.today()
    assert "1 file not sent within 5 school days" in dsl.get("/dashboard/").text
    log = dsl.get("/transfers/")
    assert "Hannah Greenwood (1B)" in log.text and "Overdue" in log.text
    assert AuditEvent.objects.filter(action="transfer.log_viewed").exists()


def test_teachers_see_no_transfer_reminders(signed_in, people, hannah):
    services.mark_left(
        actor=people.dsl,
        student=hannah,
        left_on=datetime.date.today() - datetime.timedelta(days=30),
        destination=Destination.SCHOOL,
        details={"destination_name": "Brook Academy"},
    )
    teacher = signed_in(people.teacher)
    assert "not sent within 5 school days" not in teacher.get("/dashboard/").text
    assert teacher.get("/transfers/").status_code == 403


def test_the_transfer_page_polls_while_the_file_is_made_and_reloads_once_it_is_ready(
    dsl, hannah, people, django_capture_on_commit_callbacks
):
    transfer = services.mark_left(
        actor=people.dsl,
        student=hannah,
        left_on=datetime.date.today(),
        destination=Destination.SCHOOL,
        details={"destination_name": "Brook Academy"},
    )
    with django_capture_on_commit_callbacks(execute=False):  # the task queued, not yet run
        dsl.post(f"/transfers/{transfer.pk}/prepare/")
    progress = f"/transfers/{transfer.pk}/?progress=1"
    making = dsl.get(progress, headers={"HX-Request": "true"})
    assert making.status_code == 200 and "Making the file" in making.text
    assert 'hx-trigger="every 2s"' in making.text
    transfer.refresh_from_db()
    exports_services.make(transfer.export)
    # Made: the whole page reloads, for the ways to send it appear below the file.
    ready = dsl.get(progress, headers={"HX-Request": "true"})
    assert (ready.status_code, ready["HX-Refresh"]) == (204, "true")
    assert "Download the file to print" in dsl.get(f"/transfers/{transfer.pk}/").text


def test_the_stored_export_of_a_transfer_is_the_whole_file(
    dsl, hannah, people, django_capture_on_commit_callbacks
):
    transfer = services.mark_left(
        actor=people.dsl,
        student=hannah,
        left_on=datetime.date.today(),
        destination=Destination.SCHOOL,
        details={"destination_name": "Brook Academy"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        dsl.post(f"/transfers/{transfer.pk}/prepare/")
    transfer.refresh_from_db()
    assert transfer.export.redacted is False
    stored = b"".join(storage.pieces(transfer.export.stored_name))
    assert stored.startswith(b"%PDF")


def test_the_sender_is_emailed_when_the_receiving_dsl_confirms_receipt(
    hannah, people, django_capture_on_commit_callbacks
):
    transfer = services.mark_left(
        actor=people.dsl,
        student=hannah,
        left_on=datetime.date.today(),
        destination=Destination.SCHOOL,
        details={"destination_name": "Brook Academy"},
    )
    services.record_sent(transfer=transfer, actor=people.dsl, route=Route.LINK)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_receipt(
            transfer=transfer, name="Sam Patel", role="DSL", how="Confirmed at the download link"
        )
        services.record_receipt(  # confirming twice changes nothing and tells no one again
            transfer=transfer, name="Someone Else", how="Confirmed at the download link"
        )
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [people.dsl.email]
    assert "Sam Patel (DSL) confirmed receipt" in email.body
    assert "Hannah" not in email.body + email.subject
    transfer.refresh_from_db()
    assert transfer.acknowledged_by_name == "Sam Patel"


def test_after_receipt_the_dsl_records_what_was_done_with_the_schools_copy(
    dsl, hannah, people, school
):
    school.transfer_copy_policy = "keep_chronology"
    school.transfer_copy_years = 6
    school.save()
    left = datetime.date(2026, 7, 17)
    transfer = services.mark_left(
        actor=people.dsl,
        student=hannah,
        left_on=left,
        destination=Destination.SCHOOL,
        details={"destination_name": "Brook Academy"},
    )
    refused = dsl.post(
        f"/transfers/{transfer.pk}/copy/",
        {**date_fields("done_on", datetime.date.today()), "note": "Shredded."},
    )
    assert refused.status_code == 302
    transfer.refresh_from_db()
    assert transfer.copy_done_on is None  # not before receipt
    services.record_sent(transfer=transfer, actor=people.dsl, route=Route.PAPER, how="By hand")
    transfer.refresh_from_db()
    assert (transfer.copy_policy, transfer.copy_kept_until) == (
        "keep_chronology",
        datetime.date(2032, 7, 17),
    )
    services.record_receipt(transfer=transfer, name="Sam Patel", how="Signed slip")
    page = dsl.get(f"/transfers/{transfer.pk}/")
    assert "keep the chronology only, for a set time, until 17 July 2032" in page.text
    dsl.post(
        f"/transfers/{transfer.pk}/copy/",
        {
            **date_fields("done_on", datetime.date.today()),
            "note": "Printed copy shredded; chronology kept in Kestrel.",
        },
    )
    transfer.refresh_from_db()
    assert transfer.copy_note == "Printed copy shredded; chronology kept in Kestrel."
    assert transfer.copy_recorded_by == people.dsl
    assert AuditEvent.objects.filter(action="transfer.copy_recorded", student=hannah).exists()


def test_a_leaver_with_no_school_shows_the_professionals_to_tell(dsl, hannah, people):
    from kestrel.key_facts.services import add_professional

    add_professional(
        actor=people.dsl,
        student=hannah,
        role="social_worker",
        name="Priya Shah",
    )
    transfer = services.mark_left(
        actor=people.dsl, student=hannah, left_on=datetime.date.today(), destination="abroad"
    )
    page = dsl.get(f"/transfers/{transfer.pk}/")
    assert "Priya Shah, Social worker" in page.text
