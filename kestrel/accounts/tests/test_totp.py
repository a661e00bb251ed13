"""The authenticator app as second factor: RFC 6238 codes, replay, clock skew and lockout."""

import datetime
import html
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
import segno
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kestrel.accounts.models import Authenticator, SignInSession
from kestrel.accounts.second_factor import check_code
from kestrel.accounts.tests.steps import (
    START,
    enter_code,
    enter_password,
    error_text,
    session_key,
    wrong_code,
)
from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import authenticator_for, base32_key, current_code

pytestmark = pytest.mark.django_db

NOT_RIGHT = "That code is not right, or has been used already."
LOCKED = "Too many wrong codes."
SETUP = "/account/two-factor/setup/"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def device(people):
    return authenticator_for(people.dsl)


@pytest.fixture
def waiting(client, people, password, device):
    """A client that has given Chloe's password and is asked for her code."""
    response = enter_password(client, "chloe.kelan@example.org", password)
    assert response.url.startswith("/login/verify/")
    return client


def seconds(n: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=n)


# Signing in with a code ---------------------------------------------------------------------


def test_verify_page_asks_for_the_code_from_the_app(waiting):
    page = waiting.get("/login/verify/").content.decode()

    assert "Confirm it is you" in page
    assert re.search(r"<label[^>]*for=\"id_code\"[^>]*>\s*Code from your authenticator app", page)
    assert 'autocomplete="one-time-code"' in page
    assert 'href="/login/verify/backup-code/' in page


def test_current_code_completes_sign_in(waiting, people, device):
    response = enter_code(waiting, current_code(device))

    assert response.status_code == 302
    assert response.url == "/dashboard/"
    assert waiting.get("/dashboard/").status_code == 200
    assert waiting.get("/account/").status_code == 200
    event = AuditEvent.objects.get(action="second_factor.succeeded")
    assert event.actor == people.dsl
    assert event.detail == {"kind": "authenticator"}
    assert SignInSession.objects.get().second_factor_at is not None


def test_code_with_spaces_is_accepted(waiting, device):
    code = current_code(device)

    response = enter_code(waiting, f" {code[:3]} {code[3:]} ")

    assert response.url == "/dashboard/"


def test_wrong_code_is_refused_with_a_clear_message(waiting, device):
    response = enter_code(waiting, wrong_code(device))

    assert response.status_code == 200
    assert NOT_RIGHT in error_text(response)
    assert "There is a problem" in error_text(response)
    assert waiting.get("/dashboard/").url.startswith("/login/verify/")
    assert AuditEvent.objects.filter(action="second_factor.failed").count() == 1


@pytest.mark.parametrize("typed", ["12345", "1234567", "12345a", "１２３４５６"])
def test_code_that_is_not_six_digits_is_refused(waiting, typed):
    response = enter_code(waiting, typed)

    assert response.status_code == 200
    assert "Enter the 6-digit code from your authenticator app." in error_text(response)
    assert waiting.get("/dashboard/").url.startswith("/login/verify/")


def test_code_from_a_colleagues_app_is_refused(waiting, people):
    colleague = authenticator_for(people.teacher)

    response = enter_code(waiting, current_code(colleague))

    assert NOT_RIGHT in error_text(response)
    assert waiting.get("/dashboard/").url.startswith("/login/verify/")


def test_code_already_used_is_refused_when_replayed(client, people, password, device, clock):
    code = current_code(device)
    enter_password(client, "chloe.kelan@example.org", password)
    assert enter_code(client, code).url == "/dashboard/"
    attacker = client.__class__()
    enter_password(attacker, "chloe.kelan@example.org", password)

    replayed = enter_code(attacker, code)

    assert NOT_RIGHT in error_text(replayed)
    assert attacker.get("/dashboard/").url.startswith("/login/verify/")


def test_next_code_works_after_the_last_one_was_used(client, people, password, device, clock):
    enter_password(client, "chloe.kelan@example.org", password)
    enter_code(client, current_code(device))
    client.post("/logout/")
    clock.shift(seconds(30))
    enter_password(client, "chloe.kelan@example.org", password)

    response = enter_code(client, current_code(device))

    assert response.url == "/dashboard/"


@pytest.mark.parametrize("skew", [-30, 30])
def test_code_one_step_either_side_of_now_is_accepted(waiting, device, clock, skew):
    code = current_code(device, at=timezone.now() + seconds(skew))

    response = enter_code(waiting, code)

    assert response.url == "/dashboard/"


@pytest.mark.parametrize("skew", [-60, 60])
def test_code_two_steps_away_from_now_is_refused(waiting, device, clock, skew):
    code = current_code(device, at=timezone.now() + seconds(skew))
    assert code not in {current_code(device, at=timezone.now() + seconds(s)) for s in (-30, 0, 30)}

    response = enter_code(waiting, code)

    assert NOT_RIGHT in error_text(response)


def test_session_key_changes_when_the_second_factor_is_given(waiting, device):
    before = session_key(waiting)

    enter_code(waiting, current_code(device))

    after = session_key(waiting)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.filter(session_key=after).exists()
    assert SignInSession.objects.get().session_key == after


def test_fully_signed_in_user_opening_the_verify_page_is_sent_on(waiting, device):
    enter_code(waiting, current_code(device))

    response = waiting.get("/login/verify/")

    assert response.url == "/dashboard/"


# Lockout ------------------------------------------------------------------------------------


def test_five_wrong_codes_lock_the_second_factor_even_for_the_right_code(waiting, device, clock):
    for _ in range(5):
        enter_code(waiting, wrong_code(device))

    response = enter_code(waiting, current_code(device))

    assert response.status_code == 200
    assert LOCKED in error_text(response)
    assert waiting.get("/dashboard/").url.startswith("/login/verify/")
    assert AuditEvent.objects.filter(action="second_factor.refused").count() == 1


def test_four_wrong_codes_do_not_lock(waiting, device, clock):
    for _ in range(4):
        enter_code(waiting, wrong_code(device))

    assert enter_code(waiting, current_code(device)).url == "/dashboard/"


def test_second_factor_lock_lasts_30_minutes(waiting, device, clock):
    for _ in range(5):
        enter_code(waiting, wrong_code(device))

    clock.shift(datetime.timedelta(minutes=29))
    still_locked = enter_code(waiting, current_code(device))
    clock.shift(datetime.timedelta(minutes=1) + seconds(1))
    lifted = enter_code(waiting, current_code(device))

    assert LOCKED in error_text(still_locked)
    assert lifted.url == "/dashboard/"


def test_second_factor_lock_holds_for_a_fresh_sign_in(waiting, people, password, device, clock):
    for _ in range(5):
        enter_code(waiting, wrong_code(device))
    fresh = waiting.__class__()
    enter_password(fresh, "chloe.kelan@example.org", password)

    response = enter_code(fresh, current_code(device))

    assert LOCKED in error_text(response)


# RFC 6238 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_codes_match_the_rfc_6238_sha1_test_vectors(at, expected):
    totp = TOTP(b"12345678901234567890", step=30, t0=0, digits=8)
    totp.time = at

    assert f"{totp.token():08d}" == expected


def test_authenticator_devices_use_the_rfc_6238_defaults(device):
    assert (device.step, device.digits, device.t0, device.tolerance) == (30, 6, 0, 1)
    assert len(device.bin_key) == 20


# Setting up the app -------------------------------------------------------------------------


@pytest.fixture
def enrolling(client, people, password):
    """Chloe, signed in with her password, has no second factor yet; her school requires one."""
    response = enter_password(client, "chloe.kelan@example.org", password)
    assert response.url.startswith(SETUP)
    return client


def shown_secret(page) -> str:
    match = re.search(r'id="secret-key">\s*([A-Z2-7 ]+?)\s*</p>', page.content.decode())
    assert match, page.content.decode()
    return match.group(1)


def qr_path(data_uri: str) -> str:
    """The modules of a segno QR code, whatever its scale and colour."""
    svg = unquote(data_uri.split(",", 1)[1])
    return re.search(r"d='([^']+)'", svg).group(1)


def test_set_up_page_shows_a_qr_code_and_the_key_as_text(enrolling, people):
    page = enrolling.get(SETUP)

    text = page.content.decode()
    image = re.search(r'<img[^>]*src="(data:image/svg\+xml[^"]+)"[^>]*alt="([^"]+)"', text)
    assert image
    device = Authenticator.objects.get(user=people.dsl)
    assert not device.confirmed
    secret = shown_secret(page)
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", secret)
    assert secret.replace(" ", "") == base32_key(device)
    expected_qr = segno.make(device.config_url, error="m").svg_data_uri()
    assert qr_path(html.unescape(image.group(1))) == qr_path(expected_qr)
    assert "Your school asks everyone to use a second factor." in text


def test_set_up_page_keeps_the_same_key_when_reloaded(enrolling, people):
    first = shown_secret(enrolling.get(SETUP))
    second = shown_secret(enrolling.get(SETUP))

    assert first == second
    assert TOTPDevice.objects.filter(user=people.dsl).count() == 1


def test_qr_code_names_kestrel_and_the_school_as_issuer(enrolling, people):
    enrolling.get(SETUP)
    url = urlsplit(Authenticator.objects.get(user=people.dsl).config_url)

    assert parse_qs(url.query)["issuer"] == ["Kestrel (Ashdown Primary School)"]
    assert unquote(url.path) == "/Kestrel (Ashdown Primary School):chloe.kelan@example.org"


def test_confirming_with_a_code_from_the_shown_key_turns_the_app_on(enrolling, people):
    phone = pyotp.TOTP(shown_secret(enrolling.get(SETUP)).replace(" ", ""))

    response = enrolling.post(SETUP, {"code": phone.now()})

    assert response.url == "/account/backup-codes/"
    device = TOTPDevice.objects.get(user=people.dsl)
    assert device.confirmed
    assert enrolling.get("/dashboard/").status_code == 200
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["second_factor.authenticator_added", "second_factor.succeeded"]


def test_ten_backup_codes_are_shown_once_after_set_up(enrolling):
    phone = pyotp.TOTP(shown_secret(enrolling.get(SETUP)).replace(" ", ""))
    enrolling.post(SETUP, {"code": phone.now()})

    first = enrolling.get("/account/backup-codes/")
    again = enrolling.get("/account/backup-codes/")

    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", first.content.decode())
    assert first.status_code == 200
    assert len(codes) == len(set(codes)) == 10
    assert again.status_code == 302
    assert again.url == "/account/"
    assert not any(code in enrolling.get("/account/").content.decode() for code in codes)


def test_wrong_confirmation_code_leaves_the_app_off(enrolling, people):
    device = authenticator_pending(enrolling, people.dsl)

    response = enrolling.post(SETUP, {"code": wrong_code(device)})

    assert response.status_code == 200
    assert "That code is not right." in error_text(response)
    device.refresh_from_db()
    assert not device.confirmed
    assert enrolling.get("/dashboard/").url.startswith(SETUP)


def test_set_up_page_locks_after_five_wrong_codes(enrolling, people, clock):
    device = authenticator_pending(enrolling, people.dsl)
    for _ in range(5):
        enrolling.post(SETUP, {"code": wrong_code(device)})

    response = enrolling.post(SETUP, {"code": current_code(device)})

    assert "Too many wrong codes. Try again in 30 minutes." in error_text(response)
    device.refresh_from_db()
    assert not device.confirmed


def test_session_key_changes_when_the_app_is_turned_on(enrolling, people):
    device = authenticator_pending(enrolling, people.dsl)
    before = session_key(enrolling)

    enrolling.post(SETUP, {"code": current_code(device)})

    assert session_key(enrolling) != before
    assert not Session.objects.filter(session_key=before).exists()


def test_user_with_an_app_cannot_add_another_before_giving_a_code(waiting):
    response = waiting.get(SETUP)

    assert response.url.startswith("/login/verify/")


def authenticator_pending(client, user) -> TOTPDevice:
    """The unconfirmed device the set-up page has made for `user`."""
    client.get(SETUP)
    return TOTPDevice.objects.get(user=user, confirmed=False)


# Clock drift: the window stays one step either side of the server's clock -------------------


def test_code_two_steps_ahead_is_refused_after_one_step_ahead_was_accepted(device, clock):
    # django-otp's drift tracking would move the window along after each code from the future.
    now = timezone.now()
    ahead = pyotp.TOTP(base32_key(device))

    accepted = check_code(device, ahead.at(now + seconds(30)))
    two_ahead = check_code(device, ahead.at(now + seconds(60)))
    clock.shift(seconds(30))  # the phone's clock stays ahead; codes keep coming from later steps
    three_ahead = check_code(device, ahead.at(now + seconds(120)))

    assert accepted is not None
    assert two_ahead is None
    assert three_ahead is None
    device.refresh_from_db()
    assert device.drift == 0


def test_code_two_steps_ahead_is_refused_at_sign_in_after_a_code_one_step_ahead(
    client, people, password, device, clock
):
    totp = pyotp.TOTP(base32_key(device))
    enter_password(client, "chloe.kelan@example.org", password)
    assert enter_code(client, totp.at(timezone.now() + seconds(30))).url == "/dashboard/"
    client.post("/logout/")
    enter_password(client, "chloe.kelan@example.org", password)

    response = enter_code(client, totp.at(timezone.now() + seconds(60)))

    assert NOT_RIGHT in error_text(response)


def test_a_device_that_had_drifted_keeps_the_window_at_one_step(device, clock):
    # Devices saved before drift tracking was turned off may carry a drift; it is not used.
    TOTPDevice.objects.filter(pk=device.pk).update(drift=3)
    totp = pyotp.TOTP(base32_key(device))

    assert check_code(device, totp.at(timezone.now() + seconds(90))) is None
    assert check_code(device, totp.at(timezone.now())) is not None
