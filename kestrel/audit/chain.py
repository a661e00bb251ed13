"""The audit trail's hash chain: tamper evidence that does not depend on the database's goodwill.

Each school has its own chain, so that schools of a trust do not wait on each other. A row is
written with its own MAC (`row_mac`) and linked into its chain afterwards by the sealer
(`kestrel.audit.sealing`): a sealed row's hash is an HMAC (keyed from AUDIT_KEY, which is not
stored in the database) over its fields, its MAC and the previous row's hash. Sealers of one
chain take turns: a transaction-scoped advisory lock on PostgreSQL, and SQLite's single writer
(Kestrel opens its transactions IMMEDIATE).
"""

import datetime
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min

from kestrel.audit.models import AuditEvent

GENESIS = "0" * 64
LOCK_NAMESPACE = 0x4B455354  # "KEST": the advisory-lock namespace for audit chains


def chain_for(school_id: int | None) -> int:
    return school_id or 0


def chain_key() -> bytes:
    key = getattr(settings, "AUDIT_KEY", "") or settings.SECRET_KEY
    return hashlib.sha256(f"kestrel-audit-chain:{key}".encode()).digest()


def content(event: AuditEvent) -> dict:
    """A row's fields as written: what its own MAC covers, and its place in the chain besides."""
    return {
        "chain": event.chain,
        "school_id": event.school_id,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_label": event.object_label,
        "student_id": event.student_id,
        "detail": event.detail,
        "ip_address": event.ip_address,
        "session_hash": event.session_hash,
        "at": event.at,
    }


def canonical(event: AuditEvent) -> bytes:
    """The fields a row's hash covers, in a form that survives a trip through either database."""
    # A migration's historical model may predate the row's own MAC.
    return canonical_fields(seq=event.seq, mac=getattr(event, "mac", ""), **content(event))


def canonical_fields(
    *, chain, seq, school_id, actor_id, actor_label, action, object_type, object_id,
    object_label, student_id, detail, ip_address, session_hash, at: datetime.datetime,
    mac: str = "",
) -> bytes:  # fmt: skip
    """`canonical` for a row given as its values: the one canonical form, also for a writer
    that has no model instances (the bench's seeder). A row's own MAC is part of it when the
    row has one, so that a sealed row's MAC cannot be removed or replaced either."""
    fields = [
        chain, seq, school_id, actor_id, actor_label, action, object_type, object_id,
        object_label, student_id, detail, ip_address, session_hash,
        at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
    ]  # fmt: skip
    if mac:
        fields.append(mac)
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def mac_key() -> bytes:
    """The key of rows' own MACs: from AUDIT_KEY, but not the chain's key nor the heads'."""
    key = getattr(settings, "AUDIT_KEY", "") or settings.SECRET_KEY
    return hashlib.sha256(f"kestrel-audit-row:{key}".encode()).digest()


def row_mac(event: AuditEvent) -> str:
    """The row's own MAC, written with it: over its nonce and its fields as written, before it
    has a place in the chain (no sequence number yet, no MAC of its own)."""
    return content_mac(event.nonce, **content(event))


def content_mac(nonce: str, **fields) -> str:
    """`row_mac` for a row given as its values (the bench's seeder has no model instances)."""
    message = nonce.encode() + b"|" + canonical_fields(seq=None, **fields)
    return hmac.new(mac_key(), message, hashlib.sha256).hexdigest()


def seal_itself(event: AuditEvent) -> None:
    """Gives an unsaved row its chain, a fresh nonce and its own MAC."""
    event.chain = chain_for(event.school_id)
    event.nonce = secrets.token_hex(16)
    event.mac = row_mac(event)


def mac_holds(event: AuditEvent) -> bool:
    return bool(event.mac) and hmac.compare_digest(event.mac, row_mac(event))


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
        AuditEvent.all_schools.filter(chain=chain, seq__isnull=False)
        .order_by("-seq")
        .values_list("seq", "row_hash")
        .first()
    )
    return last if last else (0, GENESIS)


def bulk_append(events: Iterable[AuditEvent], batch_size: int = 2000) -> int:
    """Appends many events at once, sealed as they are written (seeding, imports: work that
    writes thousands of rows and may as well take each chain's turn once), in order, chain by
    chain. Each carries its own MAC too, as a row written one at a time does."""
    by_chain: dict[int, list[AuditEvent]] = {}
    for event in events:
        seal_itself(event)
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
    seq: int | None
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        place = f"sequence {self.seq}" if self.seq is not None else "not sealed"
        where = f"chain {self.chain} (school {self.chain or 'none'}), {place}"
        row = f", row id {self.event_id}" if self.event_id is not None else ""
        return f"{where}{row}: {self.problem}"


def verify(chunk_size: int = 5000) -> Iterator[Break]:
    """Checks every chain's sealed rows from its start; yields the first break found in each
    broken chain. (`unsealed_faults` checks the rows not sealed yet.)"""
    chains = AuditEvent.all_schools.order_by().values_list("chain", flat=True).distinct()
    for chain in sorted(set(chains)):
        expected_seq, prev = 1, GENESIS
        rows = (
            AuditEvent.all_schools.filter(chain=chain, seq__isnull=False)
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
            if not hmac.compare_digest(event.row_hash, row_hash(event, prev)) or (
                event.mac and not mac_holds(event)
            ):
                yield Break(chain, event.seq, event.pk, "row altered")
                break
            prev, expected_seq = event.row_hash, expected_seq + 1


def unsealed_faults(bound: datetime.timedelta, now: datetime.datetime) -> Iterator[Break]:
    """The rows not sealed yet that should worry anyone: one whose own MAC does not hold (altered
    or forged before the sealer reached it: the sealer leaves it unsealed), one still unsealed
    `bound` after it was written (the sealer is late or has stopped), and a copy of another row
    (the same MAC twice: the database's unique index on it was lifted to let it in)."""
    rows = AuditEvent.all_schools.filter(seq__isnull=True).order_by("chain", "id")
    for event in rows.iterator(chunk_size=5000):
        if not mac_holds(event):
            yield Break(event.chain, None, event.pk, "unsealed row altered (its MAC does not hold)")
        elif event.at < now - bound:
            waited = int((now - event.at).total_seconds())
            yield Break(
                event.chain,
                None,
                event.pk,
                f"unsealed for {waited} s, more than {int(bound.total_seconds())} s: is the "
                "worker's sealer running?",
            )
    copies = (
        AuditEvent.all_schools.exclude(mac="")
        .values("mac")
        .annotate(rows=Count("id"), first=Min("id"), chain=Min("chain"))
        .filter(rows__gt=1)
        .order_by("first")
    )
    for copy in copies:
        yield Break(
            copy["chain"], None, copy["first"], f"copied: {copy['rows']} rows share its MAC"
        )
