"""A child's file sent between two real Kestrels, each with its own database (issue 22, done when):
school A marks Hannah as left for school B on another Kestrel and sends her file; A's worker
delivers it over HTTP to B's inbox, which checks it with A's keys fetched from A; B matches it to
its Hannah by UPN; B's DSL accepts it, B's worker sends the signed receipt back, and A's transfer
log shows the acknowledgement with B's DSL's name and time."""

import pytest

from kestrel.transfer_pages.tests.two_servers import (
    send_hannahs_file,
    two_kestrels,
    wait_for,
)

# Real servers on their own SQLite databases: run once (in the SQLite pass of CI).
pytestmark = pytest.mark.own_servers

__all__ = ["two_kestrels"]  # the fixture, used below


def test_a_file_sent_from_one_kestrel_is_received_accepted_and_acknowledged_at_the_other(
    two_kestrels,
):
    a, b = two_kestrels
    hannah_at_b = two_kestrels.receiver["hannah"]

    sent, state = send_hannahs_file(a, b, two_kestrels.sender["hannah"])
    assert (sent["to"], sent["address"]) == ("Brook Lane Academy", b.url)
    assert state[:3] == ["delivered", "", "sent"], state
    package_sha256 = state[3]

    # At B: the file is waiting, matched to B's Hannah by her UPN, from A as A signed it.
    received = b.python(
        """
        import json
        from kestrel.transfers.models import Received
        (received,) = Received.objects.all()
        print(json.dumps({"id": received.pk, "state": received.state,
                          "student": received.student_id, "from": received.from_school_name,
                          "urn": received.from_school_urn, "address": received.from_address,
                          "sha256": received.sha256, "records": received.records}))
        """
    )
    assert received["state"] == "waiting"
    assert received["student"] == hannah_at_b
    assert (received["from"], received["urn"], received["address"]) == (
        "Ashdown Primary School",
        "100001",
        a.url,
    )
    assert received["sha256"] == package_sha256
    assert received["records"] > 0

    # B's DSL accepts it: A's entries join Hannah's chronology at B, labelled with A's name.
    accepted = b.python(
        f"""
        import json
        from kestrel.accounts.models import User
        from kestrel.casefile.models import CaseEvent
        from kestrel.transfer_pages import receiving
        from kestrel.transfers.models import Received
        priya = User.objects.get(email="priya.shah@brooklane.example.org")
        received = receiving.accept(actor=priya, received=Received.objects.get(pk={received["id"]}))
        labelled = CaseEvent.objects.filter(
            student_id={hannah_at_b}, source_school="Ashdown Primary School"
        ).count()
        print(json.dumps({{"at": received.accepted_at.isoformat(), "labelled": labelled}}))
        """
    )
    assert accepted["labelled"] >= received["records"]

    # B's worker sends the signed receipt; A records it on the transfer.
    def acknowledged():
        log = a.python(
            f"""
            import json
            from kestrel.transfers.models import Transfer
            transfer = Transfer.objects.get(pk={sent["transfer"]})
            print(json.dumps([transfer.state, transfer.acknowledged_by_name,
                              transfer.acknowledged_by_role, transfer.acknowledged_how,
                              transfer.acknowledged_at and transfer.acknowledged_at.isoformat()]))
            """
        )
        return log if log[0] == "received" else None

    log = wait_for(acknowledged, seconds=120, every=1)
    assert log is not None, b.log.read_text()
    assert log[1:] == [
        "Priya Shah",
        "Designated Safeguarding Lead",
        "Accepted on Kestrel",
        accepted["at"],
    ]
    receipt_sent = b.python(
        f"""
        import json
        from kestrel.transfers.models import Received
        print(json.dumps(Received.objects.get(pk={received["id"]}).receipt_sent_at is not None))
        """
    )
    assert receipt_sent is True
