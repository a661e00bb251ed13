"""Writers at the same time each take their turn at the chain: none forks it or waits forever."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from kestrel.audit import chain
from kestrel.audit.models import AuditEvent
from kestrel.audit.services import record
from kestrel.testing.factories import SchoolFactory

WRITERS = 4
EVENTS_EACH = 10


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time; PostgreSQL's writers meet at the advisory lock",
)
def test_concurrent_writers_extend_one_unbroken_chain(transactional_db):
    school = SchoolFactory()
    start = threading.Barrier(WRITERS)
    failures = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for n in range(EVENTS_EACH):
                with transaction.atomic():
                    record(action="test.concurrent", school=school, detail={"w": writer, "n": n})
                    time.sleep(0.002)  # hold the turn while the others queue for it
        except Exception as error:  # reported below, with the others
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    seqs = list(
        AuditEvent.objects.filter(chain=school.pk).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, WRITERS * EVENTS_EACH + 1))
    assert list(chain.verify()) == []


def test_an_empty_chain_starts_from_the_genesis_hash(db):
    school = SchoolFactory()
    with transaction.atomic():
        assert chain.turn(school.pk) == (0, chain.GENESIS)
    first = record(action="test.first", school=school)
    assert (first.seq, first.prev_hash) == (1, chain.GENESIS)
    with transaction.atomic():
        assert chain.turn(school.pk) == (1, first.row_hash)
