"""A file refused at the receiving Kestrel tells the sender (two real Kestrels, each with its own
database): A sends Hannah's file to B; B's DSL refuses it (not their pupil); B's worker sends the
signed refusal back to A's receipts address, which A checks with B's keys fetched from B; A's
transfer is Refused by the receiving school, with B's DSL's name and reason, and may be sent
again."""

import pytest

from kestrel.transfer_pages.tests.two_servers import B_URN, two_kestrels, wait_for

# Real servers on their own SQLite databases: run once (in the SQLite pass of CI).
pytestmark = pytest.mark.own_servers

__all__ = ["two_kestrels"]  # the fixture, used below

REASON = "Not our pupil: no Hannah Greenwood has joined Brook Lane"


def test_a_file_refused_at_the_other_kestrel_is_shown_refused_at_the_sender(
    two_kestrels,
):
    a, b = two_kestrels

    # At A: Hannah left yesterday for Brook Lane Academy, on the Kestrel at B's address. The
    # DSL is shown the school as B names it, then sends.
    sent = a.python(
        f"""
        import datetime, json
        from django.utils import timezone
        from kestrel.accounts.models import User
        from kestrel.students.models import Student
        from kestrel.transfer_pages import delivery
        from kestrel.transfers.models import Destination
        from kestrel.transfers.services import mark_left
        chloe = User.objects.get(email="chloe.kelan@example.org")
        hannah = Student.objects.get(pk={two_kestrels.sender["hannah"]})
        transfer = mark_left(
            actor=chloe, student=hannah,
            left_on=timezone.localdate() - datetime.timedelta(days=1),
            destination=Destination.SCHOOL,
            details={{"destination_name": "Brook Lane Academy", "destination_urn": {B_URN!r},
                      "destination_address": {b.url!r}}},
        )
        to = delivery.destination(transfer)
        sending = delivery.request_delivery(transfer=transfer, actor=chloe, confirmed=to)
        print(json.dumps({{"transfer": transfer.pk, "delivery": sending.pk, "to": to.name,
                          "address": to.address}}))
        """
    )
    assert (sent["to"], sent["address"]) == ("Brook Lane Academy", b.url)

    def delivered():
        state = a.python(
            f"""
            import json
            from kestrel.transfers.models import KestrelDelivery, Transfer
            sending = KestrelDelivery.objects.get(pk={sent["delivery"]})
            transfer = Transfer.objects.get(pk={sent["transfer"]})
            print(json.dumps([sending.state, sending.reason, transfer.state,
                              transfer.package_sha256]))
            """
        )
        return state if state[0] in ("delivered", "failed") else None

    state = wait_for(delivered, seconds=180, every=1)
    assert state is not None, a.log.read_text()
    assert state[:3] == ["delivered", "", "sent"], state

    # At B: the DSL refuses it; nothing joins any record there.
    b.python(
        f"""
        from kestrel.accounts.models import User
        from kestrel.transfer_pages import receiving
        from kestrel.transfers.models import Received
        priya = User.objects.get(email="priya.shah@brooklane.example.org")
        (received,) = Received.objects.all()
        receiving.refuse(actor=priya, received=received, reason={REASON!r})
        print("null")
        """
    )

    # B's worker sends the signed refusal; A records it on the transfer.
    def refused():
        log = a.python(
            f"""
            import json
            from kestrel.audit.models import AuditEvent
            from kestrel.transfers.models import Transfer
            transfer = Transfer.objects.get(pk={sent["transfer"]})
            event = AuditEvent.objects.filter(action="transfer.refused").first()
            print(json.dumps([transfer.state, transfer.refused_by_name, transfer.refused_reason,
                              event and event.detail]))
            """
        )
        return log if log[0] == "refused" else None

    log = wait_for(refused, seconds=120, every=1)
    assert log is not None, b.log.read_text()
    assert log[1:3] == ["Priya Shah", REASON]
    assert REASON not in str(log[3])
    told = b.python(
        """
        import json
        from kestrel.transfers.models import Received
        (received,) = Received.objects.all()
        print(json.dumps([received.state, received.receipt_sent_at is not None]))
        """
    )
    assert told == ["refused", True]
