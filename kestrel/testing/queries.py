"""Counting queries: a page's query count must not grow with the data."""

import re
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext

# Transaction control is not a query: only SQLite's is sent as SQL that Django logs, so counting
# it would make the same page cost more on SQLite than on PostgreSQL.
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


def is_transaction_control(sql: str) -> bool:
    return TRANSACTION_CONTROL.match(sql) is not None


def data_queries(context: CaptureQueriesContext) -> list[str]:
    """The statements that read or write data, of those a block sent."""
    return [q["sql"] for q in context.captured_queries if not is_transaction_control(q["sql"])]


@contextmanager
def assert_max_queries(limit: int):
    """Fails, printing every query, if the block runs more than `limit` queries."""
    with CaptureQueriesContext(connection) as context:
        yield context
    count = len(context.captured_queries)
    if count > limit:
        listing = "\n".join(f"{i}. {q['sql']}" for i, q in enumerate(context.captured_queries, 1))
        raise AssertionError(f"{count} queries, expected at most {limit}:\n{listing}")
