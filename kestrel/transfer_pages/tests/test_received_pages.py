"""Files received from another school on Kestrel, through their pages: matched by hand when held,
accepted (the records join the child's chronology read-only, labelled "From <school>" with their
original authors and dates), refused, reviewed; downloads; refusals for anyone but the school's
key holders; the audit trail never holds the records' text."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.casefile.models import CORRECTABLE, CaseEvent
from kestrel.students.upn import make_upn
from kestrel.testing.auth import sign_in_fully, unlock_key
from kestrel.testing.factories import AccessLevelFactory, StudentFactory, UserFactory
from kestrel.transfer_pages.tests.packages import ATTACHMENT, CASE_EVENT, INCIDENT, PDF, deliver
from kestrel.transfers.models import ReceivedState

pytestmark = pytest.mark.django_db

UPN = make_upn(886, 2417, 21, 911)
OTHER_UPN = make_upn(886, 2417, 21, 912)
FROM = "Oakfield Primary School"


@pytest.fixture(autouse=True)
def receipts(monkeypatch):
    """The receipts sent back to the sending school (kestrel.transfer_pages.delivery, tested
    there), by received file id."""
    sent = []
    monkeypatch.setattr(
        "kestrel.transfer_pages.receiving.send_receipt", lambda received: sent.append(received.pk)
    )
    return sent


@pytest.fixture
def hannah(school):
    return StudentFactory(
        school=school,
        legal_first_name="Hannah",
        legal_last_name="Fenton",
        tutor_group="3A",
        upn=UPN,
    )


@pytest.fixture
def dsl(signed_in, people):
    return unlock_key(signed_in(people.dsl))


@pytest.fixture
def senco(school, levels):
    return UserFactory(
        school=school,
        first_name="Sam",
        last_name="Senco",
        email="sam.senco@example.org",
        job_title="SENCO",
        access_level=levels.staff,
    )


def received_url(received, action=""):
    return f"/transfers/received/{received.pk}/{action + '/' if action else ''}"


def test_the_list_shows_files_to_act_on_and_is_audited(dsl, hannah, school):
    waiting = deliver(school, upn=UPN)
    held = deliver(school, upn=OTHER_UPN, reference="77")

    response = dsl.get("/transfers/received/")

    assert response.status_code == 200
    assert received_url(waiting) in response.text
    assert received_url(held) in response.text
    assert "Hannah Fenton (3A)" in response.text  # the matched student
    assert "Not matched" in response.text and "To accept" in response.text
    assert AuditEvent.objects.filter(action="transfer.received_listed").count() == 1


def test_a_file_page_shows_the_sender_the_child_and_the_records(dsl, hannah, school):
    received = deliver(school, upn=UPN)

    response = dsl.get(received_url(received))

    text = response.text
    assert response.status_code == 200
    assert f"Child protection file from {FROM}" in text
    assert "Dev Patel" in text  # who sent it
    assert "27 March 2017" in text and UPN in text
    assert "Neglect, Physical abuse &gt; Bruising" in text
    assert CASE_EVENT["summary"] in text
    assert "minutes.pdf" in text
    assert "Accept file" in text
    event = AuditEvent.objects.get(action="transfer.received_viewed")
    assert (event.object_id, event.student_id) == (str(received.pk), hannah.pk)


def test_accepting_adds_read_only_entries_labelled_with_the_sending_school(
    dsl, hannah, school, people, receipts
):
    received = deliver(school, upn=UPN)

    response = dsl.post(received_url(received, "accept"), {})

    assert response.status_code == 302
    assert receipts == [received.pk]  # receipt confirmed by accepting, and only then
    received.refresh_from_db()
    assert received.state == ReceivedState.ACCEPTED
    assert received.accepted_by == people.dsl and received.accepted_at is not None
    from_file = CaseEvent.objects.filter(student=hannah, source_school=FROM).order_by("happened_at")
    incident, event = list(from_file)
    # The original authors and dates, not the key holder's nor today's.
    assert (incident.author_name, incident.author_role) == ("Rhiannon Price", "Class teacher")
    assert incident.happened_on == datetime.date(2025, 11, 3)
    assert incident.recorded_at == datetime.datetime(2025, 11, 3, 12, 40, tzinfo=datetime.UTC)
    assert incident.author == people.dsl  # who accepted it here
    assert (event.author_name, event.happened_on) == ("Dev Patel", datetime.date(2025, 11, 10))
    assert event.summary == CASE_EVENT["summary"]
    # Everything the incident holds, the correction beside the original.
    for text in (
        INCIDENT["text"],
        INCIDENT["corrections"][0]["text"],
        "Wrong place on the arm",
        INCIDENT["child_words"],
        "Teaching assistant",
        "1. Front: Bruise, 3 cm",
        "Action by Dev Patel",
        "Referred to children's social care.",
        "minutes.pdf",
    ):
        assert text in incident.detail
    # Read-only: no correction for their kind of record; seen by the DSL team only.
    assert incident.record_type not in CORRECTABLE
    assert incident.required_rank == 40
    # This school's own line says the file arrived.
    assert CaseEvent.objects.filter(student=hannah, kind="file_received", source_school="").exists()

    chronology = dsl.get(f"/students/{hannah.pk}/").text
    assert f"From {FROM}" in chronology
    assert "Rhiannon Price, Class teacher" in chronology
    assert "3 November 2025" in chronology
    assert INCIDENT["text"] in chronology
    assert "/file/correct/received/" not in chronology


def test_received_entries_are_hidden_from_key_holders_below_the_dsl_team(
    client, dsl, hannah, school, levels
):
    received = deliver(school, upn=UPN)
    dsl.post(received_url(received, "accept"), {})
    deputy = UserFactory(school=school, access_level=levels.staff, is_key_holder=True)
    client.logout()
    sign_in_fully(client, deputy)
    unlock_key(client)

    response = client.get(f"/students/{hannah.pk}/")

    assert response.status_code == 200 and "Hannah Fenton" in response.text
    assert INCIDENT["text"] not in response.text
    assert f"From {FROM}" not in response.text


def test_accepting_alerts_the_colleagues_chosen_without_naming_the_child(
    dsl, hannah, school, senco, django_capture_on_commit_callbacks
):
    received = deliver(school, upn=UPN)

    with django_capture_on_commit_callbacks(execute=True):
        dsl.post(received_url(received, "accept"), {"also_alert": [senco.pk]})

    sent = [email for email in mail.outbox if email.to == [senco.email]]
    assert len(sent) == 1
    assert "Chloe Kelan" in sent[0].body and FROM in sent[0].body
    for text in ("Hannah", "Fenton", UPN):
        assert text not in sent[0].subject + sent[0].body
    event = AuditEvent.objects.get(action="transfer.file_accepted")
    assert event.detail == {"records": 2, "alerted": [senco.pk]}


def test_a_held_file_is_matched_by_hand_then_accepted(dsl, school, people):
    # The school has her under a UPN the sending school never knew.
    hannah = StudentFactory(school=school, upn=OTHER_UPN, date_of_birth=datetime.date(2017, 3, 27))
    received = deliver(school, upn=UPN)
    assert received.state == ReceivedState.HELD

    page = dsl.get(received_url(received)).text
    assert "Same date of birth" in page and f'value="{hannah.pk}"' in page
    assert "Accept file" not in page

    response = dsl.post(received_url(received, "match"), {"student": hannah.pk})
    assert response.status_code == 302
    received.refresh_from_db()
    assert (received.state, received.student) == (ReceivedState.WAITING, hannah)
    matched = AuditEvent.objects.get(action="transfer.file_matched")
    assert (matched.student_id, matched.detail) == (hannah.pk, {"by_upn": False})

    dsl.post(received_url(received, "accept"), {})
    received.refresh_from_db()
    assert received.state == ReceivedState.ACCEPTED
    assert CaseEvent.objects.filter(student=hannah, source_school=FROM).count() == 2


def test_a_held_file_is_matched_by_the_upn_typed(dsl, school, hannah):
    received = deliver(school, upn="", reference="51")

    dsl.post(received_url(received, "match"), {"upn": UPN.lower()})

    received.refresh_from_db()
    assert received.student == hannah


def test_matching_with_nothing_chosen_or_an_unknown_upn_says_so(dsl, school, hannah):
    received = deliver(school, upn="", reference="52")

    nothing = dsl.post(received_url(received, "match"), {})
    unknown = dsl.post(received_url(received, "match"), {"upn": OTHER_UPN})

    assert "Choose a student, or enter their UPN." in nothing.text
    assert "No student here has this UPN." in unknown.text
    assert f'value="{OTHER_UPN}"' in unknown.text  # what was typed is kept
    received.refresh_from_db()
    assert (received.state, received.student) == (ReceivedState.HELD, None)


def test_a_held_file_cannot_be_accepted(dsl, school, receipts):
    received = deliver(school, upn=UPN)

    response = dsl.post(received_url(received, "accept"), {})

    assert "Only a file matched to a student and waiting can be accepted." in response.text
    received.refresh_from_db()
    assert received.state == ReceivedState.HELD
    assert not CaseEvent.objects.filter(source_school=FROM).exists()
    assert receipts == []


def test_refusing_a_file_adds_nothing_and_needs_a_reason(dsl, school, hannah):
    received = deliver(school, upn=UPN)

    empty = dsl.post(received_url(received, "refuse"), {"reason": ""})
    assert empty.status_code == 200 and "There is a problem" in empty.text
    response = dsl.post(received_url(received, "refuse"), {"reason": "Not our pupil"})

    assert response.status_code == 302
    received.refresh_from_db()
    assert (received.state, received.refused_reason) == (ReceivedState.REFUSED, "Not our pupil")
    assert not CaseEvent.objects.filter(student=hannah).exists()
    assert dsl.post(received_url(received, "accept"), {}).status_code == 200  # refused stays
    received.refresh_from_db()
    assert received.state == ReceivedState.REFUSED
    assert AuditEvent.objects.get(action="transfer.file_refused").detail == {}


def test_the_review_is_recorded_and_on_the_chronology(dsl, school, hannah, people):
    received = deliver(school, upn=UPN)
    dsl.post(received_url(received, "accept"), {})
    note = "Read the file. Started a Child Protection Plan status; told the social worker."

    empty = dsl.post(received_url(received, "review"), {"note": " "})
    assert "There is a problem" in empty.text
    response = dsl.post(received_url(received, "review"), {"note": note})

    assert response.status_code == 302
    received.refresh_from_db()
    assert (received.reviewed_by, received.review_note) == (people.dsl, note)
    line = CaseEvent.objects.get(student=hannah, kind="file_reviewed")
    assert (line.summary, line.detail, line.source_school) == (
        f"File from {FROM} reviewed",
        note,
        "",
    )
    assert line.author_name == "Chloe Kelan"
    assert f"File from {FROM} reviewed" in dsl.get(f"/students/{hannah.pk}/").text
    assert note not in str(AuditEvent.objects.get(action="transfer.file_reviewed").detail)


def test_the_pdf_and_each_attached_file_download_and_are_audited(dsl, school, hannah):
    received = deliver(school, upn=UPN)

    pdf = dsl.get(received_url(received, "download"))
    attached = dsl.get(received_url(received, "download") + "?file=1")
    missing = dsl.get(received_url(received, "download") + "?file=9")

    assert b"".join(pdf.streaming_content) == PDF
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(attached.streaming_content) == ATTACHMENT
    assert "minutes.pdf" in attached["Content-Disposition"]
    assert missing.status_code == 404
    events = AuditEvent.objects.filter(action="transfer.received_downloaded").order_by("pk")
    assert [event.detail for event in events] == [{"file": 0}, {"file": 1}]


def test_every_page_is_refused_to_anyone_but_the_schools_key_holders(
    client, school, other_school, hannah, people
):
    received = deliver(school, upn=UPN)
    other_dsl = UserFactory(
        school=other_school,
        is_key_holder=True,
        access_level=AccessLevelFactory(school=other_school, rank=40),
    )
    pages = [
        ("get", "/transfers/received/"),
        ("get", received_url(received)),
        ("get", received_url(received, "download")),
        ("post", received_url(received, "match")),
        ("post", received_url(received, "accept")),
        ("post", received_url(received, "refuse")),
        ("post", received_url(received, "review")),
    ]
    for user, expected in ((people.teacher, 403), (people.admin, 403), (other_dsl, 404)):
        client.logout()
        sign_in_fully(client, user)
        if user.is_key_holder:
            unlock_key(client)
        for method, url in pages:
            if url == "/transfers/received/" and expected == 404:
                continue  # their own school's list (empty)
            got = getattr(client, method)(url, {"student": hannah.pk, "reason": "x", "note": "x"})
            assert got.status_code == expected, (user, url)
    received.refresh_from_db()
    assert received.state == ReceivedState.WAITING
    assert not CaseEvent.objects.exists()


def test_the_records_text_is_never_in_the_audit_trail(dsl, school, hannah, senco):
    received = deliver(school, upn=UPN)
    dsl.get(received_url(received))
    dsl.post(received_url(received, "accept"), {"also_alert": [senco.pk]})
    dsl.post(received_url(received, "review"), {"note": "Reviewed with the SENCO."})
    dsl.get(received_url(received, "download"))

    written = " ".join(
        f"{event.detail} {event.object_label}"
        for event in AuditEvent.objects.filter(action__startswith="transfer.")
    )
    assert "transfer.file_accepted" in set(AuditEvent.objects.values_list("action", flat=True))
    for text in (
        INCIDENT["text"],
        INCIDENT["child_words"],
        CASE_EVENT["detail"],
        "Hannah",
        "Fenton",
        "Reviewed with the SENCO.",
        "Bruise",
    ):
        assert text not in written


def test_the_chronology_page_for_the_accepted_entries_is_labelled_at_its_time(dsl, school, hannah):
    received = deliver(school, upn=UPN)
    dsl.post(received_url(received, "accept"), {})

    page = dsl.get(f"/students/{hannah.pk}/").text

    # Filed at their own dates, oldest last: the case event of 10 November above the incident.
    assert page.index(CASE_EVENT["summary"]) < page.index("Incident: Neglect")
    assert timezone.localdate().strftime("%-d %B %Y") in page  # the line saying it arrived


def test_the_exported_file_labels_the_received_entries_with_their_school(
    dsl, school, hannah, people, django_capture_on_commit_callbacks
):
    import io

    from pypdf import PdfReader

    from kestrel.exports import services as exports

    received = deliver(school, upn=UPN)
    dsl.post(received_url(received, "accept"), {})

    with django_capture_on_commit_callbacks(execute=True):
        export = exports.request_export(actor=people.dsl, student=hannah, redacted=False)
    export.refresh_from_db()
    pdf = b"".join(exports.open_for_download(actor=people.dsl, export=export))
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split()
    )

    assert f"From {FROM}: Case file entry by Rhiannon Price, Class teacher" in text
    assert "recorded 3 November 2025, 12:40" in text
    assert "Mum's boyfriend grabbed me." in text


def test_under_hide_names_the_pages_show_no_name_of_the_child(dsl, school, hannah):
    received = deliver(school, upn=UPN)
    held = deliver(school, upn="", reference="61")
    dsl.post("/hide-names/", {"next": "/dashboard/"})

    pages = [
        dsl.get("/transfers/received/").text,
        dsl.get(received_url(received)).text,
        dsl.get(received_url(held)).text,
    ]

    for text in pages:
        assert "Hannah" not in text and "Fenton" not in text
        assert "27 March 2017" not in text
    assert "Select <strong>Show Names</strong>" in pages[2]  # matching needs the names


def test_the_list_costs_the_same_queries_at_one_file_and_at_many(dsl, school, hannah):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    deliver(school, upn=UPN)
    dsl.get("/transfers/received/")  # the first page after unlocking also shows its notice
    with CaptureQueriesContext(connection) as one:
        assert dsl.get("/transfers/received/").status_code == 200
    for reference in ("62", "63", "64"):
        deliver(school, upn=UPN, reference=reference)
    deliver(school, upn="", reference="65")
    with CaptureQueriesContext(connection) as many:
        assert dsl.get("/transfers/received/").status_code == 200

    assert len(one) == len(many), [query["sql"] for query in many]
