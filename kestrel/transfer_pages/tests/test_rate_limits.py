"""The transfer addresses anyone may call are limited per IP address (counted in the database, so
every app server shares the counts): over the limit, 429 with a plain message and Retry-After,
recorded without the address's details (kestrel.transfer_pages.rate_limits)."""

import datetime

import pytest
from django.utils import timezone

from kestrel.accounts import throttle
from kestrel.accounts.models import ThrottleEvent
from kestrel.accounts.throttle import Rule
from kestrel.audit.models import AuditEvent

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def limit(monkeypatch):
    """Sets a rule's limit to `n` an hour."""

    def to(kind: str, n: int):
        monkeypatch.setitem(throttle.RULES, kind, Rule(limit=n, window=HOUR))

    return to


def hit(client, method: str, path: str, ip: str = "203.0.113.9"):
    ask = client.get if method == "GET" else client.post
    return ask(path, REMOTE_ADDR=ip)


@pytest.mark.parametrize(
    ("kind", "method", "path", "allowed"),
    [
        ("transfer_keys.ip", "GET", "/transfers/keys/999999/", 404),
        ("transfer_inbox.ip", "POST", "/transfers/inbox/", 400),
        ("transfer_receipts.ip", "POST", "/transfers/receipts/", 400),
        ("transfer_link.ip", "GET", "/receive/not-a-real-token/", 404),
    ],
)
def test_each_public_transfer_address_answers_429_once_an_ip_address_reaches_its_limit(
    client, db, limit, kind, method, path, allowed
):
    limit(kind, 3)
    assert [hit(client, method, path).status_code for _ in range(3)] == [allowed] * 3
    refused = hit(client, method, path)
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("text/plain")
    assert "Too many requests from your address" in refused.text
    assert 3500 < int(refused["Retry-After"]) <= 3600
    # Another address is not held by this one's requests.
    assert hit(client, method, path, ip="198.51.100.4").status_code == allowed
    event = AuditEvent.objects.get(action="transfer.rate_limited")
    assert event.detail == {"limit": kind}
    assert "not-a-real-token" not in str(event.detail)


def test_the_count_is_kept_in_the_database_and_ends_with_its_window(client, db, limit):
    """Requests counted by another app server (rows in the shared table) hold this one too;
    an hour later they no longer count."""
    limit("transfer_keys.ip", 2)
    hit(client, "GET", "/transfers/keys/999999/")
    hit(client, "GET", "/transfers/keys/999999/")
    assert ThrottleEvent.objects.filter(kind="transfer_keys.ip").count() == 2
    assert hit(client, "GET", "/transfers/keys/999999/").status_code == 429
    ThrottleEvent.objects.filter(kind="transfer_keys.ip").update(
        at=timezone.now() - HOUR - datetime.timedelta(seconds=1)
    )
    assert hit(client, "GET", "/transfers/keys/999999/").status_code == 404


def test_retry_after_counts_from_the_oldest_request_still_in_the_window(db, limit):
    limit("transfer_inbox.ip", 2)
    now = timezone.now()
    for minutes_ago in (50, 10):
        ThrottleEvent.objects.create(
            kind="transfer_inbox.ip",
            key=throttle._key("203.0.113.9"),
            at=now - datetime.timedelta(minutes=minutes_ago),
        )
    assert throttle.is_limited("transfer_inbox.ip", "203.0.113.9")
    assert 9 * 60 < throttle.retry_after("transfer_inbox.ip", "203.0.113.9") <= 10 * 60
    assert throttle.retry_after("transfer_inbox.ip", "198.51.100.4") == 0


def test_a_receipt_answered_too_many_requests_is_tried_again_not_given_up(
    db, school, other_school, monkeypatch, settings
):
    """The sending Kestrel's receipts address is over its limit (429): the receipt waits and is
    tried again, as when that Kestrel cannot be reached; any other 4xx is given up."""
    import io
    import urllib.error

    from django.tasks import task_backends

    from kestrel.testing.factories import UserFactory
    from kestrel.transfer_pages import delivery
    from kestrel.transfers.models import Received, ReceivedState

    received = Received.objects.create(
        school=other_school,
        state=ReceivedState.ACCEPTED,
        from_school_name="Ashdown Primary School",
        from_school_urn="100001",
        from_address="https://kestrel.ashdown.example",
        from_transfer="41",
        child_name="A child",
        accepted_at=timezone.now(),
        accepted_by=UserFactory(school=other_school),
    )

    def answer(code):
        def post(url, *args, **kwargs):
            raise urllib.error.HTTPError(url, code, "no", {}, io.BytesIO(b"Too many requests"))

        monkeypatch.setattr(delivery, "post", post)

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    answer(429)
    delivery.deliver_receipt.call(received.pk, 1)
    (retry,) = task_backends["default"].results
    assert retry.args == [received.pk, 2]
    assert not AuditEvent.objects.filter(detail__refused=True).exists()
    answer(403)
    delivery.deliver_receipt.call(received.pk, 2)
    assert len(task_backends["default"].results) == 1
    assert AuditEvent.objects.filter(
        action="transfer.receipt_not_sent", detail__refused=True
    ).exists()
