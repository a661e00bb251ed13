"""Reads about people for pages: colleagues found by the staff type-ahead."""

from django.db.models import QuerySet

from kestrel.accounts.models import User
from kestrel.search import matching

FOUND_AT_MOST = 20


def find_colleagues(*, user, ids=(), query: str = "") -> QuerySet[User]:
    """Active colleagues of the school, never `user` (they cannot alert themselves), by name:
    those with these `ids`, or else those whose name, job title or email address holds every
    word of `query`, ignoring case and accents (at most 20)."""
    colleagues = User.objects.filter(is_active=True).exclude(pk=user.pk)
    if ids:
        return colleagues.filter(pk__in=ids).order_by("last_name", "first_name")
    found = matching(colleagues, query)
    return found.order_by("last_name", "first_name")[:FOUND_AT_MOST]
