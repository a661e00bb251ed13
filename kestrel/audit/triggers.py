"""Database triggers that make the audit table append-only, on PostgreSQL and on SQLite.

The ORM is not the only way in: these refuse UPDATE, DELETE (and on PostgreSQL, TRUNCATE) from
any client. Test tear-downs that empty the database remove them first and put them back after.
"""

TABLE = "audit_auditevent"
MESSAGE = "audit events are append-only"

POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION kestrel_audit_append_only() RETURNS trigger AS $$
    BEGIN
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
POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS audit_append_only_rows ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_append_only_truncate ON {TABLE}",
]
SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS audit_append_only_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS audit_append_only_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_append_only_update",
    "DROP TRIGGER IF EXISTS audit_append_only_delete",
]


def _statements(connection, *, install: bool) -> list[str]:
    if connection.vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_REMOVE
    if connection.vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    raise NotImplementedError(f"No append-only triggers for {connection.vendor}")


def install(connection) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection, install=True):
            cursor.execute(statement)


def remove(connection) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection, install=False):
            cursor.execute(statement)
