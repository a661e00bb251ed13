"""Database triggers that make the audit table append-only, on PostgreSQL and on SQLite.

The ORM is not the only way in: these refuse UPDATE, DELETE (and on PostgreSQL, TRUNCATE) from
any client. One update is allowed, once per row: sealing (kestrel.audit.chain.seal), which sets
an unsealed row's place in its chain (`seq`, `prev_hash`, `row_hash`) and changes nothing else.
Test tear-downs that empty the database remove them first and put them back after.
"""

TABLE = "audit_auditevent"
MESSAGE = "audit events are append-only"
# Every column but the three that sealing sets: a seal may not change any of them.
KEPT = (
    "id", "school_id", "actor_id", "actor_label", "action", "object_type", "object_id",
    "object_label", "student_id", "detail", "ip_address", "session_hash", "at", "chain", "mac",
    "nonce",
)  # fmt: skip


def _sealing(same: str, *, sealing: bool = True) -> str:
    """The condition under which an UPDATE is a seal: unsealed before, sealed after, and every
    other column unchanged (`same` compares NEW and OLD as each database spells it). Without
    `sealing` (the table as migration 0002 left it, before rows were sealed afterwards): never."""
    if not sealing:
        return "FALSE"
    kept = " AND ".join(same.format(column=column) for column in KEPT)
    return f"OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {kept}"


def postgres_install(*, sealing: bool = True) -> list[str]:
    same = "NEW.{column} IS NOT DISTINCT FROM OLD.{column}"
    return [
        f"""
    CREATE OR REPLACE FUNCTION kestrel_audit_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {_sealing(same, sealing=sealing)} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
        f"DROP TRIGGER IF EXISTS audit_append_only_rows ON {TABLE}",
        f"""
    CREATE TRIGGER audit_append_only_rows BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION kestrel_audit_append_only()
    """,
        f"DROP TRIGGER IF EXISTS audit_append_only_truncate ON {TABLE}",
        f"""
    CREATE TRIGGER audit_append_only_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION kestrel_audit_append_only()
    """,
    ]


def sqlite_install(*, sealing: bool = True) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS audit_append_only_update",
        f"""
    CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON {TABLE}
    WHEN NOT ({_sealing("NEW.{column} IS OLD.{column}", sealing=sealing)})
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
        f"""
    CREATE TRIGGER IF NOT EXISTS audit_append_only_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    ]


POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS audit_append_only_rows ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_append_only_truncate ON {TABLE}",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_append_only_update",
    "DROP TRIGGER IF EXISTS audit_append_only_delete",
]


def _statements(connection, *, install: bool, sealing: bool = True) -> list[str]:
    if connection.vendor == "postgresql":
        return postgres_install(sealing=sealing) if install else POSTGRES_REMOVE
    if connection.vendor == "sqlite":
        return sqlite_install(sealing=sealing) if install else SQLITE_REMOVE
    raise NotImplementedError(f"No append-only triggers for {connection.vendor}")


def install(connection, *, sealing: bool = True) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection, install=True, sealing=sealing):
            cursor.execute(statement)


def remove(connection) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection, install=False):
            cursor.execute(statement)
