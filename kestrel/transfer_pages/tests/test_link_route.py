"""The download-link route with the test client: the sender sends a link to the receiving DSL's
address; the receiving DSL (no sign-in) asks for a one-time code sent separately, gives it, names
themselves, downloads the PDF and the ZIP (each download recorded) and confirms receipt. Wrong,
used and expired codes, expired, withdrawn and locked links are refused and recorded."""

import datetime
import io
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.exports import storage
from kestrel.exports.models import ExportRequest
from kestrel.exports.models import State as ExportState
from kestrel.exports.services import forget_old_exports
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import IncidentFactory, StudentFactory
from kestrel.transfer_pages import links
from kestrel.transfer_pages.models import LinkCode, TransferLink
from kestrel.transfers.models import Route, State, Transfer
from kestrel.transfers.services import mark_left

PDF = b"%PDF-1.7 Hannah's whole file"
ZIP = b"PK the attached files"
LINK = re.compile(r"http://testserver(/receive/[A-Za-z0-9_-]+/)")
CODE = re.compile(r"^(\d{8})$", re.MULTILINE)


@pytest.fixture
def hannah(school, people):
    child = StudentFactory(
        school=school,
        legal_first_name="Hannah",
        legal_last_name="Greenwood",
        tutor_group="1B",
        date_of_birth=datetime.date(2015, 3, 14),
    )
    IncidentFactory(school=school, student=child, reporter=people.teacher, text="Hungry again.")
    return child


def prepared(transfer, dsl_user, *, finished_days_ago: int = 0) -> ExportRequest:
    """The transfer's file, made (as the transfer page's Prepare does, without WeasyPrint)."""
    pdf = storage.store(io.BytesIO(PDF), suffix=".pdf")
    files = storage.store(io.BytesIO(ZIP), suffix=".zip")
    finished = timezone.now() - datetime.timedelta(days=finished_days_ago)
    export = ExportRequest.objects.create(
        school=transfer.school,
        student=transfer.student,
        requested_by=dsl_user,
        state=ExportState.DONE,
        stored_name=pdf.name,
        size=pdf.size,
        sha256=pdf.sha256,
        pages=3,
        files_stored_name=files.name,
        files_size=files.size,
        files_count=2,
        created_at=finished,
        finished_at=finished,
    )
    Transfer.objects.filter(pk=transfer.pk).update(export=export)
    transfer.refresh_from_db()
    return export


@pytest.fixture
def transfer(hannah, people):
    """Hannah left yesterday for Brook Academy; her file is prepared."""
    made = mark_left(
        actor=people.dsl,
        student=hannah,
        left_on=timezone.localdate() - datetime.timedelta(days=1),
        destination="school",
        details={"destination_name": "Brook Academy", "destination_email": "dsl@brook.example"},
    )
    prepared(made, people.dsl)
    return made


@pytest.fixture
def dsl(signed_in, people):
    return unlock_key(signed_in(people.dsl))


@pytest.fixture
def recipient():
    """The receiving DSL's browser: never signed in to Kestrel."""
    return Client()


def send(dsl, transfer, capture, email="dsl@brook.example", name="Priya Shah"):
    with capture(execute=True):
        return dsl.post(f"/transfers/{transfer.pk}/link/", {"email": email, "name": name})


def link_path(message) -> str:
    return LINK.search(message.body).group(1)


def sent_link(dsl, transfer, capture) -> str:
    """Sends a link; its address, from the email."""
    send(dsl, transfer, capture)
    return link_path(mail.outbox[-1])


def ask_for_code(client, path, capture) -> str:
    """ "Email me a code"; the code, from its email."""
    with capture(execute=True):
        response = client.post(f"{path}code/")
    assert response.status_code == 302, response.content
    return CODE.search(mail.outbox[-1].body).group(1)


def give_code(client, path, code):
    return client.post(f"{path}code/enter/", {"code": code})


def named(client, path, capture, *, name="Priya Shah"):
    """The whole way in: a code, given, and the person named."""
    code = ask_for_code(client, path, capture)
    assert give_code(client, path, code).status_code == 302
    response = client.post(
        f"{path}name/",
        {"name": name, "role": "Designated safeguarding lead", "school_name": "Brook Academy"},
    )
    assert response.status_code == 302
    return response


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


def test_the_receiving_dsl_walks_from_the_link_to_a_confirmed_receipt(
    dsl, transfer, recipient, people, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    page = dsl.get(f"/transfers/{transfer.pk}/link/")
    assert page.status_code == 200
    assert 'value="dsl@brook.example"' in page.text

    response = send(dsl, transfer, capture)

    assert response.status_code == 302
    assert response["Location"] == f"/transfers/{transfer.pk}/"
    transfer.refresh_from_db()
    assert (transfer.state, transfer.route, transfer.sent_by) == (
        State.SENT,
        Route.LINK,
        people.dsl,
    )
    link = TransferLink.objects.get(transfer=transfer)
    assert link.email == "dsl@brook.example" and link.emailed_at is not None
    assert link.token_sealed == ""  # emailed: only the token's hash stays
    link_email = mail.outbox[0]
    assert link_email.to == ["dsl@brook.example"]
    path = link_path(link_email)
    assert links.token_hash(path.split("/")[2]) == link.token_hash

    opened = recipient.get(path)
    assert opened.status_code == 200
    assert "Ashdown Primary School has sent a child protection file to" in opened.text
    assert "dsl@brook.example" in opened.text
    assert "Hannah" not in opened.text and "Greenwood" not in opened.text
    assert "no-store" in opened["Cache-Control"]

    code = ask_for_code(recipient, path, capture)
    code_email = mail.outbox[1]
    assert code_email.to == ["dsl@brook.example"]
    assert code not in link_email.body  # sent separately: the link's email never holds it
    assert "/receive/" not in code_email.body
    assert recipient.get(f"{path}file/")["Location"] == path  # no code given yet

    refused = give_code(recipient, path, wrong(code))
    assert refused.status_code == 200
    assert "That code is not right" in refused.text
    assert "4 more tries" in refused.text
    event = AuditEvent.objects.get(action="transfer.link_code_wrong")
    assert (event.object_id, event.student, event.school) == (
        str(link.pk),
        transfer.student,
        transfer.school,
    )
    assert event.detail == {"wrong_codes": 1}

    right = give_code(recipient, path, code)
    assert right.status_code == 302 and right["Location"] == f"{path}name/"
    assert recipient.get(f"{path}file/")["Location"] == f"{path}name/"  # not named yet
    response = recipient.post(
        f"{path}name/",
        {
            "name": "Priya Shah",
            "role": "Designated safeguarding lead",
            "school_name": "Brook Academy",
        },
    )
    assert response["Location"] == f"{path}file/"

    page = recipient.get(f"{path}file/")
    assert "Hannah Greenwood" in page.text and "14 March 2015" in page.text
    refused = recipient.post(f"{path}confirm/")
    assert refused.status_code == 400
    assert "Download the file (PDF) first" in refused.text

    pdf = recipient.get(f"{path}download/")
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content) == PDF
    assert "Greenwood" not in pdf["Content-Disposition"]
    files = recipient.get(f"{path}download/files/")
    assert files["Content-Type"] == "application/zip"
    assert b"".join(files.streaming_content) == ZIP
    downloads = AuditEvent.objects.filter(action="transfer.link_downloaded").order_by("id")
    assert [event.detail for event in downloads] == [
        {
            "name": "Priya Shah",
            "role": "Designated safeguarding lead",
            "school": "Brook Academy",
            "what": "pdf",
            "sha256": transfer.export.sha256,
            "files": 0,
        },
        {
            "name": "Priya Shah",
            "role": "Designated safeguarding lead",
            "school": "Brook Academy",
            "what": "files",
            "sha256": "",
            "files": 2,
        },
    ]
    assert all(event.student == transfer.student for event in downloads)

    before = timezone.now()
    confirmed = recipient.post(f"{path}confirm/")
    assert confirmed.status_code == 302
    transfer.refresh_from_db()
    assert transfer.state == State.RECEIVED
    assert transfer.acknowledged_by_name == "Priya Shah"
    assert transfer.acknowledged_by_role == "Designated safeguarding lead, Brook Academy"
    assert transfer.acknowledged_how == "Confirmed at the download link"
    assert before <= transfer.acknowledged_at <= timezone.now()
    page = recipient.get(f"{path}file/")
    assert "Receipt confirmed" in page.text
    # The link, and the file, last one more day.
    link.refresh_from_db()
    assert link.expires_at <= timezone.now() + datetime.timedelta(days=1)
    assert ExportRequest.objects.get(pk=transfer.export_id).kept_until == link.expires_at

    sender = dsl.get(f"/transfers/{transfer.pk}/link/")
    assert "Priya Shah, Designated safeguarding lead, Brook Academy: the file (PDF)" in sender.text
    assert "the attached files (ZIP)" in sender.text
    assert "Confirmed by Priya Shah" in sender.text
    assert "1 wrong code typed" in sender.text


def test_the_transfer_page_offers_the_link_with_the_dsls_address(dsl, transfer):
    page = dsl.get(f"/transfers/{transfer.pk}/")
    assert "By a download link" in page.text
    assert f'action="/transfers/{transfer.pk}/link/"' in page.text
    assert 'value="dsl@brook.example"' in page.text


def test_the_link_email_gives_the_link_and_who_sent_it_but_no_child_and_no_code(
    dsl, transfer, django_capture_on_commit_callbacks
):
    send(dsl, transfer, django_capture_on_commit_callbacks)
    link = TransferLink.objects.get()
    (email,) = mail.outbox
    assert email.subject == "A child protection file from Ashdown Primary School"
    assert email.reply_to == ["chloe.kelan@example.org"]
    assert "Chloe Kelan (Designated Safeguarding Lead) at Ashdown Primary School" in email.body
    assert "for Brook Academy" in email.body
    expires = timezone.localtime(link.expires_at)
    assert f"The link works until {expires:%-d %B %Y, %H:%M}." in email.body
    assert link.expires_at - link.created_at == datetime.timedelta(days=14)
    assert "We will email the code to this address, separately: it is not in this email." in (
        email.body
    )
    assert "Hannah" not in email.body and "Greenwood" not in email.body
    assert not re.search(r"\b\d{8}\b", email.body)
    assert "Hannah" not in email.subject


def test_a_wrong_email_address_is_refused_and_keeps_what_was_typed(dsl, transfer):
    response = dsl.post(
        f"/transfers/{transfer.pk}/link/", {"email": "dsl at brook", "name": "Priya Shah"}
    )
    assert response.status_code == 200
    assert "Enter an email address in the right form" in response.text
    assert 'value="dsl at brook"' in response.text and 'value="Priya Shah"' in response.text
    assert not TransferLink.objects.exists()


def test_a_link_is_refused_before_the_child_has_left(
    dsl, hannah, people, django_capture_on_commit_callbacks
):
    # Leaving next week: the transfer exists, the file cannot go yet.
    transfer = mark_left(
        actor=people.dsl,
        student=hannah,
        left_on=timezone.localdate() + datetime.timedelta(days=7),
        destination="school",
        details={"destination_name": "Brook Academy", "destination_email": "dsl@brook.example"},
    )
    prepared(transfer, people.dsl)

    page = dsl.get(f"/transfers/{transfer.pk}/link/")
    response = send(dsl, transfer, django_capture_on_commit_callbacks)

    message = (
        "The child has not left yet: a child protection file is sent only once the child has left."
    )
    assert message in page.text and 'name="email"' not in page.text
    assert response.status_code == 200 and message in response.text
    assert not TransferLink.objects.exists()
    assert mail.outbox == []
    transfer.refresh_from_db()
    assert transfer.state == State.DUE


def test_a_link_is_refused_until_the_file_is_prepared(dsl, transfer):
    Transfer.objects.filter(pk=transfer.pk).update(export=None)
    response = dsl.post(f"/transfers/{transfer.pk}/link/", {"email": "dsl@brook.example"})
    assert "The file is not ready to send: prepare it first" in response.text
    assert not TransferLink.objects.exists()


def test_an_unknown_link_is_refused_and_recorded(recipient, transfer):
    response = recipient.get("/receive/not-a-real-token/")
    assert response.status_code == 404
    assert "This link does not work" in response.text
    event = AuditEvent.all_schools.get(action="transfer.link_refused")
    assert event.detail == {"reason": "unknown"} and event.school is None


def test_an_expired_link_is_refused_and_recorded(
    dsl, transfer, recipient, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    path = sent_link(dsl, transfer, capture)
    named(recipient, path, capture)
    TransferLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    for page in ("", "file/", "download/", "download/files/"):
        response = recipient.get(f"{path}{page}")
        assert response.status_code == 410, page
        assert "This link has expired" in response.text
        assert "Ashdown Primary School" in response.text
    assert recipient.post(f"{path}confirm/").status_code == 410
    refusals = AuditEvent.objects.filter(action="transfer.link_refused")
    assert refusals.count() == 5
    assert {event.detail["reason"] for event in refusals} == {"expired"}
    assert not AuditEvent.objects.filter(action="transfer.link_downloaded").exists()
    transfer.refresh_from_db()
    assert transfer.state == State.SENT


def test_a_withdrawn_link_is_refused_and_a_new_one_can_be_sent(
    dsl, transfer, recipient, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    path = sent_link(dsl, transfer, capture)
    named(recipient, path, capture)

    response = dsl.post(f"/transfers/{transfer.pk}/link/withdraw/")

    assert response.status_code == 302
    old = TransferLink.objects.get()
    assert old.withdrawn_at is not None
    refused = recipient.get(f"{path}download/")
    assert refused.status_code == 410 and "This link has been withdrawn" in refused.text
    assert AuditEvent.objects.filter(action="transfer.link_withdrawn").count() == 1
    assert ExportRequest.objects.get(pk=transfer.export_id).kept_until is None
    page = dsl.get(f"/transfers/{transfer.pk}/link/")
    assert "Withdrawn" in page.text and "Send a new link" in page.text

    new_path = sent_link(dsl, transfer, capture)

    assert new_path != path
    new = TransferLink.objects.exclude(pk=old.pk).get()
    assert new.is_live
    assert ExportRequest.objects.get(pk=transfer.export_id).kept_until == new.expires_at
    assert recipient.get(new_path).status_code == 200
    # Sent once: the transfer's date sent is the first link's.
    assert AuditEvent.objects.filter(action="transfer.sent").count() == 1


def test_sending_a_new_link_withdraws_the_open_one(
    dsl, transfer, recipient, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = sent_link(dsl, transfer, capture)
    second = sent_link(dsl, transfer, capture)
    assert recipient.get(first).status_code == 410
    assert recipient.get(second).status_code == 200
    assert [link.is_live for link in TransferLink.objects.order_by("id")] == [False, True]


def test_a_code_works_once(dsl, transfer, recipient, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    path = sent_link(dsl, transfer, capture)
    code = ask_for_code(recipient, path, capture)
    assert give_code(recipient, path, code).status_code == 302

    another = Client()
    refused = give_code(another, path, code)

    assert refused.status_code == 200
    assert "That code has been used already" in refused.text
    assert another.get(f"{path}file/")["Location"] == path
    event = AuditEvent.objects.get(action="transfer.link_code_refused")
    assert event.detail == {"reason": "used"}


def test_an_expired_code_is_refused(dsl, transfer, recipient, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    path = sent_link(dsl, transfer, capture)
    code = ask_for_code(recipient, path, capture)
    LinkCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    refused = give_code(recipient, path, code)

    assert "That code has expired: codes work for 30 minutes" in refused.text
    assert recipient.get(f"{path}name/")["Location"] == path


def test_a_newer_code_replaces_the_one_before(
    dsl, transfer, recipient, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    path = sent_link(dsl, transfer, capture)
    first = ask_for_code(recipient, path, capture)
    second = ask_for_code(recipient, path, capture)
    assert "replaced by a newer one" in give_code(recipient, path, first).text
    assert give_code(recipient, path, second).status_code == 302


def test_five_wrong_codes_lock_the_link_and_tell_the_sender(
    dsl, transfer, recipient, people, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    path = sent_link(dsl, transfer, capture)
    code = ask_for_code(recipient, path, capture)

    for _ in range(4):
        assert "That code is not right" in give_code(recipient, path, wrong(code)).text
    with capture(execute=True):
        locked = give_code(recipient, path, wrong(code))

    assert locked.status_code == 410
    assert "This link has been locked" in locked.text
    assert AuditEvent.objects.filter(action="transfer.link_code_wrong").count() == 5
    assert AuditEvent.objects.filter(action="transfer.link_locked").count() == 1
    told = mail.outbox[-1]
    assert told.to == [people.dsl.email]
    assert "has been locked" in told.body and "dsl@brook.example" in told.body
    assert "Hannah" not in told.body
    # The right code no longer opens it.
    assert give_code(recipient, path, code).status_code == 410
    page = dsl.get(f"/transfers/{transfer.pk}/link/")
    assert "Locked after too many wrong codes" in page.text
    assert "5 wrong codes typed" in page.text


def test_codes_are_limited_to_five_an_hour(
    dsl, transfer, recipient, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    path = sent_link(dsl, transfer, capture)
    for _ in range(5):
        ask_for_code(recipient, path, capture)
    sent = len(mail.outbox)

    with capture(execute=True):
        limited = recipient.post(f"{path}code/")

    assert limited.status_code == 429
    assert "You have asked for 5 codes in the last hour" in limited.text
    assert len(mail.outbox) == sent
    assert AuditEvent.objects.filter(action="transfer.link_code_limited").count() == 1


def test_the_recipient_must_name_themselves_before_downloading(
    dsl, transfer, recipient, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    path = sent_link(dsl, transfer, capture)
    code = ask_for_code(recipient, path, capture)
    give_code(recipient, path, code)

    assert recipient.get(f"{path}download/")["Location"] == f"{path}name/"
    refused = recipient.post(f"{path}name/", {"name": "Priya Shah", "role": "", "school_name": ""})
    assert "Enter your role." in refused.text and 'value="Priya Shah"' in refused.text
    assert not AuditEvent.objects.filter(action="transfer.link_downloaded").exists()


def test_a_grant_opens_only_its_own_link(
    dsl, transfer, recipient, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    path = sent_link(dsl, transfer, capture)
    named(recipient, path, capture)
    assert recipient.get(f"{path}file/").status_code == 200
    other = Client()
    assert other.get(f"{path}file/")["Location"] == path


def test_the_file_is_kept_while_its_link_lives(
    dsl, transfer, people, django_capture_on_commit_callbacks
):
    # Made 10 days ago: past the exports' 7 days, but the link sent with it still works.
    export = prepared(transfer, people.dsl, finished_days_ago=10)
    send(dsl, transfer, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        forget_old_exports()

    export.refresh_from_db()
    assert export.stored_name and export.files_stored_name
    assert export.kept_until == TransferLink.objects.get().expires_at

    dsl.post(f"/transfers/{transfer.pk}/link/withdraw/")
    with django_capture_on_commit_callbacks(execute=True):
        forget_old_exports()

    export.refresh_from_db()
    assert export.stored_name == "" and export.files_stored_name == ""


def test_other_schools_key_holders_cannot_send_a_link(client, transfer, other_school):
    from kestrel.testing.factories import AccessLevelFactory, UserFactory

    other = UserFactory(
        school=other_school,
        is_key_holder=True,
        access_level=AccessLevelFactory(school=other_school, rank=40),
    )
    from kestrel.testing.auth import sign_in_fully

    unlock_key(sign_in_fully(client, other))
    response = client.post(f"/transfers/{transfer.pk}/link/", {"email": "x@example.org"})
    assert response.status_code == 404
    assert not TransferLink.objects.exists()
