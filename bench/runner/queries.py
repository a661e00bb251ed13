"""Queries per request: each page sent once in-process, as wrk sends it, with every SQL statement
that reads or writes data counted. Transaction control (BEGIN, COMMIT, savepoints) is counted
apart: only SQLite's is sent as SQL that Django logs, so counting it as queries would make the
same page cost more on SQLite than on PostgreSQL. Opening the connection is not counted."""

import re
import secrets
from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.runner.pages import SUBMISSION
from kestrel.testing.queries import is_transaction_control

STATEMENT_CHARS = 300


@dataclass(frozen=True)
class Measured:
    status: int
    location: str
    queries: int
    transaction_statements: int
    statements: list[str]
    problem: str | None = None


def send(client: Client, page, index: int):
    """Sends the page's `index`-th request (path and body chosen as the wrk script does)."""
    path = page.paths[index % len(page.paths)]
    if page.method == "GET":
        return client.get(path, secure=True)
    body = page.bodies[index % len(page.bodies)].replace(SUBMISSION, secrets.token_hex(16))
    return client.post(path, body, content_type="application/x-www-form-urlencoded", secure=True)


def answered_as_expected(page, status: int, location: str) -> bool:
    if status != page.expect_status:
        return False
    if page.expect_location is None:
        return True
    # The wrk script's Lua pattern, in Python: only %d is used.
    return re.search(page.expect_location.replace("%d", r"\d"), location) is not None


def measure(client: Client, page) -> Measured:
    """Sends the page twice (the first fills the process's caches) and counts the second."""
    send(client, page, 0)
    with CaptureQueriesContext(connection) as captured:
        response = send(client, page, 1)
    location = response.get("Location", "")
    problem = None
    if not answered_as_expected(page, response.status_code, location):
        problem = (
            f"in-process answer was {response.status_code} {location}".strip()
            + f", expected {page.expected}"
        )
    control = sum(is_transaction_control(query["sql"]) for query in captured.captured_queries)
    return Measured(
        status=response.status_code,
        location=location,
        queries=len(captured.captured_queries) - control,
        transaction_statements=control,
        statements=[query["sql"][:STATEMENT_CHARS] for query in captured.captured_queries],
        problem=problem,
    )
