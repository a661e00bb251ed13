"""A child's file is never silently undelivered, nor delivered twice, when a Kestrel dies under
it: two real Kestrels (kestrel.transfer_pages.tests.two_servers), one of them killed with
`kill -9` (its whole process group: serve, the web server, the worker supervisor and its
db_worker) at a named point (kestrel.faults) while A sends Hannah's file to B.

- B killed while A's package is on its way in (read, not yet stored), and again once stored but
  before answering: each time A's delivery fails with its reason and the transfer is not
  recorded as sent; a retry once B is back delivers it, and B holds exactly one copy, the one
  A records.
- A killed with its delivery task running (the package sealed, not yet sent), and again once B
  has the file but before A recorded it: each time the restarted A's worker recovers the task
  and runs it again; the file is delivered once, B holds one copy, A records that copy.
"""

import json
import os

import pytest

from kestrel.transfer_pages.tests.two_servers import B_URN, serving, wait_for

# Real servers on their own SQLite databases: run once (in the SQLite pass of CI).
pytestmark = pytest.mark.own_servers


def pause_at(folder, *points: str) -> dict:
    """The environment that stops a Kestrel's process at each named point, once."""
    folder.mkdir(exist_ok=True)
    return {"KESTREL_PAUSE_AT": ",".join(points), "KESTREL_PAUSE_DIR": str(folder)}


def paused(folder, point: str, server) -> int:
    """The process id stopped at `point`, once one is there."""
    marker = folder / point
    assert wait_for(marker.exists, seconds=90, every=0.2), (
        f"{server.name} never reached {point}:\n{server.log.read_text()}"
    )
    return int(wait_for(lambda: marker.read_text().strip(), seconds=5, every=0.1))


def mark_left_for_b(pair) -> int:
    """At A, Hannah marked as left today for Brook Lane Academy on the Kestrel at B's address:
    the transfer's id."""
    a, b = pair
    return a.python(
        f"""
        import json
        from django.utils import timezone
        from kestrel.accounts.models import User
        from kestrel.students.models import Student
        from kestrel.transfers.models import Destination
        from kestrel.transfers.services import mark_left
        transfer = mark_left(
            actor=User.objects.get(email="chloe.kelan@example.org"),
            student=Student.objects.get(pk={pair.sender["hannah"]}),
            left_on=timezone.localdate(),
            destination=Destination.SCHOOL,
            details={{"destination_name": "Brook Lane Academy", "destination_urn": {B_URN!r},
                      "destination_address": {b.url!r}}},
        )
        print(json.dumps(transfer.pk))
        """
    )


def send(a, transfer: int, *, as_confirmed_before: bool = False) -> int:
    """At A, the DSL sends the file (as Send and its confirmation do: the school's keys fetched
    from B and confirmed), or (`as_confirmed_before`) to the school as confirmed the last time,
    as when B stops after the DSL confirmed: the new delivery's id."""
    return a.python(
        f"""
        import json
        from kestrel.accounts.models import User
        from kestrel.transfer_pages import delivery
        from kestrel.transfers.models import Transfer
        transfer = Transfer.objects.get(pk={transfer})
        last = transfer.kestrel_deliveries.first()
        to = (
            delivery.Destination(
                name=last.to_name, urn=last.to_urn, address=last.to_address,
                signing=last.to_signing_key, encryption=last.to_encryption_key,
            )
            if {as_confirmed_before}
            else delivery.destination(transfer)
        )
        sending = delivery.request_delivery(
            transfer=transfer, actor=User.objects.get(email="chloe.kelan@example.org"),
            confirmed=to,
        )
        print(json.dumps(sending.pk))
        """
    )


def delivery_of(a, delivery: int) -> tuple[str, str, str]:
    ((state, reason, digest),) = a.rows(
        "SELECT state, reason, package_sha256 FROM transfers_kestreldelivery WHERE id = ?",
        delivery,
    )
    return state, reason, digest


def finished(a, delivery: int) -> tuple[str, str, str]:
    """The delivery's state, reason and digest once it has finished (delivered or failed)."""
    done = wait_for(
        lambda: (found := delivery_of(a, delivery))[0] in ("delivered", "failed") and found,
        seconds=90,
        every=0.5,
    )
    assert done, f"{delivery_of(a, delivery)}\n{a.log.read_text()}"
    return done


def transfer_at_a(a, transfer: int) -> tuple[str, str]:
    ((state, digest),) = a.rows(
        "SELECT state, package_sha256 FROM transfers_transfer WHERE id = ?", transfer
    )
    return state, digest


def copies_at_b(b) -> list[tuple[str, str, int]]:
    """Every file B holds: (from which transfer, its package's digest, its student)."""
    return b.rows("SELECT from_transfer, sha256, student_id FROM transfers_received")


def process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.fixture
def b_stops_in_its_inbox(tmp_path, tmp_path_factory):
    pauses = tmp_path / "pauses"
    env = pause_at(pauses, "package_arriving", "package_stored")
    with serving(tmp_path, tmp_path_factory, b_env=env) as pair:
        yield pair, pauses


def test_the_receiving_kestrel_killed_mid_delivery_fails_it_with_its_reason_and_a_retry_delivers_one_copy(  # noqa: E501
    b_stops_in_its_inbox,
):
    pair, pauses = b_stops_in_its_inbox
    a, b = pair
    transfer = mark_left_for_b(pair)

    # B is killed while the package is coming in (read whole, nothing stored yet).
    first = send(a, transfer)
    pid = paused(pauses, "package_arriving", b)
    b.kill()
    assert process_is_gone(pid)
    state, reason, _ = finished(a, first)
    assert state == "failed"
    assert reason.startswith(f"The Kestrel at {b.url} stopped before confirming it had the file")
    assert reason.endswith("Sending it again is safe: it keeps one copy of each file.")
    assert transfer_at_a(a, transfer) == ("due", "")
    assert copies_at_b(b) == []

    # Sent to B as confirmed just before it stopped: it fails at once, saying why.
    down = send(a, transfer, as_confirmed_before=True)
    state, reason, _ = finished(a, down)
    assert state == "failed"
    assert reason.startswith(f"The Kestrel at {b.url} could not be reached"), reason
    assert transfer_at_a(a, transfer) == ("due", "")

    # B back; A tries again. B stores the file and is killed before it answers.
    b.start()
    second = send(a, transfer)
    pid = paused(pauses, "package_stored", b)
    b.kill()
    assert process_is_gone(pid)
    state, reason, _ = finished(a, second)
    assert state == "failed"
    assert "stopped before confirming it had the file" in reason
    assert transfer_at_a(a, transfer) == ("due", "")
    ((reference, kept, student),) = copies_at_b(b)  # B has it; A cannot know
    assert (reference, student) == (str(transfer), pair.receiver["hannah"])

    # B back; A tries again: B answers that it has the file already, and A records that copy.
    b.start()
    third = send(a, transfer)
    state, reason, digest = finished(a, third)
    assert (state, reason, digest) == ("delivered", "", kept)
    assert transfer_at_a(a, transfer) == ("sent", kept)
    assert copies_at_b(b) == [(str(transfer), kept, pair.receiver["hannah"])]
    states = a.rows(
        "SELECT id, state FROM transfers_kestreldelivery WHERE transfer_id = ? ORDER BY id",
        transfer,
    )
    assert states == [
        (first, "failed"),
        (down, "failed"),
        (second, "failed"),
        (third, "delivered"),
    ]


@pytest.fixture
def a_stops_while_sending(tmp_path, tmp_path_factory):
    pauses = tmp_path / "pauses"
    env = pause_at(pauses, "package_sealed", "package_delivered")
    with serving(tmp_path, tmp_path_factory, a_env=env) as pair:
        yield pair, pauses


def test_the_sending_kestrel_killed_with_its_delivery_running_recovers_it_and_delivers_once(
    a_stops_while_sending,
):
    pair, pauses = a_stops_while_sending
    a, b = pair
    transfer = mark_left_for_b(pair)
    sending = send(a, transfer)
    task = "kestrel.transfer_pages.delivery.deliver"

    # A is killed with the task running: the package made and sealed, not yet sent.
    pid = paused(pauses, "package_sealed", a)
    a.kill()
    assert process_is_gone(pid)
    assert delivery_of(a, sending)[0] == "sending"
    assert a.rows(
        "SELECT status FROM django_tasks_database_dbtaskresult WHERE task_path = ?", task
    ) == [("RUNNING",)]
    assert copies_at_b(b) == []

    # A started again: its worker runs the task again, which sends the file; A is killed once
    # B has it and before A has recorded it.
    a.start()
    pid = paused(pauses, "package_delivered", a)
    ((reference, kept, _),) = copies_at_b(b)
    assert reference == str(transfer)
    a.kill()
    assert process_is_gone(pid)
    assert delivery_of(a, sending)[0] == "sending"
    assert transfer_at_a(a, transfer) == ("due", "")

    # A started again: the task runs a third time; B keeps its one copy, and A records it.
    a.start()
    state, reason, digest = finished(a, sending)
    assert (state, reason, digest) == ("delivered", "", kept)
    assert transfer_at_a(a, transfer) == ("sent", kept)
    assert copies_at_b(b) == [(str(transfer), kept, pair.receiver["hannah"])]
    assert a.rows("SELECT id FROM transfers_kestreldelivery WHERE transfer_id = ?", transfer) == [
        (sending,)
    ]
    ran = wait_for(
        lambda: (
            (
                found := a.rows(
                    "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult"
                    " WHERE task_path = ? ORDER BY enqueued_at",
                    task,
                )
            )
            and all(status == "SUCCESSFUL" for status, _ in found)
            and found
        ),
        seconds=30,
    )
    assert ran, a.rows("SELECT status, worker_ids FROM django_tasks_database_dbtaskresult")
    (_, workers), *again = ran
    assert len(json.loads(workers)) == 3  # run by three workers, two of them killed
    # Restarted, A may send before its own web server answers: B cannot check A's keys yet and
    # asks it to try again (503), which a later task does, by one worker each time.
    assert all(len(json.loads(ids)) == 1 for _, ids in again)
    assert a.log.read_text().count("Tasks whose worker died: 1 to run again") == 2
