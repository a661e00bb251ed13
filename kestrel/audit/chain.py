"""The audit trail's hash chain: tamper evidence that does not depend on the database's goodwill.

Each school has its own chain, so that schools of a trust do not wait on each other. A row's hash
is an HMAC (keyed with AUDIT_KEY, which is not stored in the database) over its fields and the
previous row's hash. Writers of one chain take turns: a transaction-scoped advisory lock on
PostgreSQL, and SQLite's single writer (Kestrel opens its transactions IMMEDIATE).
"""

import datetime
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from kestrel.audit.models import AuditEvent

GENESIS = "0" * 64
LOCK_NAMESPACE = 0x4B455354  # "KEST": the advisory-lock namespace for audit chains


def chain_for(school_id: int | None) -> int:
    return school_id or 0


def chain_key() -> bytes:
    key = getattr(settings, "AUDIT_KEY", "") or settings.SECRET_KEY
    return hashlib.sha256(f"kestrel-audit-chain:{key}".encode()).digest()


def canonical(event: AuditEvent) -> bytes:
    """The fields a row's hash covers, in a form that survives a trip through either database."""
    return canonical_fields(
        chain=event.chain,
        seq=event.seq,
        school_id=event.school_id,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        object_label=event.object_label,
        student_id=event.student_id,
        detail=event.detail,
        ip_address=event.ip_address,
        session_hash=event.session_hash,
        at=event.at,
    )


def canonical_fields(
    *, chain, seq, school_id, actor_id, actor_label, action, object_type, object_id,
    object_label, student_id, detail, ip_address, session_hash, at: datetime.datetime,
) -> bytes:  # fmt: skip
    """`canonical` for a row given as its values: the one canonical form, also for a writer
    that has no model instances (the bench's seeder)."""
    fields = [
        chain, seq, school_id, actor_id, actor_label, action, object_type, object_id,
        object_label, student_id, detail, ip_address, session_hash,
        at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
    ]  # fmt: skip
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def row_hash(event: AuditEvent, prev_hash: str) -> str:
    return chained_hash(prev_hash, canonical(event))


def chained_hash(prev_hash: str, canonical_form: bytes) -> str:
    """A row's hash: the HMAC of the previous row's hash and the row's canonical form."""
    return hmac.new(
        chain_key(), prev_hash.encode() + b"|" + canonical_form, hashlib.sha256
    ).hexdigest()


def turn(chain: int) -> tuple[int, str]:
    """Takes the chain's turn for this transaction and returns its last sequence number and row
    hash, as `tail`. On PostgreSQL, one statement (the function `kestrel_audit_turn`, made by
    a migration) takes a transaction-scoped advisory lock and then reads the tail with a new
    snapshot, one round trip instead of two; SQLite's single writer needs no lock."""
    if connection.vendor != "postgresql":
        return tail(chain)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_seq, last_hash FROM kestrel_audit_turn(%s, %s)", [LOCK_NAMESPACE, chain]
        )
        seq, row_hash = cursor.fetchone()
    return (seq, row_hash) if seq is not None else (0, GENESIS)


def tail(chain: int) -> tuple[int, str]:
    """The chain's last sequence number and row hash (0 and GENESIS for an empty chain)."""
    last = (
        AuditEvent.all_schools.filter(chain=chain)
        .order_by("-seq")
        .values_list("seq", "row_hash")
        .first()
    )
    return last if last else (0, GENESIS)


def append(event: AuditEvent) -> AuditEvent:
    """Links the unsaved `event` to the end of its school's chain and saves it.

    Inside the caller's transaction when there is one (no savepoint: if the event cannot be
    written, the change it records must not be written either)."""
    with transaction.atomic(savepoint=False):
        event.chain = chain_for(event.school_id)
        seq, prev = turn(event.chain)
        event.seq = seq + 1
        event.prev_hash = prev
        event.row_hash = row_hash(event, prev)
        event.save(force_insert=True)
    return event


def bulk_append(events: Iterable[AuditEvent], batch_size: int = 2000) -> int:
    """Appends many events at once (seeding, imports), in order, chain by chain."""
    by_chain: dict[int, list[AuditEvent]] = {}
    for event in events:
        event.chain = chain_for(event.school_id)
        by_chain.setdefault(event.chain, []).append(event)
    count = 0
    with transaction.atomic(savepoint=False):
        for chain, rows in by_chain.items():
            seq, prev = turn(chain)
            for event in rows:
                seq += 1
                event.seq, event.prev_hash = seq, prev
                event.row_hash = prev = row_hash(event, prev)
            AuditEvent.all_schools.bulk_create(rows, batch_size=batch_size)
            count += len(rows)
    return count


@dataclass(frozen=True)
class Break:
    chain: int
    seq: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"chain {self.chain} (school {self.chain or 'none'}), sequence {self.seq}"
        row = f", row id {self.event_id}" if self.event_id is not None else ""
        return f"{where}{row}: {self.problem}"


def verify(chunk_size: int = 5000) -> Iterator[Break]:
    """Checks every chain from its start; yields the first break found in each broken chain."""
    chains = AuditEvent.all_schools.order_by().values_list("chain", flat=True).distinct()
    for chain in sorted(set(chains)):
        expected_seq, prev = 1, GENESIS
        rows = (
            AuditEvent.all_schools.filter(chain=chain)
            .order_by("seq")
            .iterator(chunk_size=chunk_size)
        )
        for event in rows:
            if event.seq != expected_seq:
                yield Break(
                    chain, expected_seq, None, f"row missing (next row found is {event.seq})"
                )
                break
            if event.prev_hash != prev:
                yield Break(chain, event.seq, event.pk, "a row before it was removed or inserted")
                break
            if not hmac.compare_digest(event.row_hash, row_hash(event, prev)):
                yield Break(chain, event.seq, event.pk, "row altered")
                break
            prev, expected_seq = event.row_hash, expected_seq + 1
