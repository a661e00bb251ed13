"""Sealing: an audit row is written in one statement, and linked into its chain afterwards.

A page that records who viewed a child's file pays for one INSERT, with no lock and no read of
the chain's tail: the row carries its own MAC (`row_mac`, keyed from AUDIT_KEY, which the
database does not hold), so a row edited after it was written is caught at once. The worker's
sealer (`seal_all`, every AUDIT_SEAL_EVERY_SECONDS) then takes each chain's turn, gives the rows
written since its last run their places (`seq`), in the order they were written, and links each
to the one before (`prev_hash`, `row_hash`), as `kestrel.audit.chain` always has. A row stays
unsealed for at most AUDIT_SEAL_SECONDS while the worker runs; `verify_audit` reports any row
left unsealed longer, since a sealer that has stopped is itself an alarm.

What an attacker who can write to the database can do to a row before it is sealed: delete it
(as they could delete the newest sealed rows until the chain's head is next published, see
`kestrel.audit.heads`). Not alter it (its MAC), forge one (no key) or copy one (the MAC is
unique, and `verify_audit` checks it). The note of issue 19 compares the bound with Certificate
Transparency's maximum merge delay.
"""

import json
import logging
import secrets
from collections.abc import Sequence

from django.db import connection, transaction

from kestrel.audit import chain
from kestrel.audit.models import AuditEvent
from kestrel.faults import pause_point

logger = logging.getLogger(__name__)

BATCH = 2000  # rows sealed per statement


def write(event: AuditEvent) -> AuditEvent:
    """Writes the unsaved `event`, unsealed, with its MAC: one INSERT (in the caller's
    transaction when there is one, so that a change and its record commit together)."""
    chain.seal_itself(event)
    event.save(force_insert=True)
    return event


def write_all(events: Sequence[AuditEvent]) -> None:
    """Writes several unsaved events, unsealed, in order, in one INSERT."""
    for event in events:
        chain.seal_itself(event)
    if len(events) == 1:
        events[0].save(force_insert=True)
    elif events:
        AuditEvent.all_schools.bulk_create(events)


# The columns `write_plain` writes: every column but the id, which the database gives.
PLAIN_COLUMNS = (
    "school_id",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "student_id",
    "detail",
    "ip_address",
    "session_hash",
    "at",
    "chain",
    "seq",
    "prev_hash",
    "row_hash",
    "mac",
    "nonce",
)


def write_plain(events: Sequence[dict]) -> None:
    """Writes events given as their fields (`chain.content`'s names but `chain`), unsealed, in
    order, each with its chain, nonce and MAC as `seal_itself` gives them: the rows `write_all`
    writes, without a model instance each, in one plain write (executemany on SQLite, COPY on
    PostgreSQL), in the caller's transaction. For writers of thousands of events at once (a
    roster import), where bulk_create's preparation of each field cost more than the database."""
    if not events:
        return
    postgres = connection.vendor == "postgresql"
    rows = []
    moment = at = None  # events made together often share their moment: converted once
    for fields in events:
        fields = {**fields, "chain": chain.chain_for(fields["school_id"])}
        nonce = secrets.token_hex(16)
        mac = chain.content_mac(nonce, **fields)
        if fields["at"] is not moment:
            moment = fields["at"]
            at = moment if postgres else connection.ops.adapt_datetimefield_value(moment)
        rows.append(
            (
                fields["school_id"],
                fields["actor_id"],
                fields["actor_label"],
                fields["action"],
                fields["object_type"],
                fields["object_id"],
                fields["object_label"],
                fields["student_id"],
                json.dumps(fields["detail"]),
                fields["ip_address"],
                fields["session_hash"],
                at,
                fields["chain"],
                None,  # seq, prev_hash, row_hash: given by the sealer
                "",
                "",
                mac,
                nonce,
            )
        )
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in PLAIN_COLUMNS)
    with connection.cursor() as cursor:
        if postgres:
            # Past Django's cursor: its errors are made Django's (IntegrityError) here.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(PLAIN_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def seal_chain(chain_id: int, *, after: int = 0, limit: int = BATCH) -> tuple[int, int | None]:
    """Seals up to `limit` of the chain's unsealed rows with ids above `after`, oldest first, in
    one transaction that holds the chain's turn. Returns how many it sealed and the last id it
    read (None when there were none). A row whose own MAC does not hold is never sealed: it
    stays unsealed, logged as an error, for `verify_audit` to name (sealing it would give an
    altered row a place in the chain)."""
    with transaction.atomic():
        seq, prev = chain.turn(chain_id)
        rows = list(
            AuditEvent.all_schools.filter(chain=chain_id, seq__isnull=True, id__gt=after).order_by(
                "id"
            )[:limit]
        )
        sealed = []
        for event in rows:
            if not chain.mac_holds(event):
                logger.error("Audit row %s left unsealed: its MAC does not hold", event.pk)
                continue
            seq += 1
            event.seq, event.prev_hash = seq, prev
            event.row_hash = prev = chain.row_hash(event, prev)
            sealed.append(event)
        AuditEvent.all_schools.bulk_update(sealed, ["seq", "prev_hash", "row_hash"])
        if sealed:
            pause_point("audit_sealing")  # the fault tests kill the worker here
    return len(sealed), (rows[-1].pk if rows else None)


def unsealed_chains() -> list[int]:
    return sorted(
        set(
            AuditEvent.all_schools.filter(seq__isnull=True)
            .order_by()
            .values_list("chain", flat=True)
            .distinct()
        )
    )


def seal_all() -> str:
    """The worker's sealer: every chain's unsealed rows, a batch at a time."""
    sealed = 0
    for chain_id in unsealed_chains():
        after = 0
        while after is not None:
            count, after = seal_chain(chain_id, after=after)
            sealed += count
    return f"{sealed} audit rows sealed"
