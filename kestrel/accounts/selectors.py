"""Reads about people for pages: colleagues found by the staff type-ahead, the audit search
and the Library's readers; a user's recent sign-ins."""

from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from kestrel.accounts.models import SignInSession, User
from kestrel.accounts.user_agents import describe
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


def user_in_any_school(pk) -> User | None:
    """The user with this id, whatever their school, with it: for pages before sign-in (the
    password strength meter's signed context), which have no school scope."""
    return User.all_schools.select_related("school").filter(pk=pk).first()


def colleagues() -> QuerySet[User]:
    """Every colleague of the school (the request's scope gives the school), active or not."""
    return User.objects.all()


def active_colleagues() -> QuerySet[User]:
    """The school's colleagues who can still sign in."""
    return User.objects.filter(is_active=True)


def active_colleagues_with_ids(ids) -> QuerySet[User]:
    """Active colleagues with these ids, with their access level (for the staff chooser)."""
    return active_colleagues().filter(pk__in=ids).select_related("access_level")


def colleagues_matching(query: str, *, limit: int = 20) -> list[User]:
    """Colleagues, active or not, whose name, job title or email address holds every word of
    `query`, ignoring case and accents, by name (at most `limit`)."""
    found = matching(colleagues(), query)
    return list(found.order_by("last_name", "first_name", "pk")[:limit])


def recent_sign_ins(*, user, current_session_key, limit: int = 10) -> list[dict]:
    """The user's last sign-ins, newest first, as Account Settings lists them: when, on what
    device, from where, whether it is this session, and whether it has ended."""
    rows = list(SignInSession.objects.filter(user=user)[:limit])
    # A session that timed out (idle or 12-hour limit) has left Django's table: it has ended too.
    live = set(
        Session.objects.filter(
            session_key__in=[row.session_key for row in rows], expire_date__gt=timezone.now()
        ).values_list("session_key", flat=True)
    )
    return [
        {
            "at": row.signed_in_at,
            "device": describe(row.user_agent),
            "ip": row.ip_address or "Unknown",
            "current": row.session_key == current_session_key,
            "ended": row.ended_at or row.session_key not in live,
        }
        for row in rows
    ]


def key_holder_emails(school_id: int) -> list[str]:
    """The email addresses of the school's active key holders (the DSL team), for the emails
    that go to the team rather than to one person."""
    return list(
        User.objects.filter(school_id=school_id, is_active=True, is_key_holder=True).values_list(
            "email", flat=True
        )
    )
