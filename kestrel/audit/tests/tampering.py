"""What a database administrator could do to the audit trail, for the tests that must catch it:
lift the append-only triggers, change rows, put the triggers back."""

from django.db import connection

from kestrel.audit import triggers
from kestrel.audit.models import AuditEvent

TABLE = AuditEvent._meta.db_table


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper(sql, params=()):
    """Runs `sql` with the triggers lifted."""
    triggers.remove(connection)
    try:
        raw(sql, params)
    finally:
        triggers.install(connection)


def slip_in(forged: AuditEvent, *, at: int) -> None:
    """Inserts a copy of `forged` as a new row at sequence `at` of its chain, moving every later
    row up one to make room, as a forger would."""
    shift = f"UPDATE {TABLE} SET seq = seq + %s WHERE chain = %s AND seq > %s"
    tamper(shift, [100_000, forged.chain, at - 1])
    tamper(shift, [-99_999, forged.chain, 100_000])
    forged.pk, forged.seq, forged.action = None, at, "student.never_viewed"
    # The forger's own nonce and MAC (without AUDIT_KEY, a guess: a copy's would be refused).
    forged.nonce, forged.mac = "f" * 32, "e" * 64
    triggers.remove(connection)
    try:
        forged.save(force_insert=True)
    finally:
        triggers.install(connection)
