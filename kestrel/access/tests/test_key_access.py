"""Key access: a key holder unlocks it with a code from their authenticator app, it lapses after
the school's "Key access lasts" minutes, and they can lock it again at once. Every unlock, lock and
wrong code is audited, and five wrong codes stop further tries for 30 minutes."""

import datetime

import pytest
import time_machine

from kestrel.access.keys import KEY_SESSION_KEY
from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import authenticator_for, current_code, unlock_key

# 10:00 UTC on a summer's day is 11:00 in the school's time (British Summer Time).
START = datetime.datetime(2025, 6, 16, 10, 0, tzinfo=datetime.UTC)
WRONG_CODE = "Enter a code that is not right"
NOT_RIGHT = "That code is not right, or has been used already."
TOO_MANY = "Too many wrong codes. Try again in 30 minutes."


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dsl(signed_in, people):
    return signed_in(people.dsl)


def code_for(user) -> str:
    return current_code(authenticator_for(user))


def wrong_code_for(user) -> str:
    right = code_for(user)
    return f"{(int(right) + 1) % 1_000_000:06d}"


def audited(action: str, user) -> int:
    return AuditEvent.objects.filter(action=action, actor=user).count()


def is_unlocked(client) -> bool:
    """Whether the key is on, as the pages that need it find it."""
    response = client.get("/audit/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response.url.startswith("/key/?next=")
    return False


def test_the_unlock_page_asks_a_key_holder_for_a_code(dsl):
    response = dsl.get("/key/")

    assert response.status_code == 200
    assert "Unlock key access" in response.text
    assert 'name="code"' in response.text
    assert "It stays on for 30 minutes" in response.text


def test_a_right_code_unlocks_key_access_and_says_so_in_the_audit_trail(dsl, people, clock):
    response = dsl.post("/key/", {"code": code_for(people.dsl), "next": "/audit/"})

    assert response.status_code == 302
    assert response.url == "/audit/"
    assert KEY_SESSION_KEY in dsl.session
    assert audited("key.unlocked", people.dsl) == 1
    assert is_unlocked(dsl)


def test_pages_that_need_the_key_send_a_locked_key_holder_to_unlock_it(dsl):
    response = dsl.get("/audit/")

    assert response.status_code == 302
    assert response.url == "/key/?next=/audit/"


def test_the_unlock_page_carries_next_into_its_form(dsl):
    response = dsl.get("/key/", {"next": "/audit/"})

    assert '<input type="hidden" name="next" value="/audit/">' in response.text


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/audit/", "http://testserver.evil.example/", ""],
    ids=["other-site", "scheme-relative", "lookalike-host", "none"],
)
def test_after_unlocking_an_off_site_next_falls_back_to_the_dashboard(dsl, people, clock, next_url):
    response = dsl.post("/key/", {"code": code_for(people.dsl), "next": next_url})

    assert response.status_code == 302
    assert response.url == "/dashboard/"


def test_an_off_site_next_is_not_offered_in_the_unlock_form(dsl):
    response = dsl.get("/key/", {"next": "https://evil.example/"})

    assert '<input type="hidden" name="next" value="/dashboard/">' in response.text
    assert 'value="https://evil.example/"' not in response.text


def test_a_wrong_code_is_refused_audited_and_leaves_the_key_locked(dsl, people, clock):
    response = dsl.post("/key/", {"code": wrong_code_for(people.dsl), "next": "/audit/"})

    assert response.status_code == 200
    assert NOT_RIGHT in response.text
    assert KEY_SESSION_KEY not in dsl.session
    assert audited("second_factor.failed", people.dsl) == 1
    assert audited("key.unlocked", people.dsl) == 0
    assert not is_unlocked(dsl)


def test_a_code_used_once_cannot_unlock_again(dsl, people, clock):
    code = code_for(people.dsl)
    dsl.post("/key/", {"code": code})
    dsl.post("/key/lock/")

    response = dsl.post("/key/", {"code": code})

    assert NOT_RIGHT in response.text
    assert not is_unlocked(dsl)


def test_five_wrong_codes_stop_further_tries_for_30_minutes(signed_in, people, clock):
    client = signed_in(people.dsl)
    for _ in range(5):
        client.post("/key/", {"code": wrong_code_for(people.dsl)})

    refused = client.post("/key/", {"code": code_for(people.dsl)})
    clock.shift(datetime.timedelta(minutes=29))
    client = signed_in(people.dsl)  # idle sessions end after 30 minutes; a new one is no way round
    still_refused = client.post("/key/", {"code": code_for(people.dsl)})
    clock.shift(datetime.timedelta(minutes=1, seconds=1))
    client = signed_in(people.dsl)
    lifted = client.post("/key/", {"code": code_for(people.dsl)})

    assert TOO_MANY in refused.text
    assert TOO_MANY in still_refused.text
    assert audited("second_factor.refused", people.dsl) == 2
    assert lifted.status_code == 302
    assert is_unlocked(client)


def test_four_wrong_codes_do_not_stop_the_right_one(dsl, people, clock):
    for _ in range(4):
        dsl.post("/key/", {"code": wrong_code_for(people.dsl)})

    response = dsl.post("/key/", {"code": code_for(people.dsl)})

    assert response.status_code == 302
    assert is_unlocked(dsl)


def test_the_right_code_forgets_the_wrong_ones_before_it(dsl, people, clock):
    for _ in range(4):
        dsl.post("/key/", {"code": wrong_code_for(people.dsl)})
    dsl.post("/key/", {"code": code_for(people.dsl)})
    dsl.post("/key/lock/")
    clock.shift(datetime.timedelta(minutes=1))

    dsl.post("/key/", {"code": wrong_code_for(people.dsl)})
    response = dsl.post("/key/", {"code": code_for(people.dsl)})

    assert TOO_MANY not in response.text
    assert is_unlocked(dsl)


def test_key_access_lapses_after_the_minutes_the_school_sets(dsl, school, people, clock):
    school.key_unlock_minutes = 5
    school.save()
    dsl.post("/key/", {"code": code_for(people.dsl)})

    clock.shift(datetime.timedelta(minutes=4))
    on_at_4_minutes = dsl.get("/audit/")
    clock.shift(datetime.timedelta(minutes=2))
    off_at_6_minutes = dsl.get("/audit/")

    assert on_at_4_minutes.status_code == 200
    assert off_at_6_minutes.status_code == 302
    assert off_at_6_minutes.url == "/key/?next=/audit/"


def test_locking_the_key_turns_it_off_at_once_and_is_audited(dsl, people, clock):
    dsl.post("/key/", {"code": code_for(people.dsl)})

    response = dsl.post("/key/lock/")

    assert response.status_code == 302
    assert response.url == "/dashboard/"
    assert KEY_SESSION_KEY not in dsl.session
    assert audited("key.locked", people.dsl) == 1
    assert not is_unlocked(dsl)


def test_the_key_cannot_be_locked_with_a_get(dsl):
    assert dsl.get("/key/lock/").status_code == 405


def test_someone_who_is_not_a_key_holder_is_refused_the_unlock_page(signed_in, people):
    client = signed_in(people.teacher)

    assert client.get("/key/").status_code == 403
    assert client.post("/key/", {"code": code_for(people.teacher)}).status_code == 403
    assert client.post("/key/lock/").status_code == 403
    assert KEY_SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action="access.refused", actor=people.teacher).count() == 3


def test_a_key_holder_who_loses_the_role_loses_an_unlocked_key(dsl, people):
    unlock_key(dsl)
    people.dsl.is_key_holder = False
    people.dsl.save()

    assert dsl.get("/audit/").status_code == 403


def test_the_top_bar_offers_to_unlock_the_key_while_it_is_locked(dsl):
    response = dsl.get("/dashboard/")

    assert "Unlock key" in response.text
    assert 'href="/key/?next=/dashboard/"' in response.text
    assert "Lock key" not in response.text
    assert "Key access on until" not in response.text


def test_the_top_bar_says_until_when_the_key_is_on_in_school_time_and_offers_to_lock_it(
    dsl, school, people, clock
):
    school.key_unlock_minutes = 5
    school.save()
    response = dsl.post("/key/", {"code": code_for(people.dsl)}, follow=True)

    assert "Key access is on until 11:05." in response.text
    assert "Key access on until 11:05" in response.text
    assert "Lock key" in response.text
    assert "Unlock key" not in response.text


def test_the_top_bar_shows_no_key_controls_to_someone_who_is_not_a_key_holder(signed_in, people):
    response = signed_in(people.teacher).get("/dashboard/")

    assert response.status_code == 200
    assert "Unlock key" not in response.text
    assert "Lock key" not in response.text
    assert "Key access on" not in response.text
