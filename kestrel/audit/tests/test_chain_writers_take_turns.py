"""Sealers at the same time each take their turn at the chain: none forks it or waits forever.
(Writers take no turn: a row is written unsealed, in one INSERT. Several app servers each run a
worker, so several sealers may reach one chain at once.)"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from kestrel.audit import chain
from kestrel.audit.models import AuditEvent
from kestrel.audit.sealing import seal_all, seal_chain
from kestrel.audit.services import record
from kestrel.testing.factories import SchoolFactory

SEALERS = 4
WRITERS = 4
EVENTS_EACH = 10


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time; PostgreSQL's sealers meet at the advisory lock",
)
def test_concurrent_writers_and_sealers_make_one_unbroken_chain(transactional_db):
    school = SchoolFactory()
    start = threading.Barrier(WRITERS + SEALERS)
    writing = threading.Event()
    failures = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for n in range(EVENTS_EACH):
                record(action="test.concurrent", school=school, detail={"w": writer, "n": n})
                time.sleep(0.002)
        except Exception as error:  # reported below, with the others
            failures.append(error)
        finally:
            connections.close_all()

    def seal() -> None:
        try:
            start.wait()
            while writing.is_set():
                seal_chain(school.pk, limit=3)  # small batches: the sealers queue at the lock
            seal_chain(school.pk)
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    writing.set()
    writers = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    sealers = [threading.Thread(target=seal) for _ in range(SEALERS)]
    for thread in writers + sealers:
        thread.start()
    for thread in writers:
        thread.join(timeout=60)
    writing.clear()
    threads = sealers
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
    record(action="test.first", school=school)
    seal_all()
    first = AuditEvent.objects.get(school=school)
    assert (first.seq, first.prev_hash) == (1, chain.GENESIS)
    with transaction.atomic():
        assert chain.turn(school.pk) == (1, first.row_hash)
