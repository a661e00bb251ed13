"""Fixtures shared by every test: personas in two schools, a signed-in client, the browser."""

import os
import posixpath
from types import SimpleNamespace

import pytest
from django.core.files.storage import storages
from django.db import connection
from django.test.client import ClientHandler

from kestrel.audit import triggers
from kestrel.incidents import tallies
from kestrel.schools.scope import scope, scopes_disabled
from kestrel.testing.auth import sign_in_fully
from kestrel.testing.browser import CHROMIUM_ARGS, chromium_path
from kestrel.testing.factories import (
    PASSWORD,
    AccessLevelFactory,
    SchoolFactory,
    UserFactory,
)

# Playwright's sync API runs an event loop in the test's thread; Django's ORM refuses to run
# inside one unless told that this is deliberate. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _test_code_reads_across_schools():
    """A test body makes and reads rows of any school freely; the code it calls still enters its
    own scope (the middleware's and a task's `scope()` switch scoping on again inside), so a page
    or task that forgets the school scope fails its test (kestrel/tests/test_school_scope.py)."""
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _requests_start_with_no_school_scope(monkeypatch):
    """The test client's requests start as a server's do: scoping on and no school, whatever the
    test body's own state; the middleware then enters the signed-in user's school. So a page
    (signed in or not) that reads a school's rows outside that scope fails here too."""
    handle = ClientHandler.__call__

    def in_no_scope(self, environ):
        with scope():
            return handle(self, environ)

    monkeypatch.setattr(ClientHandler, "__call__", in_no_scope)


@pytest.fixture(autouse=True)
def _audit_triggers(request):
    """Every test with a database has the audit table's append-only triggers and the chronology
    tallies' triggers in place.

    Tests that empty the database when they end (browser tests) lift them for that tear-down only
    (emptying the incidents would otherwise count them off tallies already emptied).
    """
    names = set(request.fixturenames)
    transactional = bool({"transactional_db", "live_server"} & names)
    if not transactional and "db" not in names and not request.node.get_closest_marker("django_db"):
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    triggers.install(connection)
    tallies.install(connection)
    yield
    if transactional:
        triggers.remove(connection)
        tallies.remove(connection)


@pytest.fixture(autouse=True)
def _audit_heads_emptied():
    """Chain heads one test publishes are not another's: empty the store after each test."""
    yield
    _emptied(storages["audit_heads"])


def _emptied(store, folder: str = "") -> None:
    """Deletes everything under `folder` through the storage API, whatever the storage is."""
    try:
        folders, files = store.listdir(folder)
    except FileNotFoundError:  # nothing was ever published
        return
    for name in files:
        store.delete(posixpath.join(folder, name))
    for name in folders:
        _emptied(store, posixpath.join(folder, name))
        store.delete(posixpath.join(folder, name))


@pytest.fixture
def school(db):
    return SchoolFactory(name="Ashdown Primary School")


@pytest.fixture
def other_school(db):
    return SchoolFactory(name="Brook Lane Academy")


@pytest.fixture
def levels(school):
    return SimpleNamespace(
        staff=AccessLevelFactory(school=school, name="Staff", rank=20),
        dsl=AccessLevelFactory(school=school, name="DSL team", rank=40),
    )


@pytest.fixture
def people(school, other_school, levels):
    """The named personas: who each is decides what they may see."""
    return SimpleNamespace(
        dsl=UserFactory(
            school=school,
            first_name="Chloe",
            last_name="Kelan",
            email="chloe.kelan@example.org",
            job_title="Designated Safeguarding Lead",
            access_level=levels.dsl,
            is_key_holder=True,
        ),
        teacher=UserFactory(
            school=school,
            first_name="James",
            last_name="Carter",
            email="james.carter@example.org",
            access_level=levels.staff,
        ),
        admin=UserFactory(
            school=school,
            first_name="School",
            last_name="Office",
            email="office@example.org",
            job_title="School administrator",
            is_school_admin=True,
        ),
        other_admin=UserFactory(
            school=other_school,
            first_name="Olu",
            last_name="Other",
            email="office@brooklane.example.org",
            is_school_admin=True,
        ),
    )


@pytest.fixture
def signed_in(client):
    """Signs the test client in as a given user; returns the client."""

    def sign_in(user):
        return sign_in_fully(client, user)

    return sign_in


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {"executable_path": chromium_path(), "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture(autouse=True)
def _school_calendars_forgotten():
    """Each test's schools (whose ids the next test may reuse) have their own calendars."""
    from kestrel.school_calendar.days import clear_kept

    clear_kept()
    yield
    clear_kept()
