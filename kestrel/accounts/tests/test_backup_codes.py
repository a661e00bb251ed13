"""Backup codes: ten single-use codes that stand in for the phone, kept only as hashes."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from kestrel.accounts.models import BackupCode
from kestrel.accounts.tests.steps import (
    enter_backup_code,
    enter_password,
    error_text,
    session_key,
)
from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import authenticator_for, sign_in_fully

pytestmark = pytest.mark.django_db

REFUSED = "That backup code is not right, or has been used already."
BACKUP_PAGE = "/login/verify/backup-code/"


def create_backup_codes(client) -> list[str]:
    """Presses "Create new backup codes" in Account Settings and reads the codes shown."""
    response = client.post("/account/backup-codes/replace/", follow=True)
    assert response.redirect_chain[-1][0] == "/account/backup-codes/"
    return re.findall(r"<code>([^<]+)</code>", response.content.decode())


@pytest.fixture
def codes(signed_in, people):
    """Chloe's ten backup codes, created while fully signed in."""
    return create_backup_codes(signed_in(people.dsl))


@pytest.fixture
def waiting(codes, password):
    """A new browser in which Chloe has given her password and is asked for her second factor."""
    browser = Client()
    response = enter_password(browser, "chloe.kelan@example.org", password)
    assert response.url.startswith("/login/verify/")
    return browser


def test_ten_different_codes_are_created(codes):
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes)


def test_codes_are_stored_only_as_hashes(codes, people):
    stored = list(BackupCode.objects.filter(device__user=people.dsl))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {BackupCode._meta.db_table}")
        dump = repr(cursor.fetchall()).lower()

    assert len(stored) == 10
    for code in codes:
        assert code not in dump
        assert code.replace("-", "") not in dump
        assert all(code.replace("-", "") not in row.code_hash for row in stored)


def test_shown_codes_are_not_kept_in_the_session(signed_in, people):
    client = signed_in(people.dsl)
    codes = create_backup_codes(client)

    data = repr(Session.objects.get(session_key=session_key(client)).get_decoded())

    assert not any(code in data or code.replace("-", "") in data for code in codes)


def test_backup_code_page_asks_for_a_code(waiting):
    page = waiting.get(BACKUP_PAGE).content.decode()

    assert "Use a backup code" in page
    assert re.search(r"<label[^>]*for=\"id_code\"[^>]*>\s*Backup code\s*</label>", page)


def test_backup_code_completes_sign_in_and_says_how_many_are_left(waiting, codes, people):
    response = enter_backup_code(waiting, codes[0])

    assert response.status_code == 302
    assert response.url == "/dashboard/"
    dashboard = waiting.get("/dashboard/")
    assert dashboard.status_code == 200
    assert "You used a backup code. You have 9 left" in error_text(dashboard)
    event = AuditEvent.objects.get(action="second_factor.succeeded")
    assert (event.actor, event.detail) == (people.dsl, {"kind": "backup_code"})


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.upper(),
        lambda code: code.replace("-", ""),
        lambda code: code.upper().replace("-", ""),
        lambda code: f"  {code[:5]} {code[6:]} ",
    ],
    ids=["upper-case", "no-dash", "upper-case-no-dash", "spaces"],
)
def test_backup_code_is_read_whatever_its_case_and_dash(waiting, codes, typed):
    response = enter_backup_code(waiting, typed(codes[3]))

    assert response.url == "/dashboard/"


def test_each_backup_code_works_only_once(waiting, codes, password):
    enter_backup_code(waiting, codes[0])
    waiting.post("/logout/")
    enter_password(waiting, "chloe.kelan@example.org", password)

    again = enter_backup_code(waiting, codes[0])
    another = enter_backup_code(waiting, codes[1])

    assert again.status_code == 200
    assert REFUSED in error_text(again)
    assert another.url == "/dashboard/"


def test_made_up_backup_code_is_refused(waiting):
    response = enter_backup_code(waiting, "abcde-fghjk")

    assert REFUSED in error_text(response)
    assert waiting.get("/dashboard/").url.startswith("/login/verify/")
    assert AuditEvent.objects.filter(action="second_factor.failed").get().detail == {
        "kind": "backup_code"
    }


def test_colleagues_backup_code_is_refused(waiting, people, password):
    theirs = create_backup_codes(sign_in_fully(Client(), people.teacher))

    response = enter_backup_code(waiting, theirs[0])

    assert REFUSED in error_text(response)


def test_creating_new_backup_codes_makes_the_old_ones_useless(signed_in, people, password):
    client = signed_in(people.dsl)
    old = create_backup_codes(client)
    new = create_backup_codes(client)
    browser = Client()
    enter_password(browser, "chloe.kelan@example.org", password)

    old_refused = enter_backup_code(browser, old[0])
    new_accepted = enter_backup_code(browser, new[0])

    assert set(old).isdisjoint(new)
    assert REFUSED in error_text(old_refused)
    assert new_accepted.url == "/dashboard/"
    assert AuditEvent.objects.filter(action="second_factor.backup_codes_replaced").count() == 2


def test_new_codes_are_shown_only_once(signed_in, people):
    client = signed_in(people.dsl)
    create_backup_codes(client)

    response = client.get("/account/backup-codes/")

    assert response.status_code == 302
    assert response.url == "/account/"


def test_five_wrong_backup_codes_lock_the_second_factor(waiting, codes):
    for _ in range(5):
        enter_backup_code(waiting, "abcde-fghjk")

    response = enter_backup_code(waiting, codes[0])

    assert "Too many wrong codes." in error_text(response)
    assert waiting.get("/dashboard/").url.startswith("/login/verify/")
    assert BackupCode.objects.filter(used_at__isnull=False).count() == 0


def test_user_without_backup_codes_cannot_use_one(client, people, password):
    authenticator_for(people.dsl)
    enter_password(client, "chloe.kelan@example.org", password)

    response = enter_backup_code(client, "abcde-fghjk")

    assert REFUSED in error_text(response)
