"""Counting queries: a page's query count must not grow with the data."""

from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext


@contextmanager
def assert_max_queries(limit: int):
    """Fails, printing every query, if the block runs more than `limit` queries."""
    with CaptureQueriesContext(connection) as context:
        yield context
    count = len(context.captured_queries)
    if count > limit:
        listing = "\n".join(f"{i}. {q['sql']}" for i, q in enumerate(context.captured_queries, 1))
        raise AssertionError(f"{count} queries, expected at most {limit}:\n{listing}")
