"""A file refused at the receiving Kestrel tells the sender (two real Kestrels, each with its own
database): A sends Hannah's file to B; B's DSL refuses it (not their pupil); B's worker sends the
signed refusal back to A's receipts address, which A checks with B's keys fetched from B; A's
transfer is Refused by the receiving school, with B's DSL's name and reason, and may be sent
again."""

import pytest

from kestrel.transfer_pages.tests.two_servers import (
    send_hannahs_file,
    two_kestrels,
    wait_for,
)

# Real servers on their own SQLite databases: run once (in the SQLite pass of CI).
pytestmark = pytest.mark.own_servers

__all__ = ["two_kestrels"]  # the fixture, used below

REASON = "Not our pupil: no Hannah Greenwood has joined Brook Lane"


def test_a_file_refused_at_the_other_kestrel_is_shown_refused_at_the_sender(
    two_kestrels,
):
    a, b = two_kestrels

    sent, state = send_hannahs_file(a, b, two_kestrels.sender["hannah"])
    assert (sent["to"], sent["address"]) == ("Brook Lane Academy", b.url)
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
