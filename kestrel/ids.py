"""Ids as they arrive from a form, a URL or a query string."""

# The largest id a row can have: every model's key is a BigAutoField (DEFAULT_AUTO_FIELD), a
# signed 64-bit integer on PostgreSQL and SQLite alike. A longer number passed to the database
# overflows (a server error on SQLite in an `IN (...)` list) instead of finding nothing.
MAX_ID = 2**63 - 1


def is_id(value) -> bool:
    """Whether `value` reads as a row's id: ASCII digits only, no larger than MAX_ID.
    `str.isdigit()` alone passes "²" and other digits that `int()` refuses, which would end the
    request with a server error; 25 digits pass `int()` but not the database."""
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= MAX_ID
