"""A file refused by the school it was sent to on Kestrel ("not our pupil") tells its sender: a
signed answer goes back as a receipt does (version 2, outcome "refused"), the sender records it
on the transfer with the receiving DSL's reason, shows it with what to do, counts it as needing
action, and lets the DSL send again once the destination is checked."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import StudentFactory
from kestrel.transfer_pages import crypto, delivery, receiving
from kestrel.transfer_pages.tests import test_kestrel_route as route
from kestrel.transfers import selectors, services
from kestrel.transfers.models import (
    DeliveryState,
    Destination,
    KestrelDelivery,
    Received,
    ReceivedState,
    State,
)

# The Kestrel route's fixtures and helpers (kestrel/transfer_pages/tests/test_kestrel_route.py).
schools, brook_dsl, hannah, hannah_at_brook, transfer = (
    route.schools,
    route.brook_dsl,
    route.hannah,
    route.hannah_at_brook,
    route.transfer,
)
post_receipt, receipt_for, send_here, sent_transfer = (
    route.post_receipt,
    route.receipt_for,
    route.send_here,
    route.sent_transfer,
)

REASON = "Not our pupil: no child with this UPN has joined Brook Lane"


def refusal_for(transfer, signer, *, reason=REASON, at=None) -> dict:
    return {
        **receipt_for(transfer, signer),
        "version": 2,
        "outcome": "refused",
        "reason": reason,
        "acknowledged_at": (at or timezone.now()).isoformat(),
    }


@pytest.fixture
def refused(transfer, people, brook_dsl, schools, django_capture_on_commit_callbacks):
    """Ashdown's file for Hannah, sent to Brook Lane on this Kestrel and refused there."""
    transfer = sent_transfer(transfer, people, django_capture_on_commit_callbacks)
    received = Received.objects.get(school=schools[1])
    with django_capture_on_commit_callbacks(execute=True):
        receiving.refuse(actor=brook_dsl, received=received, reason=REASON)
    transfer.refresh_from_db()
    return transfer


def test_a_refusal_at_the_receiving_school_travels_back_and_is_recorded_on_the_transfer(
    refused, schools
):
    assert refused.state == State.REFUSED
    assert (refused.refused_by_name, refused.refused_by_role) == (
        "Priya Shah",
        "Designated Safeguarding Lead",
    )
    assert refused.refused_reason == REASON
    received = Received.objects.get(school=schools[1])
    assert received.state == ReceivedState.REFUSED
    assert received.receipt_sent_at is not None
    assert refused.refused_at == received.refused_at
    # The receiving DSL's words are kept on the transfer, never in the audit trail.
    event = AuditEvent.objects.get(action="transfer.refused")
    assert event.detail["refuser"] == "Priya Shah"
    assert REASON not in str(event.detail)
    sent = AuditEvent.objects.get(action="transfer.receipt_sent")
    assert sent.detail["outcome"] == "refused"
    # The sending happened, and stays on the record.
    assert refused.sent_at is not None
    assert KestrelDelivery.objects.get(transfer=refused).state == DeliveryState.DELIVERED


def test_the_senders_transfer_page_log_and_counts_show_the_refusal_and_what_to_do(
    client, signed_in, refused, people, schools
):
    unlock_key(signed_in(people.dsl))
    page = client.get(f"/transfers/{refused.pk}/").text
    assert "Refused by the receiving school" in page
    assert REASON in page
    assert "What to do now" in page
    assert "send it another way" in page
    assert f"/transfers/{refused.pk}/destination/" in page
    assert client.get(f"/transfers/{refused.pk}/destination/").status_code == 200
    assert selectors.team_counts(schools[0].pk).refused == 1
    assert "1 file refused by the school it was sent to" in client.get("/dashboard/").text
    log = client.get("/transfers/").text
    assert "Refused by the receiving school" in log and "Priya Shah" in log


def test_a_refusal_with_a_bad_signature_is_refused(
    client, transfer, people, schools, django_capture_on_commit_callbacks
):
    transfer = sent_transfer(transfer, people, django_capture_on_commit_callbacks)
    signed = crypto.canonical(refusal_for(transfer, schools[1]))
    forged = crypto.b64(Ed25519PrivateKey.generate().sign(crypto.RECEIPT + signed))
    assert post_receipt(client, signed, forged).status_code == 403
    transfer.refresh_from_db()
    assert (transfer.state, transfer.refused_reason) == (State.SENT, "")


def test_a_refusal_from_a_school_the_file_was_not_sent_to_is_refused(
    client, transfer, people, schools, django_capture_on_commit_callbacks
):
    transfer = sent_transfer(transfer, people, django_capture_on_commit_callbacks)
    stranger = StudentFactory(school__urn="100003").school
    signed, signature = crypto.sign(stranger, crypto.RECEIPT, refusal_for(transfer, stranger))
    assert post_receipt(client, signed, signature).status_code == 404
    transfer.refresh_from_db()
    assert transfer.state == State.SENT


def test_a_signed_refusal_from_the_receiving_kestrel_is_recorded_and_told_twice_changes_nothing(
    client, transfer, people, schools, django_capture_on_commit_callbacks
):
    transfer = sent_transfer(transfer, people, django_capture_on_commit_callbacks)
    signed, signature = crypto.sign(schools[1], crypto.RECEIPT, refusal_for(transfer, schools[1]))
    assert post_receipt(client, signed, signature).status_code == 200
    assert post_receipt(client, signed, signature).status_code == 200
    transfer.refresh_from_db()
    assert (transfer.state, transfer.refused_reason) == (State.REFUSED, REASON)
    assert AuditEvent.objects.filter(action="transfer.refused").count() == 1


def test_a_receipt_of_version_2_may_say_accepted_and_an_unknown_outcome_is_refused(
    client, transfer, people, schools, django_capture_on_commit_callbacks
):
    transfer = sent_transfer(transfer, people, django_capture_on_commit_callbacks)
    odd = {**refusal_for(transfer, schools[1]), "outcome": "lost"}
    assert post_receipt(client, *crypto.sign(schools[1], crypto.RECEIPT, odd)).status_code == 400
    accepted = {**refusal_for(transfer, schools[1]), "outcome": "accepted", "reason": ""}
    response = post_receipt(client, *crypto.sign(schools[1], crypto.RECEIPT, accepted))
    assert response.status_code == 200
    transfer.refresh_from_db()
    assert transfer.state == State.RECEIVED


def test_after_a_refusal_the_dsl_corrects_the_destination_and_sends_again(
    client, signed_in, refused, people, schools, hannah, django_capture_on_commit_callbacks
):
    # Sent again to the school that refused it: it says so, and the transfer waits for the DSL.
    services.set_destination(
        transfer=refused,
        destination=Destination.SCHOOL,
        details={"destination_school": schools[1], "destination_name": schools[1].name},
        actor=people.dsl,
    )
    refused.refresh_from_db()
    assert refused.state == State.DUE
    again = send_here(refused, people.dsl, django_capture_on_commit_callbacks)
    again.refresh_from_db()
    assert again.state == DeliveryState.FAILED
    assert "refused this file already" in again.reason

    # The right school, on this Kestrel: the DSL changes the destination on its page and sends.
    right = StudentFactory(school__urn="100003", upn=hannah.upn).school
    unlock_key(signed_in(people.dsl))
    response = client.post(
        f"/transfers/{refused.pk}/destination/",
        {
            "destination": Destination.SCHOOL,
            "destination_name": right.name,
            "destination_urn": right.urn,
        },
    )
    assert response.status_code == 302, response.text
    refused.refresh_from_db()
    assert refused.state == State.DUE
    services.set_destination(
        transfer=refused,
        destination=Destination.SCHOOL,
        details={"destination_school": right, "destination_name": right.name},
        actor=people.dsl,
    )
    sending = send_here(refused, people.dsl, django_capture_on_commit_callbacks)
    sending.refresh_from_db()
    assert sending.state == DeliveryState.DELIVERED, sending.reason
    refused.refresh_from_db()
    assert refused.state == State.SENT
    assert Received.objects.get(school=right).state == ReceivedState.WAITING
    # The refused sending stays on the record.
    assert refused.refused_reason == REASON
    assert KestrelDelivery.objects.filter(transfer=refused).count() == 3
    assert AuditEvent.objects.filter(
        action="transfer.destination_set", detail__after_refusal=True
    ).exists()
    # The old refusal, told again, does not undo the new sending.
    old = refusal_for(refused, schools[1], at=refused.refused_at)
    assert post_receipt(client, *crypto.sign(schools[1], crypto.RECEIPT, old)).status_code == 404
    refused.refresh_from_db()
    assert refused.state == State.SENT


def test_a_refused_transfer_can_be_cancelled_when_the_child_did_not_leave(refused, people):
    services.cancel(transfer=refused, actor=people.dsl, reason="Did not leave after all")
    refused.refresh_from_db()
    assert refused.state == State.CANCELLED


def test_the_receipt_of_an_accepted_file_is_still_version_1(refused, schools, brook_dsl):
    received = Received.objects.get(school=schools[1])
    assert delivery.receipt_of(received)["version"] == 2
    received.state = ReceivedState.ACCEPTED
    received.accepted_by, received.accepted_at = brook_dsl, timezone.now()
    plain = delivery.receipt_of(received)
    assert plain["version"] == 1
    assert "outcome" not in plain
