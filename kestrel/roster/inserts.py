"""Plain writes of many rows, for the thousands an import writes: executemany on SQLite, COPY on
PostgreSQL, each row a tuple of its columns' values as the database keeps them.

The model's bulk_create builds one statement of a thousand rows' parameters through every
field's preparation, which cost more than the database's work: 1.3 s of the 3.9 s of applying
10,000 new students, and 0.7 s of the 1.8 s of checking them, measured. Whoever calls these
gives each column its stored form (`date_text`, `json_text`, `now_text`) and every column the
model's defaults would have filled.
"""

import datetime
import json
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def insert_rows(model: type[Model], columns: Sequence[str], rows: list[tuple]) -> None:
    """Writes `rows` (tuples in the order of `columns`, which are database column names) into
    `model`'s table, in the caller's transaction."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Past Django's cursor: its errors are made Django's (IntegrityError) here.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def without_waiting_for_disk() -> None:
    """On PostgreSQL, the current transaction's commit does not wait for the disk
    (synchronous_commit off, for this transaction only): the import's chunks are written without
    an fsync each. A crash of the database server may lose such a transaction, always whole,
    with those after it; never one that a later waiting commit followed, since a commit that
    waits writes everything before it. What an import loses that way it does again: its chunks
    are redone from the rows not marked applied (in the same transaction), and its end (the
    preview ready, the import done) waits as every commit does."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def new_ids(model: type[Model], count: int) -> range | list[int]:
    """`count` ids for rows of `model` about to be written with them, as the database would give
    them: from its sequence on PostgreSQL (safe beside other writers); on SQLite after the
    highest ever given, which only the transaction holding the write lock may ask (Kestrel's
    transactions are IMMEDIATE: nobody else writes until it ends)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), count],
            )
            return [found for (found,) in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT MAX(id) FROM {quoted}), 0), "  # noqa: S608
            "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        highest = cursor.fetchone()[0]
    return range(highest + 1, highest + 1 + count)


def json_text(value) -> str:
    """A JSON column's stored text, as JSONField writes it (no encoder)."""
    return json.dumps(value)


def date_text(value: datetime.date | str | None) -> str | None:
    """A date column's value: ISO text (what SQLite keeps, and what PostgreSQL reads)."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def now_text(moment: datetime.datetime) -> datetime.datetime | str:
    """A timestamp column's value: on SQLite the naive UTC text Django keeps, on PostgreSQL the
    aware datetime itself."""
    if connection.vendor == "postgresql":
        return moment
    return connection.ops.adapt_datetimefield_value(moment)
