"""Page numbers from a query string, for lists that page without Django's Paginator counting."""


def page_number(value) -> int:
    """The page asked for: a whole number from 1, or 1 for anything else."""
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1
