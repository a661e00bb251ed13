"""Paths of pages that one page links to many times (each incident of a chronology page, each
alert on the Dashboard), without a full `reverse()` for every row: Django's costs about 65 µs
with the `{% url %}` tag, a twentieth of a 25-entry chronology page. The path is reversed once
per URL name and script prefix, and the row's id put in its place."""

import functools

from django.urls import get_script_prefix, reverse

# An id no row will have, to be replaced in the reversed path.
_MARK = 987_654_321_987


@functools.lru_cache(maxsize=64)
def _around_id(name: str, prefix: str) -> tuple[str, str]:
    before, after = reverse(name, args=[_MARK]).split(str(_MARK))
    return before, after


def path_to(name: str, pk: int) -> str:
    """The same as `reverse(name, args=[pk])` for a URL whose only argument is an id."""
    before, after = _around_id(name, get_script_prefix())
    return f"{before}{int(pk)}{after}"
