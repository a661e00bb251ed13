"""Password rules: 12 to 128 characters, rated STRONG by zxcvbn knowing the person's own words."""

import html
import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from zxcvbn import zxcvbn

from kestrel.accounts.passwords import context_token
from kestrel.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

TOO_SHORT = "Your password must be at least 12 characters long."
TOO_LONG = "Your password must be 128 characters or fewer."
NOT_STRONG = "This password is not STRONG enough"

WORDS = (
    "kettle orchard lantern meadow copper violin harbour pebble saffron tundra walnut quiver "
    "basalt ember lagoon thistle marble falcon"
)
STRONG_12 = "fern yak jig"
STRONG_128 = WORDS[:128]
STRONG_BUT_129 = WORDS[:129]


def refusal(password, user=None) -> str | None:
    """The server's reason for refusing `password` for `user`, or None if it is accepted."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


@pytest.fixture
def zephyrine(school):
    return UserFactory(
        school=school, first_name="Zephyrine", last_name="Quillworth", email="zq@example.org"
    )


def test_examples_are_what_they_claim_to_be():
    assert (len(STRONG_12), len(STRONG_128), len(STRONG_BUT_129)) == (12, 128, 129)
    for password in (STRONG_12, STRONG_128):
        assert zxcvbn(password, max_length=128)["score"] >= 3


def test_eleven_characters_are_refused_as_too_short(people):
    assert refusal("fern yak ji", people.teacher) == TOO_SHORT


def test_twelve_strong_characters_are_accepted(people):
    assert refusal(STRONG_12, people.teacher) is None


def test_common_password_with_symbols_and_digits_is_refused(people):
    assert NOT_STRONG in refusal("Password123!", people.teacher)


def test_128_strong_characters_are_accepted(people):
    assert refusal(STRONG_128, people.teacher) is None


def test_129_characters_are_refused_as_too_long(people):
    assert refusal(STRONG_BUT_129, people.teacher) == TOO_LONG


def test_own_name_is_refused_though_another_person_could_use_it(zephyrine, people):
    assert NOT_STRONG in refusal("zephyrinequillworth", zephyrine)
    assert refusal("zephyrinequillworth", people.teacher) is None


def test_own_email_address_is_refused_though_another_person_could_use_it(people):
    assert NOT_STRONG in refusal("chloe.kelan@example.org", people.dsl)
    assert refusal("chloe.kelan@example.org", people.teacher) is None


def test_own_school_name_is_refused_though_another_school_could_use_it(people):
    assert NOT_STRONG in refusal("Ashdown Primary School", people.teacher)
    assert refusal("Ashdown Primary School", people.other_admin) is None


def test_no_symbols_or_capitals_are_required(people):
    assert refusal("owl jam tidy river", people.teacher) is None


def test_change_password_page_applies_the_rules_with_the_persons_own_words(
    signed_in, zephyrine, password
):
    client = signed_in(zephyrine)

    response = client.post(
        "/account/password/",
        {
            "old_password": password,
            "new_password1": "zephyrinequillworth",
            "new_password2": "zephyrinequillworth",
        },
    )

    assert response.status_code == 200
    assert NOT_STRONG in html.unescape(response.content.decode())
    zephyrine.refresh_from_db()
    assert zephyrine.check_password(password)


def test_a_megabyte_paste_is_refused_as_too_long(signed_in, people, password):
    huge = "a" * 1_000_000

    response = signed_in(people.teacher).post(
        "/account/password/",
        {"old_password": password, "new_password1": huge, "new_password2": huge},
    )

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert TOO_LONG in page
    assert huge[:1000] not in page  # not echoed back
    people.teacher.refresh_from_db()
    assert people.teacher.check_password(password)


# The strength meter -------------------------------------------------------------------------


def rate(client, password, **data):
    response = client.post("/password-strength/", {"password": password, **data})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_strength_meter_takes_only_post(client, db):
    assert client.get("/password-strength/", {"password": STRONG_12}).status_code == 405


def test_strength_meter_answers_with_label_score_and_verdict(client, db):
    rating = rate(client, "Password123!")

    assert {"label", "score", "strong"} <= rating.keys()
    assert (rating["label"], rating["score"], rating["strong"]) == ("Weak", 1, False)


@pytest.mark.parametrize(
    "password",
    [
        "fern yak ji",
        STRONG_12,
        "Password123!",
        "correct horse",
        "ashdownprimary",
        "owl jam tidy river",
        STRONG_128,
        STRONG_BUT_129,
        "a" * 1_000_000,
    ],
    ids=lambda password: f"{password[:20]}({len(password)})",
)
def test_strength_meter_agrees_with_the_server_rules(client, people, password):
    token = context_token(people.teacher)

    rating = rate(client, password, context=token)

    assert rating["strong"] == (refusal(password, people.teacher) is None)


def test_strength_meter_marks_a_megabyte_paste_too_long(client, db):
    rating = rate(client, "a" * 1_000_000)

    assert rating["too_long"] is True
    assert rating["strong"] is False


def test_strength_meter_rates_the_persons_own_name_weak_given_their_context(client, zephyrine):
    without = rate(client, "zephyrinequillworth")
    with_context = rate(client, "zephyrinequillworth", context=context_token(zephyrine))

    assert without["strong"] is True
    assert with_context["strong"] is False
    assert with_context["score"] < 3


def test_strength_meter_ignores_a_forged_context(client, zephyrine):
    forged = context_token(zephyrine)[:-2] + "xx"

    rating = rate(client, "zephyrinequillworth", context=forged)

    assert rating["strong"] is True


def test_strength_meter_uses_the_signed_in_persons_words_without_a_context(signed_in, zephyrine):
    rating = rate(signed_in(zephyrine), "zephyrinequillworth")

    assert rating["strong"] is False


def test_password_page_gives_the_meter_a_context_that_knows_the_persons_name(
    signed_in, zephyrine, client
):
    page = signed_in(zephyrine).get("/account/password/").content.decode()
    token = re.search(r'data-password-strength="([^"]+)"', page).group(1)
    client.logout()

    rating = rate(client, "zephyrinequillworth", context=token)

    assert 'data-url="/password-strength/"' in page
    assert rating["strong"] is False


# The person's and the school's own words (issue 17, item 8) ---------------------------------


@pytest.mark.parametrize(
    "password",
    ["Ashdown Primary School 2026", "AshdownPrimary2026", "ashdown-primary-2026!", "2026Ashdown!!"],
)
def test_the_schools_own_name_with_a_year_is_refused(people, password):
    assert NOT_STRONG in refusal(password, people.teacher)


@pytest.mark.parametrize(
    "password", ["chloekelan2026!!", "Chloe.Kelan.2026", "kelanchloe2026!", "ChloeKelan!!2026"]
)
def test_the_persons_own_name_or_email_with_a_year_is_refused(people, password):
    assert NOT_STRONG in refusal(password, people.dsl)


def test_own_words_are_refused_on_every_page_that_sets_a_password(people, zephyrine):
    from kestrel.accounts.forms import PasswordChangeForm, SetPasswordForm

    for form in (
        SetPasswordForm(  # the emailed link: first-time set-up and a forgotten password
            people.dsl, {"new_password1": "chloekelan2026!!", "new_password2": "chloekelan2026!!"}
        ),
        PasswordChangeForm(
            people.dsl,
            {
                "old_password": "correct horse battery staple",
                "new_password1": "chloekelan2026!!",
                "new_password2": "chloekelan2026!!",
            },
        ),
    ):
        assert not form.is_valid()
        assert NOT_STRONG in " ".join(form.errors["new_password2"])


def test_own_words_among_enough_unrelated_ones_are_accepted(people):
    assert refusal("Ashdown kettle orchard lantern", people.teacher) is None
    assert refusal("chloe walnut quiver basalt", people.dsl) is None


def test_the_meter_rates_the_schools_name_with_a_year_weak_given_the_context(client, people):
    rating = rate(client, "AshdownPrimary2026", context=context_token(people.teacher))

    assert rating["strong"] is False
    assert "own name" in rating["advice"] or rating["score"] < 3


# The meter's speed and its limits (issue 17, item 9) ----------------------------------------


@pytest.fixture
def zxcvbn_inputs(monkeypatch):
    """What the rating passes to zxcvbn, while zxcvbn still rates it."""
    from kestrel.accounts import passwords

    seen: list[str] = []

    def spy(password, *args, **kwargs):
        seen.append(password)
        return zxcvbn(password, *args, **kwargs)

    monkeypatch.setattr(passwords, "zxcvbn", spy)
    return seen


def test_the_meter_rates_only_the_first_100_characters(client, db, zxcvbn_inputs):
    rate(client, STRONG_128)

    assert zxcvbn_inputs
    assert max(len(password) for password in zxcvbn_inputs) == 100
    assert zxcvbn_inputs[0] == STRONG_128[:100]


def test_the_validator_rates_only_the_first_100_characters(people, zxcvbn_inputs):
    assert refusal(STRONG_128, people.teacher) is None

    assert max(len(password) for password in zxcvbn_inputs) == 100


def test_symbols_that_multiply_zxcvbns_work_shorten_what_is_rated(client, db, zxcvbn_inputs):
    # Every character zxcvbn reads as a l33t substitution: 736 substitution tables to try.
    hardest = ("!$%(+0123456789<@[{|" * 7)[:128]

    rating = rate(client, hardest)

    assert max(len(password) for password in zxcvbn_inputs) < 30
    assert rating["strong"] is False


def test_a_password_strong_in_its_first_100_characters_is_strong(people):
    assert refusal(STRONG_128[:100] + "a" * 28, people.teacher) is None


def test_one_browser_is_limited_to_300_ratings_an_hour(client, people, password, signed_in):
    browser = signed_in(people.teacher)
    for _ in range(300):
        browser.post("/password-strength/", {"password": "x"})

    refused = browser.post("/password-strength/", {"password": STRONG_12})
    another_browser = rate(Client(), STRONG_12)

    assert refused.status_code == 429
    assert another_browser["strong"] is True


def test_requests_without_a_session_share_60_ratings_an_hour_per_address(client, db):
    for _ in range(60):
        client.post("/password-strength/", {"password": "x"}, REMOTE_ADDR="198.51.100.7")
    cookieless_again = Client().post(
        "/password-strength/", {"password": "x"}, REMOTE_ADDR="198.51.100.7"
    )

    assert cookieless_again.status_code == 429
