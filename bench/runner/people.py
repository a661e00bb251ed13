"""The bench's own staff in Scale Academy 1, their alerts, and fully signed-in sessions for them.

The bench makes its users itself rather than relying on what the seed happens to make: key holders
at the school's highest access level, class teachers at "Staff" (or the lowest level). Those who
record (Add Incident, Add Action) are not those whose Dashboards are timed, whose My History would
otherwise grow with every run.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string

from kestrel.accounts.models import SignInSession, User
from kestrel.alerts.models import Alert
from kestrel.incidents.models import Incident
from kestrel.schools.models import AccessLevel
from kestrel.testing.auth import sign_in_fully, unlock_key


@dataclass(frozen=True)
class Account:
    email: str
    first_name: str
    job_title: str
    key_holder: bool  # at the highest level, with the key unlocked in every session


ACCOUNTS = {
    # Dashboard, Viewing Incident, chronology (and the floor, on sessions of its own).
    "dsl": Account("bench.dsl@bench.invalid", "Dana", "Designated Safeguarding Lead", True),
    # Add Action.
    "deputy": Account("bench.deputy@bench.invalid", "Dev", "Deputy DSL", True),
    # Dashboard with a few unread alerts, the type-aheads.
    "teacher": Account("bench.teacher@bench.invalid", "Tom", "Class teacher", False),
    # Add Incident.
    "recorder": Account("bench.recorder@bench.invalid", "Rae", "Class teacher", False),
    # Mark as read, on alerts of their own.
    "reader": Account("bench.reader@bench.invalid", "Rita", "Class teacher", False),
}
TEACHER_ALERTS = 10
DSL_ALERTS = 10
READER_ALERTS = 20_000
HOST = "127.0.0.1"

People = dict[str, User]  # the bench's users, by their key in ACCOUNTS


def bench_people(school) -> People:
    """The bench's users in `school`, made (or brought back to their roles) as needed."""
    levels = AccessLevel.objects.filter(school=school, is_active=True).order_by("rank")
    highest = levels.last()
    if highest is None:
        raise RuntimeError(f"{school} has no access levels: was it seeded?")
    staff = levels.filter(name__iexact="Staff").first() or levels.first()
    people = {}
    for name, account in ACCOUNTS.items():
        fields = {
            "school": school,
            "first_name": account.first_name,
            "last_name": "Bench",
            "job_title": account.job_title,
            "access_level": highest if account.key_holder else staff,
            "is_key_holder": account.key_holder,
            "is_active": True,
            "is_school_admin": False,
        }
        user = User.objects.filter(email=account.email).first()
        if user is None:
            user = User.objects.create_user(email=account.email, **fields)
        else:
            for field, value in fields.items():  # save(): it keeps search_text in step
                setattr(user, field, value)
            user.save()
        people[name] = user
    return people


def give_unread_alerts(user, count: int, *, sender, skip_reporters=()) -> int:
    """Makes sure `user` has `count` alerts about incidents at their school (made once, kept
    across runs), every one of them unread and two hours old, as if sent this morning (older,
    a key holder's would count as overdue on the DSL Dashboard); returns how many they have."""
    at = timezone.now() - datetime.timedelta(hours=2)
    with transaction.atomic():
        existing = Alert.objects.filter(recipient=user, action__isnull=True)
        missing = count - existing.count()
        if missing > 0:
            incidents = (
                Incident.objects.filter(school_id=user.school_id)
                .exclude(alerts__recipient=user)
                .exclude(reporter__in=skip_reporters)
                .order_by("-id")
            )
            Alert.objects.bulk_create(
                (
                    Alert(
                        school_id=user.school_id,
                        incident_id=pk,
                        recipient=user,
                        sender=sender,
                        created_at=at,
                        email_status="sent",
                        email_sent_at=at,
                    )
                    for pk in incidents.values_list("pk", flat=True)[:missing]
                ),
                batch_size=2000,
            )
        existing.update(read_at=None, created_at=at)
        return existing.count()


def end_old_sessions(people: People) -> None:
    """Removes the sessions earlier runs made for the bench users (their cookies are dead)."""
    rows = SignInSession.objects.filter(user__in=people.values())
    Session.objects.filter(session_key__in=rows.values("session_key")).delete()
    rows.delete()


def signed_in_client(user, *, unlock: bool) -> Client:
    """A test client holding a fully signed-in session for `user`: password and second factor
    (a confirmed authenticator), the sign-in record, and the key unlocked if asked. The session
    is written through Django's session store, so its cookie works on the real server too."""
    client = Client(HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https")
    sign_in_fully(client, user)
    if unlock:
        unlock_key(client)
    return client


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def new_csrf_secret() -> str:
    """A CSRF cookie value as Django makes them; a form may send it back as it is."""
    return get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)


def cookie_header(key: str, csrf: str) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={key}; {settings.CSRF_COOKIE_NAME}={csrf}"
