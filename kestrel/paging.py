"""Page numbers from a query string, for lists that page without Django's Paginator counting."""

# No list has this many pages; a larger number is read as this one, a page past the end, which
# each list already answers (its first or last page). Unbounded, `(page - 1) * size` overflows
# the database's 64-bit OFFSET: a server error.
MAX_PAGE = 1_000_000


def page_number(value) -> int:
    """The page asked for: a whole number from 1 to MAX_PAGE, or 1 for anything else."""
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1
