"""Sending a leaver's file to a school on Kestrel, in one installation: the DSL's confirmation,
the package delivered and matched at the receiving school, its receipt back, and the inbox and
receipts refusing anything tampered with, signed by another key or of an unknown version, with
nothing stored and the refusal recorded."""

import datetime
import hashlib
import io
import json
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    AccessLevelFactory,
    ActionFactory,
    CategoryFactory,
    IncidentFactory,
    LinkedStudentFactory,
    StudentFactory,
    UserFactory,
)
from kestrel.transfer_pages import crypto, delivery, package, receiving
from kestrel.transfer_pages.delivery import Destination
from kestrel.transfer_pages.kestrel_peers import DeliveryFailed, Refused, Unreachable
from kestrel.transfer_pages.sending import prepare_file
from kestrel.transfers.models import (
    DeliveryState,
    KestrelDelivery,
    Received,
    ReceivedState,
    Route,
    State,
    Transfer,
)
from kestrel.transfers.models import (
    Destination as Gone,
)
from kestrel.transfers.services import mark_left

INBOX = "/transfers/inbox/"
RECEIPTS = "/transfers/receipts/"


@pytest.fixture
def schools(school, other_school):
    school.urn, other_school.urn = "100001", "100002"
    school.save(update_fields=["urn"])
    other_school.save(update_fields=["urn"])
    return school, other_school


@pytest.fixture
def brook_dsl(other_school):
    return UserFactory(
        school=other_school,
        first_name="Priya",
        last_name="Shah",
        job_title="Designated Safeguarding Lead",
        access_level=AccessLevelFactory(school=other_school, name="DSL team", rank=40),
        is_key_holder=True,
    )


@pytest.fixture
def hannah(schools, people, levels):
    """Hannah at Ashdown: a concern about her, in a category only the DSL team opens."""
    hannah = StudentFactory(
        school=schools[0], legal_first_name="Hannah", legal_last_name="Greenwood"
    )
    IncidentFactory(
        student=hannah,
        reporter=people.teacher,
        categories=[CategoryFactory(school=schools[0], name="Neglect", access_level=levels.dsl)],
        text="Hannah came to school hungry again.",
        child_words="There was no food at home.",
        occurred_at=timezone.now() - datetime.timedelta(days=30),
    )
    return hannah


@pytest.fixture
def hannah_at_brook(schools, hannah):
    """The same child on Brook Lane's roll (same UPN), not yet with any record there."""
    return StudentFactory(
        school=schools[1],
        legal_first_name="Hannah",
        legal_last_name="Greenwood",
        upn=hannah.upn,
        date_of_birth=hannah.date_of_birth,
    )


def leave(student, dsl, *, days_ago=1, **details) -> Transfer:
    details.setdefault("destination_school", None)
    return mark_left(
        actor=dsl,
        student=student,
        left_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        destination=Gone.SCHOOL,
        details=details,
    )


@pytest.fixture
def transfer(hannah, people, schools, hannah_at_brook):
    return leave(
        hannah, people.dsl, destination_school=schools[1], destination_name=schools[1].name
    )


def send_here(transfer, dsl, capture) -> KestrelDelivery:
    with capture(execute=True):
        return delivery.request_delivery(
            transfer=transfer, actor=dsl, confirmed=delivery.destination(transfer)
        )


def test_a_file_sent_to_a_school_of_this_kestrel_arrives_matched_and_its_acceptance_comes_back(
    transfer, people, brook_dsl, hannah_at_brook, django_capture_on_commit_callbacks
):
    sending = send_here(transfer, people.dsl, django_capture_on_commit_callbacks)
    sending.refresh_from_db()
    assert (sending.state, sending.reason) == (DeliveryState.DELIVERED, "")
    transfer.refresh_from_db()
    assert (transfer.state, transfer.route) == (State.SENT, Route.KESTREL)
    assert transfer.package_sha256 == sending.package_sha256 != ""
    assert transfer.export.state == "done"

    received = Received.objects.get(school=hannah_at_brook.school)
    assert received.student == hannah_at_brook  # matched by UPN (receiving.receive)
    assert received.state == ReceivedState.WAITING
    assert (received.from_school_name, received.from_school_urn) == (
        "Ashdown Primary School",
        "100001",
    )
    assert received.from_transfer == str(transfer.pk)
    assert received.sha256 == transfer.package_sha256
    data = receiving.package_data(received)
    (concern,) = data["records"]
    assert concern["text"] == "Hannah came to school hungry again."
    assert concern["child_words"] == "There was no food at home."
    assert concern["categories"] == ["Neglect"]
    assert data["child"]["upn"] == hannah_at_brook.upn

    with django_capture_on_commit_callbacks(execute=True):
        receiving.accept(actor=brook_dsl, received=received)
    received.refresh_from_db()
    assert received.receipt_sent_at is not None
    transfer.refresh_from_db()
    assert transfer.state == State.RECEIVED
    assert (transfer.acknowledged_by_name, transfer.acknowledged_by_role) == (
        "Priya Shah",
        "Designated Safeguarding Lead",
    )
    assert transfer.acknowledged_at == received.accepted_at
    assert transfer.acknowledged_how == "Accepted on Kestrel"


def test_the_package_holds_the_childs_file_as_the_dsl_may_open_it_with_the_pdf_and_files(
    transfer, hannah, people, schools, levels, django_capture_on_commit_callbacks
):
    from kestrel.casefile import services as casefile
    from kestrel.files.models import Attachment

    (concern,) = IncidentFactory._meta.model.objects.filter(student=hannah)
    ActionFactory(incident=concern, author=people.dsl, text="Called children's social care.")
    Attachment.objects.create(
        school=schools[0],
        uploaded_by=people.teacher,
        incident=concern,
        original_name="../minutes/strategy meeting.pdf",
        stored_name=default_storage.save("attachments/x/minutes.pdf", ContentFile(b"minutes")),
        content_type="application/pdf",
        size=7,
        sha256=hashlib.sha256(b"minutes").hexdigest(),
    )
    oliver = StudentFactory(school=schools[0], legal_first_name="Oliver", legal_last_name="Ng")
    olivers = IncidentFactory(
        student=oliver,
        reporter=people.teacher,
        categories=[CategoryFactory(school=schools[0], access_level=levels.dsl)],
        text="The account of Oliver's incident.",
    )
    LinkedStudentFactory(incident=olivers, student=hannah, note="Hannah saw the push.")
    casefile.start_status(
        actor=people.dsl,
        student=hannah,
        kind="child_in_need",
        started_on=timezone.localdate() - datetime.timedelta(days=5),
        note="Started after the strategy meeting.",
    )
    data, to_copy = package.records(transfer, people.dsl, to_name="Brook Lane Academy", to_urn="1")
    assert [file["name"] for file in to_copy] == ["../minutes/strategy meeting.pdf"]
    kinds = [record["kind"] for record in data["records"]]
    assert kinds.count("incident") == 2 and "case_event" in kinds
    own = next(record for record in data["records"] if record["id"] == f"incident-{concern.pk}")
    assert own["actions"][0]["text"] == "Called children's social care."
    linked = next(record for record in data["records"] if record["id"] == f"incident-{olivers.pk}")
    # A linked entry as Hannah's file shows it: the note for her, not Oliver's account.
    assert (linked["whole"], linked["note"], linked["text"]) == (False, "Hannah saw the push.", "")
    assert linked["linked_from"].startswith("Oliver Ng")
    assert data["from_school"] == {
        "name": "Ashdown Primary School",
        "urn": "100001",
        "address": "http://testserver",
    }

    send_here(transfer, people.dsl, django_capture_on_commit_callbacks)
    received = Received.objects.get()
    with receiving.opened_package(received) as bundle:
        listed = json.loads(bundle.read(package.RECORDS))["files"]
        assert bundle.read(package.PDF).startswith(b"%PDF")
        (attached,) = listed
        assert attached["path"] == "files/1-strategy meeting.pdf"
        assert bundle.read(attached["path"]) == b"minutes"
        assert attached["sha256"] == attached["uploaded_sha256"]
        assert "stored_name" not in attached


def test_sending_again_after_it_arrived_keeps_one_copy_at_the_receiving_school(
    transfer, people, hannah_at_brook, django_capture_on_commit_callbacks
):
    send_here(transfer, people.dsl, django_capture_on_commit_callbacks)
    first = Received.objects.get(school=hannah_at_brook.school)
    # The same transfer's package delivered a second time (a worker lost after sending it).
    Transfer.objects.filter(pk=transfer.pk).update(state=State.DUE)
    transfer.refresh_from_db()
    send_here(transfer, people.dsl, django_capture_on_commit_callbacks)
    assert list(Received.objects.filter(school=hannah_at_brook.school)) == [first]
    transfer.refresh_from_db()
    assert transfer.state == State.SENT
    # The second package differs (it says when it was sent); the copy kept is the one recorded.
    assert transfer.package_sha256 == first.sha256


def test_sending_before_the_child_has_left_is_refused_with_a_clear_message(
    client, signed_in, hannah, people, schools
):
    transfer = leave(hannah, people.dsl, days_ago=-3, destination_school=schools[1])
    unlock_key(signed_in(people.dsl))
    response = client.post(f"/transfers/{transfer.pk}/kestrel/")
    assert response.status_code == 409
    assert "The child has not left yet" in response.text
    assert "sent only once the child has left" in response.text
    assert not KestrelDelivery.objects.exists()
    assert AuditEvent.objects.filter(action="transfer.kestrel_send_refused").count() == 1


def test_the_dsl_sees_the_receiving_school_before_the_file_is_sent(
    client, signed_in, transfer, people, hannah_at_brook, django_capture_on_commit_callbacks
):
    unlock_key(signed_in(people.dsl))
    response = client.post(f"/transfers/{transfer.pk}/kestrel/")
    assert response.status_code == 200
    assert "Brook Lane Academy" in response.text
    assert "This Kestrel" in response.text
    assert not KestrelDelivery.objects.exists()  # nothing sent until confirmed
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/transfers/{transfer.pk}/kestrel/", {"confirm": "yes"})
    assert response.status_code == 302
    assert KestrelDelivery.objects.get().state == DeliveryState.DELIVERED
    assert Received.objects.filter(school=hannah_at_brook.school).count() == 1
    assert AuditEvent.objects.filter(action="transfer.kestrel_send_requested").count() == 1

    status = client.get(f"/transfers/{transfer.pk}/kestrel/status/")
    assert "Sent to Brook Lane Academy on Kestrel" in status.text
    assert "Waiting for their DSL to accept it" in status.text


def test_the_transfer_page_offers_the_school_on_kestrel_and_polls_while_the_file_is_sent(
    client, signed_in, transfer, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        prepare_file(actor=people.dsl, transfer=transfer)
    unlock_key(signed_in(people.dsl))
    page = client.get(f"/transfers/{transfer.pk}/")
    assert "Send to Brook Lane Academy on Kestrel" in page.text
    assert "kestrel/status/" not in page.text  # nothing under way: no polling

    # Confirmed, its task not yet run: the page says so and asks how it goes every 2 s.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(f"/transfers/{transfer.pk}/kestrel/", {"confirm": "yes"})
    page = client.get(f"/transfers/{transfer.pk}/")
    assert "Sending to Brook Lane Academy" in page.text
    assert f'hx-get="/transfers/{transfer.pk}/kestrel/status/"' in page.text
    assert "Send to Brook Lane Academy on Kestrel" not in page.text
    poll = client.get(f"/transfers/{transfer.pk}/kestrel/status/", headers={"HX-Request": "true"})
    assert poll.status_code == 200
    assert "Sending to Brook Lane Academy" in poll.text

    for run in queued:  # the worker sends it
        run()
    poll = client.get(f"/transfers/{transfer.pk}/kestrel/status/", headers={"HX-Request": "true"})
    assert poll.status_code == 204
    assert poll["HX-Refresh"] == "true"  # the whole page changes: its state, its log
    page = client.get(f"/transfers/{transfer.pk}/")
    assert "Sent to Brook Lane Academy on Kestrel" in page.text
    assert "Waiting for their DSL to accept it" in page.text


def test_a_failed_delivery_keeps_its_reason_for_the_page_and_can_be_tried_again(
    client, signed_in, hannah, people, schools, django_capture_on_commit_callbacks
):
    # Another Kestrel that does not answer (nothing listens on port 9 of this machine).
    transfer = leave(
        hannah, people.dsl, destination_address="http://127.0.0.1:9", destination_urn="100009"
    )
    confirmed = Destination(
        name="Brook Lane Academy",
        urn="100009",
        address="http://127.0.0.1:9",
        signing=crypto.keys_of(schools[1]).signing_public,
        encryption=crypto.keys_of(schools[1]).encryption_public,
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery.request_delivery(transfer=transfer, actor=people.dsl, confirmed=confirmed)
    sending = KestrelDelivery.objects.get()
    assert sending.state == DeliveryState.FAILED
    assert "could not be reached" in sending.reason
    transfer.refresh_from_db()
    assert transfer.state == State.DUE  # nothing recorded as sent
    assert AuditEvent.objects.filter(action="transfer.kestrel_not_sent").count() == 1

    unlock_key(signed_in(people.dsl))
    status = client.get(f"/transfers/{transfer.pk}/kestrel/status/")
    assert "The file was not sent to Brook Lane Academy" in status.text
    assert "could not be reached" in status.text
    assert "Try again" in status.text


def test_another_kestrels_school_is_shown_as_its_kestrel_names_it_and_sent_only_to_those_keys(
    client, signed_in, hannah, people, schools, monkeypatch
):
    transfer = leave(
        hannah,
        people.dsl,
        destination_name="Brook Lane",
        destination_address="https://kestrel.brook.example/",
        destination_urn="100002",
    )
    published = crypto.public_keys(schools[1], "https://kestrel.brook.example")
    monkeypatch.setattr(delivery, "fetch_keys", lambda address, urn: published)
    unlock_key(signed_in(people.dsl))
    response = client.post(f"/transfers/{transfer.pk}/kestrel/")
    assert "Brook Lane Academy" in response.text  # as B's Kestrel names it
    assert "Brook Lane</dd>" in response.text  # as the DSL recorded it
    assert "https://kestrel.brook.example" in response.text
    assert crypto.fingerprint(published.signing) in response.text

    # B's keys change between seeing them and pressing Send: the school is shown again.
    stale = {"confirm": "yes", "signing_key": "b3Rocg==", "encryption_key": "b3Rocg=="}
    response = client.post(f"/transfers/{transfer.pk}/kestrel/", stale)
    assert response.status_code == 200
    assert "The school's keys changed after you looked" in response.text
    assert not KestrelDelivery.objects.exists()


def test_a_delivery_lost_with_its_worker_is_shown_as_not_sent_and_can_be_tried_again(
    client, signed_in, transfer, people, hannah_at_brook, django_capture_on_commit_callbacks
):
    lost = KestrelDelivery.objects.create(
        school=transfer.school,
        transfer=transfer,
        requested_by=people.dsl,
        requested_at=timezone.now() - datetime.timedelta(hours=3),
        to_name="Brook Lane Academy",
        state=DeliveryState.SENDING,
    )
    unlock_key(signed_in(people.dsl))
    status = client.get(f"/transfers/{transfer.pk}/kestrel/status/")
    assert "Sending stopped without finishing" in status.text
    assert "Try again" in status.text
    assert "hx-get" not in status.text
    again = send_here(transfer, people.dsl, django_capture_on_commit_callbacks)
    assert again != lost
    again.refresh_from_db()
    assert again.state == DeliveryState.DELIVERED


def test_another_kestrels_address_over_plain_http_is_refused_before_anything_is_sent(
    client, signed_in, hannah, people, schools
):
    transfer = leave(
        hannah,
        people.dsl,
        destination_address="http://kestrel.brook.example",
        destination_urn="100002",
    )
    unlock_key(signed_in(people.dsl))
    response = client.post(f"/transfers/{transfer.pk}/kestrel/")
    assert response.status_code == 409
    assert "must start with https://" in response.text


# The inbox and the receipts, as another Kestrel calls them -----------------------------------


def test_a_schools_public_keys_are_published_by_its_urn_to_anyone(client, schools):
    answer = client.get("/transfers/keys/100002/").json()
    keys = crypto.keys_of(schools[1])
    assert answer["name"] == "Brook Lane Academy"
    assert (answer["urn"], answer["address"]) == ("100002", "http://testserver")
    assert (answer["signing_key"], answer["encryption_key"]) == (
        keys.signing_public,
        keys.encryption_public,
    )
    assert "private" not in json.dumps(answer)
    assert client.get("/transfers/keys/999999/").status_code == 404


def zipped(data: dict) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bundle:
        bundle.writestr(package.RECORDS, json.dumps(data))
        bundle.writestr(package.PDF, b"%PDF-1.7 a file")
    out.seek(0)
    return out


def records_of(sender, hannah_at_brook, *, reference="41", version=1) -> dict:
    return {
        "schema": "kestrel-transfer",
        "version": version,
        "transfer": {"reference": reference, "sent_at": timezone.now().isoformat()},
        "from_school": {"name": sender.name, "urn": sender.urn, "address": "http://testserver"},
        "to_school": {"name": hannah_at_brook.school.name, "urn": hannah_at_brook.school.urn},
        "child": {
            "legal_first_name": "Hannah",
            "legal_last_name": "Greenwood",
            "upn": hannah_at_brook.upn,
        },
        "records": [],
        "files": [],
    }


def sealed_package(sender, to_school, data: dict, *, reference="41") -> tuple[bytes, str, bytes]:
    """A package from `sender` to `to_school` as the sending task seals it: (envelope's signed
    bytes, signature, ciphertext)."""
    keys = crypto.public_keys(to_school, "http://testserver")
    cipher = io.BytesIO()
    signed, signature = delivery.seal_package(
        school=sender,
        transfer_reference=reference,
        to=Destination(
            name=to_school.name,
            urn=to_school.urn,
            address="",
            school=to_school,
            signing=keys.signing,
            encryption=keys.encryption,
        ),
        zipped=zipped(data),
        out=cipher,
    )
    return signed, signature, cipher.getvalue()


def post_package(client, signed: bytes, signature: str, cipher: bytes):
    return client.post(
        INBOX,
        cipher,
        content_type="application/octet-stream",
        headers={"Kestrel-Envelope": crypto.b64(signed), "Kestrel-Signature": signature},
    )


def refusals(reason: str) -> int:
    return AuditEvent.objects.filter(
        action="transfer.package_refused", detail__reason=reason
    ).count()


def test_the_inbox_keeps_a_signed_package_and_a_second_delivery_of_it_once(
    client, schools, hannah_at_brook
):
    package_parts = sealed_package(schools[0], schools[1], records_of(schools[0], hannah_at_brook))
    first = post_package(client, *package_parts)
    received = Received.objects.get()
    assert (first.status_code, first.json()) == (
        201,
        {"received": "new", "sha256": received.sha256},
    )
    again = post_package(client, *package_parts)
    assert (again.status_code, again.json()) == (
        200,
        {"received": "already", "sha256": received.sha256},
    )
    assert Received.objects.get() == received
    assert (received.school, received.student) == (schools[1], hannah_at_brook)


def test_a_package_changed_on_the_way_is_refused_and_nothing_is_stored(
    client, schools, hannah_at_brook
):
    signed, signature, cipher = sealed_package(
        schools[0], schools[1], records_of(schools[0], hannah_at_brook)
    )
    changed = bytearray(cipher)
    changed[40] ^= 1
    response = post_package(client, signed, signature, bytes(changed))
    assert response.status_code == 400
    assert response.text == "The package does not match its signed envelope."
    assert not Received.objects.exists()
    assert refusals("ciphertext_changed") == 1


def test_an_envelope_changed_on_the_way_is_refused(client, schools, hannah_at_brook):
    signed, signature, cipher = sealed_package(
        schools[0], schools[1], records_of(schools[0], hannah_at_brook)
    )
    envelope = json.loads(signed)
    envelope["transfer"] = "42"
    response = post_package(client, crypto.canonical(envelope), signature, cipher)
    assert response.status_code == 403
    assert "signature does not match" in response.text
    assert not Received.objects.exists()
    event = AuditEvent.objects.get(action="transfer.package_refused")
    assert event.school == schools[1]
    assert event.detail["reason"] == "bad_signature"
    assert event.detail["from_urn"] == "100001"
    assert "Hannah" not in json.dumps(event.detail)


def test_a_package_signed_by_a_third_party_claiming_to_be_the_sender_is_refused(
    client, schools, hannah_at_brook
):
    signed, _, cipher = sealed_package(
        schools[0], schools[1], records_of(schools[0], hannah_at_brook)
    )
    forged = crypto.b64(Ed25519PrivateKey.generate().sign(crypto.ENVELOPE + signed))
    response = post_package(client, signed, forged, cipher)
    assert response.status_code == 403
    assert not Received.objects.exists()
    assert refusals("bad_signature") == 1


def test_a_package_re_signed_by_another_school_in_its_own_name_does_not_open(
    client, schools, hannah_at_brook
):
    """A school that intercepts Ashdown's package and signs its envelope as itself (it cannot
    read it) cannot pass it off as its own: the content key is bound to the sender."""
    intruder = StudentFactory(school__urn="100003").school
    signed, _, cipher = sealed_package(
        schools[0], schools[1], records_of(schools[0], hannah_at_brook)
    )
    envelope = json.loads(signed)
    envelope["sender"] = {"address": "http://testserver", "urn": "100003", "name": intruder.name}
    resigned, signature = crypto.sign(intruder, crypto.ENVELOPE, envelope)
    response = post_package(client, resigned, signature, cipher)
    assert response.status_code == 400
    assert "could not be decrypted" in response.text
    assert not Received.objects.exists()


def test_a_package_of_an_unknown_schema_version_is_refused(client, schools, hannah_at_brook):
    data = records_of(schools[0], hannah_at_brook, version=2)
    response = post_package(client, *sealed_package(schools[0], schools[1], data))
    assert response.status_code == 422
    assert "version 2 of the transfer format" in response.text
    assert not Received.objects.exists()
    assert refusals("schema") == 1


def test_a_package_for_a_school_not_on_this_kestrel_is_refused(client, schools, hannah_at_brook):
    signed, signature, cipher = sealed_package(
        schools[0], schools[1], records_of(schools[0], hannah_at_brook)
    )
    envelope = json.loads(signed)
    envelope["recipient"]["urn"] = "999999"
    response = post_package(client, crypto.canonical(envelope), signature, cipher)
    assert response.status_code == 404
    assert response.text == "This Kestrel has no school with URN 999999."
    assert refusals("unknown_recipient") == 1


def test_an_envelope_of_an_unknown_format_version_is_refused(client, schools, hannah_at_brook):
    signed, signature, cipher = sealed_package(
        schools[0], schools[1], records_of(schools[0], hannah_at_brook)
    )
    envelope = {**json.loads(signed), "version": 2}
    response = post_package(client, crypto.canonical(envelope), signature, cipher)
    assert response.status_code == 400
    assert "this Kestrel reads version 1" in response.text
    assert refusals("envelope_version") == 1


def test_the_inbox_takes_posts_only(client):
    assert client.get(INBOX).status_code == 405
    assert client.get(RECEIPTS).status_code == 405


def sent_transfer(transfer, people, capture) -> Transfer:
    send_here(transfer, people.dsl, capture)
    transfer.refresh_from_db()
    assert transfer.state == State.SENT
    return transfer


def receipt_for(transfer, signer, *, name="Priya Shah") -> dict:
    return {
        "format": "kestrel-transfer-receipt",
        "version": 1,
        "sender": {"address": "http://testserver", "urn": signer.urn, "name": signer.name},
        "recipient": {"address": "http://testserver", "urn": transfer.school.urn},
        "transfer": str(transfer.pk),
        "acknowledged_by": {"name": name, "role": "DSL"},
        "acknowledged_at": timezone.now().isoformat(),
    }


def post_receipt(client, signed: bytes, signature: str):
    return client.post(
        RECEIPTS,
        {"receipt": crypto.b64(signed), "signature": signature},
        content_type="application/json",
    )


def test_a_receipt_signed_by_the_receiving_school_is_recorded(
    client, transfer, people, schools, django_capture_on_commit_callbacks
):
    transfer = sent_transfer(transfer, people, django_capture_on_commit_callbacks)
    response = post_receipt(
        client, *crypto.sign(schools[1], crypto.RECEIPT, receipt_for(transfer, schools[1]))
    )
    assert response.status_code == 200
    transfer.refresh_from_db()
    assert (transfer.state, transfer.acknowledged_by_name) == (State.RECEIVED, "Priya Shah")


def test_a_receipt_with_a_bad_signature_is_refused(
    client, transfer, people, schools, django_capture_on_commit_callbacks
):
    transfer = sent_transfer(transfer, people, django_capture_on_commit_callbacks)
    signed = crypto.canonical(receipt_for(transfer, schools[1]))
    forged = crypto.b64(Ed25519PrivateKey.generate().sign(crypto.RECEIPT + signed))
    response = post_receipt(client, signed, forged)
    assert response.status_code == 403
    transfer.refresh_from_db()
    assert transfer.state == State.SENT
    assert AuditEvent.objects.filter(
        action="transfer.receipt_refused", detail__reason="bad_signature"
    ).exists()


def test_a_receipt_from_a_school_the_file_was_not_sent_to_is_refused(
    client, transfer, people, schools, django_capture_on_commit_callbacks
):
    transfer = sent_transfer(transfer, people, django_capture_on_commit_callbacks)
    stranger = StudentFactory(school__urn="100003").school
    response = post_receipt(
        client, *crypto.sign(stranger, crypto.RECEIPT, receipt_for(transfer, stranger))
    )
    assert response.status_code == 404
    transfer.refresh_from_db()
    assert transfer.state == State.SENT


def test_a_receipt_that_cannot_be_delivered_is_tried_again_later(
    schools, hannah_at_brook, brook_dsl, settings
):
    """The sending Kestrel does not answer: the receipt waits and is tried again, a little later
    each time (the database queue runs it then), and each failure is recorded."""
    from django.tasks import task_backends

    received = Received.objects.create(
        school=schools[1],
        state=ReceivedState.ACCEPTED,
        student=hannah_at_brook,
        from_school_name="Ashdown Primary School",
        from_school_urn="100001",
        from_address="http://127.0.0.1:9",
        from_transfer="41",
        child_name="Hannah Greenwood",
        accepted_at=timezone.now(),
        accepted_by=brook_dsl,
    )
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    delivery.deliver_receipt.call(received.pk, 3)
    received.refresh_from_db()
    assert received.receipt_sent_at is None
    event = AuditEvent.objects.get(action="transfer.receipt_not_sent")
    assert event.detail["attempt"] == 3
    (retry,) = task_backends["default"].results
    assert retry.args == [received.pk, 4]
    waits = retry.task.run_after - timezone.now()
    assert datetime.timedelta(minutes=7) < waits <= datetime.timedelta(minutes=8)


def test_the_inbox_asks_to_try_again_when_it_cannot_reach_the_senders_keys(monkeypatch):
    from kestrel.transfer_pages import kestrel_inbox

    def unreachable(address, urn):
        raise Unreachable(f"The Kestrel at {address} could not be reached (refused).")

    def wrong(address, urn):
        raise DeliveryFailed(f"The answer from {address} is not a school's keys.")

    sender = {"sender": {"address": "https://a.example", "urn": "1"}}
    monkeypatch.setattr(kestrel_inbox, "keys_of_school", unreachable)
    with pytest.raises(Refused) as refused:
        kestrel_inbox.sender_keys_for(sender)
    assert refused.value.status == 503  # the sender restarting, most often: not a refusal
    monkeypatch.setattr(kestrel_inbox, "keys_of_school", wrong)
    with pytest.raises(Refused) as refused:
        kestrel_inbox.sender_keys_for(sender)
    assert refused.value.status == 403


class _Later:
    """Stands in for `deliver.using(run_after=...)`: keeps what would be queued."""

    def __init__(self, queued, run_after):
        self.queued, self.run_after = queued, run_after

    def enqueue(self, *args):
        self.queued.append((self.run_after, args))


def test_a_file_the_other_kestrel_cannot_take_just_now_is_tried_again_then_shown_failed(
    transfer, people, monkeypatch
):
    sending = KestrelDelivery.objects.create(
        school=transfer.school,
        transfer=transfer,
        requested_by=people.dsl,
        state=DeliveryState.SENDING,
        to_name="Brook Lane Academy",
        to_urn="100002",
        to_address="https://kestrel.brook.example",
    )

    def busy(_):
        raise delivery.TryAgainSoon("The Kestrel at https://kestrel.brook.example is busy.")

    queued = []
    monkeypatch.setattr(delivery, "send", busy)
    monkeypatch.setattr(type(delivery.deliver.get_backend()), "supports_defer", True)
    monkeypatch.setattr(
        type(delivery.deliver),
        "using",
        lambda self, run_after: _Later(queued, run_after),
    )
    before = timezone.now()
    delivery.deliver.call(sending.pk, 1)
    sending.refresh_from_db()
    assert sending.state == DeliveryState.SENDING  # not failed: tried again in 30 s
    ((run_after, args),) = queued
    assert args == (sending.pk, 2)
    assert datetime.timedelta(seconds=29) < run_after - before < datetime.timedelta(seconds=40)
    delivery.deliver.call(sending.pk, delivery.SOON_ATTEMPTS)
    sending.refresh_from_db()
    assert sending.state == DeliveryState.FAILED and "is busy" in sending.reason
    assert len(queued) == 1


def test_an_inbox_answering_busy_or_unavailable_is_not_a_refusal(monkeypatch):
    import urllib.error

    def answering(code):
        def post(url, body, headers, timeout):
            raise urllib.error.HTTPError(url, code, "busy", {}, io.BytesIO(b"Try later"))

        return post

    for code in (429, 503):
        monkeypatch.setattr(delivery, "post", answering(code))
        with pytest.raises(delivery.TryAgainSoon):
            delivery._send_over_http("https://k.example", b"{}", "sig", io.BytesIO(b"x"))
    monkeypatch.setattr(delivery, "post", answering(403))
    with pytest.raises(DeliveryFailed) as refused:
        delivery._send_over_http("https://k.example", b"{}", "sig", io.BytesIO(b"x"))
    assert not isinstance(refused.value, delivery.TryAgainSoon)
