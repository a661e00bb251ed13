"""Ids as they arrive from a form or a URL's query string."""


def is_id(value) -> bool:
    """Whether `value` reads as a row's id: ASCII digits only. `str.isdigit()` alone passes "²"
    and other digits that `int()` refuses, which would end the request with a server error."""
    text = str(value)
    return text.isascii() and text.isdigit()
