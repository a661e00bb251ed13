"""Every URL against every role. A new URL without an entry here fails the suite.

Expected outcomes: "ok" (200), "login" (redirect to sign in), "denied" (403), "missing" (404),
"redirect" (any other redirect).
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from kestrel.testing.factories import StudentFactory

ROLES = ["anonymous", "teacher", "dsl", "admin", "other_admin"]

SIGNED_IN = {
    "anonymous": "login",
    "teacher": "ok",
    "dsl": "ok",
    "admin": "ok",
    "other_admin": "ok",
}
ADMIN_ONLY = {
    "anonymous": "login",
    "teacher": "denied",
    "dsl": "denied",
    "admin": "ok",
    "other_admin": "ok",
}
# An object of the first school: its administrator may open it, the other school's may not.
ADMIN_OWN_SCHOOL = {**ADMIN_ONLY, "other_admin": "missing"}
PUBLIC_PAGE = dict.fromkeys(ROLES, "ok")

EXPECTED = {
    "": {**dict.fromkeys(ROLES, "redirect")},
    "dashboard": SIGNED_IN,
    "accounts:login": {**PUBLIC_PAGE, **dict.fromkeys(ROLES[1:], "redirect")},
    "accounts:logout": {**PUBLIC_PAGE, **dict.fromkeys(ROLES, "method")},
    "accounts:reset": PUBLIC_PAGE,
    "accounts:reset_sent": PUBLIC_PAGE,
    "accounts:reset_confirm": PUBLIC_PAGE,
    "accounts:settings": SIGNED_IN,
    "accounts:change_password": SIGNED_IN,
    "incidents:add": SIGNED_IN,
    "library:index": SIGNED_IN,
    "schools:overview": ADMIN_ONLY,
    "schools:details": ADMIN_ONLY,
    "schools:section": ADMIN_ONLY,
    "schools:add": ADMIN_ONLY,
    "schools:edit": ADMIN_OWN_SCHOOL,
}


def _walk(resolver, prefix="", namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or ''}", prefix + str(entry.pattern), entry.callback


def all_urls():
    return list(_walk(get_resolver()))


def _concrete(route: str, student_pk: int) -> str:
    return "/" + (
        route.replace("<slug:slug>", "students")
        .replace("<int:pk>", str(student_pk))
        .replace("<uidb64>", "MQ")
        .replace("<token>", "set-password")
    )


def _outcome(response) -> str:
    if response.status_code == 200:
        return "ok"
    if response.status_code in (301, 302):
        return "login" if "/login/" in response["Location"] else "redirect"
    return {403: "denied", 404: "missing", 405: "method"}.get(response.status_code, "other")


def test_every_url_has_an_entry_in_the_access_matrix():
    names = {name for name, _, _ in all_urls()}
    assert names - set(EXPECTED) == set(), "add these URLs to the access matrix"
    assert set(EXPECTED) - names == set(), "these matrix entries match no URL"


def test_every_view_declares_its_permission():
    undeclared = [
        route for _, route, view in all_urls() if getattr(view, "kestrel_permission", None) is None
    ]
    assert undeclared == []


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_expected_answer_from_every_url(role, people, client, school):
    student = StudentFactory(school=school)
    if role != "anonymous":
        client.force_login(getattr(people, role))
    unexpected = {}
    for name, route, _ in all_urls():
        response = client.get(_concrete(route, student.pk))
        got = _outcome(response)
        if got != EXPECTED[name][role]:
            unexpected[name] = (got, EXPECTED[name][role])
    assert unexpected == {}, "URL: (got, expected)"
