"""Where the rows go: plain INSERTs (executemany) on SQLite and COPY on PostgreSQL, on Django's
connection inside the seed's one transaction, with the ids allocated here.

Also what makes a load of millions of rows quick, each undone when the seed ends: SQLite's
pragmas for this connection, PostgreSQL's settings for this transaction, the foreign key
triggers skipped and the non-unique indexes built once after the load.
"""

import contextlib
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction

from kestrel.alerts.models import Alert
from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import Action, BodyMapMarker, Incident, LinkedStudent
from kestrel.students.models import Student

# The columns written to each table: every column without a default in the database.
COLUMNS = {
    Student: (
        "id", "school_id", "legal_first_name", "legal_last_name", "preferred_first_name",
        "preferred_last_name", "date_of_birth", "upn", "year_group", "tutor_group", "on_roll",
        "left_on", "created_at", "search_text",
    ),
    Incident: (
        "id", "school_id", "student_id", "reporter_id", "text", "occurred_at", "recorded_at",
        "required_rank", "snapshot",
    ),
    Incident.categories.through: ("id", "incident_id", "category_id"),
    Incident.agencies.through: ("id", "incident_id", "agency_id"),
    LinkedStudent: ("id", "incident_id", "student_id", "monitor_same_category", "share_documents"),
    BodyMapMarker: ("id", "incident_id", "number", "side", "x", "y"),
    Alert: (
        "id", "school_id", "incident_id", "recipient_id", "sender_id", "created_at", "read_at",
        "email_status", "email_attempts", "email_sent_at", "email_error",
    ),
    Action: (
        "id", "school_id", "incident_id", "author_id", "text", "occurred_at", "recorded_at",
        "add_to_linked_students", "share_documents", "snapshot",
    ),
    Action.agencies.through: ("id", "action_id", "agency_id"),
    AuditEvent: (
        "id", "school_id", "actor_id", "actor_label", "action", "object_type", "object_id",
        "object_label", "student_id", "detail", "ip_address", "session_hash", "at", "chain",
        "seq", "prev_hash", "row_hash", "mac", "nonce",
    ),
}  # fmt: skip


class SQLiteSink:
    """Plain INSERTs through executemany, on Django's connection inside its transaction."""

    suffix = ""  # Django keeps naive UTC text on SQLite

    def __init__(self):
        self.db = connection.connection
        self.statements: dict[str, str] = {}

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        statement = self.statements.get(table)
        if statement is None:
            names = ", ".join(f'"{column}"' for column in columns)
            marks = ", ".join("?" * len(columns))
            statement = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608
            self.statements[table] = statement
        self.db.executemany(statement, rows)

    def secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        """The table's non-unique indexes: (name, the SQL that made it)."""
        return self.db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
            [table],
        ).fetchall()


class PostgresSink:
    """COPY FROM STDIN through psycopg 3, on Django's connection inside its transaction."""

    suffix = "+00"

    def __init__(self):
        self.cursor = connection.connection.cursor()

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        names = ", ".join(f'"{column}"' for column in columns)
        with self.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        """The table's indexes that are neither unique nor a constraint's: (name, definition)."""
        return self.cursor.execute(
            "SELECT index.relname, pg_get_indexdef(index.oid) FROM pg_index AS info "
            "JOIN pg_class AS index ON index.oid = info.indexrelid "
            "WHERE info.indrelid = %s::regclass AND NOT info.indisunique "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = info.indexrelid)",
            [f'"{table}"'],
        ).fetchall()


@dataclass(slots=True)
class Table:
    """A table being loaded: the next id to give, the rows made since the last write."""

    model: type
    name: str
    columns: tuple[str, ...]
    next_id: int = 1
    rows: list[tuple] = field(default_factory=list)
    written: int = 0


def open_sink() -> SQLiteSink | PostgresSink:
    return SQLiteSink() if connection.vendor == "sqlite" else PostgresSink()


def open_table(model) -> Table:
    """The model's table, its ids to be allocated after the highest used or taken."""
    name = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT MAX("id") FROM "{name}"')  # noqa: S608 - a model's table
        highest = cursor.fetchone()[0] or 0
        if connection.vendor == "postgresql":
            sequence = _sequence(cursor, name)
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
            last, called = cursor.fetchone()
            highest = max(highest, last if called else last - 1)
    return Table(model, name, COLUMNS[model], next_id=highest + 1)


def reset_sequences(tables) -> None:
    """Later inserts by the app take ids after ours (SQLite's AUTOINCREMENT does this)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for found in tables:
            cursor.execute(
                "SELECT setval(%s, %s, %s)",
                [_sequence(cursor, found.name), max(found.next_id - 1, 1), found.next_id > 1],
            )


def _sequence(cursor, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{table}"'])
    return cursor.fetchone()[0]


@contextlib.contextmanager
def indexes_built_after(sink, tables: list[str]):
    """Drops the tables' non-unique indexes for the load and builds them again after it: one
    sort per index is far quicker than millions of inserts into it. Inside the transaction, so
    a failed seed leaves them as they were; each is made again from its own definition."""
    dropped = []
    with connection.cursor() as cursor:
        for table in tables:
            for name, definition in sink.secondary_indexes(table):
                cursor.execute(f'DROP INDEX "{name}"')
                dropped.append(definition)
    yield
    with connection.cursor() as cursor:
        for definition in dropped:
            cursor.execute(definition)


@contextlib.contextmanager
def fast_connection():
    """SQLite settings for this connection only while seeding, put back afterwards."""
    connection.ensure_connection()
    restore = []
    # Only outside a transaction: SQLite refuses these inside one (as in the tests).
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for pragma, value in [
                ("foreign_keys", "OFF"),  # every reference is made here, within its school
                ("synchronous", "OFF"),
                ("cache_size", "-1000000"),  # 1 GB
                ("journal_mode", "DELETE"),  # new pages of one transaction need no journal
            ]:
                before = cursor.execute(f"PRAGMA {pragma}").fetchone()[0]
                cursor.execute(f"PRAGMA {pragma} = {value}")
                restore.insert(0, f"PRAGMA {pragma} = {before}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in restore:
                cursor.execute(statement)


def fast_transaction() -> None:
    """PostgreSQL settings for the seeding transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")  # to build the indexes


@contextlib.contextmanager
def reference_triggers_skipped():
    """On PostgreSQL, skips the per-row foreign key triggers while loading (superusers only;
    for others they run): every reference is made here within its school, as the tests check."""
    skipped = False
    if connection.vendor == "postgresql":
        with contextlib.suppress(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute("SET LOCAL session_replication_role = replica")
            skipped = True
    yield
    if skipped:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
