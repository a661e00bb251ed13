"""Rate limits and lockouts, counted in the database so that every app server sees the same counts.

Sign-in: 5 failures for one account within 30 minutes lock it for the next 30 minutes; an address
that names no account is counted and locked the same way (so a lock says nothing about who has an
account). Per IP address the limits are far higher, so a whole school behind one proxy is not
locked out by one forgetful colleague, and a browser that has signed in fully as the person before
(kestrel.accounts.devices) is not held by the IP limit or the account's lock at all, only by a
lock of its own. The same rules guard second-factor codes and password-link emails.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kestrel.accounts.models import ThrottleEvent


@dataclass(frozen=True)
class Rule:
    limit: int
    window: timedelta
    lock: timedelta | None = None  # a lockout that lasts this long after the limit is reached


MINUTES_30 = timedelta(minutes=30)
HOUR = timedelta(hours=1)

RULES = {
    "signin.account": Rule(limit=5, window=MINUTES_30, lock=MINUTES_30),
    "signin.ip": Rule(limit=100, window=MINUTES_30),
    "signin.device": Rule(limit=5, window=MINUTES_30, lock=MINUTES_30),
    "second_factor.account": Rule(limit=5, window=MINUTES_30, lock=MINUTES_30),
    "second_factor.ip": Rule(limit=100, window=MINUTES_30),
    "password_link.address": Rule(limit=3, window=HOUR),
    "password_link.ip": Rule(limit=30, window=HOUR),
    # The meter: one browser (its session) may ask 300 times an hour, requests with no session
    # share 60 an hour per IP address, and the whole address 2,000 (a school at the start of term).
    "password_strength.session": Rule(limit=300, window=HOUR),
    "password_strength.no_session": Rule(limit=60, window=HOUR),
    "password_strength.ip": Rule(limit=2000, window=HOUR),
    # The transfer addresses anyone may call, per IP address (kestrel.transfer_pages.rate_limits):
    # another Kestrel asking a school's keys (once per file or receipt it checks), posting
    # packages and receipts; a person at a download link's pages (besides each link's own limits).
    "transfer_keys.ip": Rule(limit=600, window=HOUR),
    "transfer_inbox.ip": Rule(limit=120, window=HOUR),
    "transfer_receipts.ip": Rule(limit=300, window=HOUR),
    "transfer_link.ip": Rule(limit=200, window=HOUR),
}


def _key(value: str) -> str:
    """A keyed hash of the counted value: the table never holds an email or IP address."""
    secret = settings.SECRET_KEY.encode()
    return hmac.new(
        secret, f"throttle:{value.strip().lower()}".encode(), hashlib.sha256
    ).hexdigest()


def is_limited(kind: str, value: str) -> bool:
    """Whether `value` is locked out, or has used up its allowance, for `kind`."""
    rule = RULES[kind]
    since = timezone.now() - (rule.lock or rule.window)
    key = _key(value)
    if rule.lock is not None:
        return ThrottleEvent.objects.filter(kind=f"{kind}.lock", key=key, at__gt=since).exists()
    return ThrottleEvent.objects.filter(kind=kind, key=key, at__gt=since).count() >= rule.limit


def retry_after(kind: str, value: str) -> int:
    """Seconds until `value` may be counted for `kind` again (0 if it may now)."""
    rule = RULES[kind]
    now, key = timezone.now(), _key(value)
    if rule.lock is not None:
        events = ThrottleEvent.objects.filter(kind=f"{kind}.lock", key=key)
        ends = [at + rule.lock for at in events.order_by("-at").values_list("at", flat=True)[:1]]
    else:
        recent = ThrottleEvent.objects.filter(kind=kind, key=key, at__gt=now - rule.window)
        times = list(recent.order_by("-at").values_list("at", flat=True)[: rule.limit])
        ends = [times[-1] + rule.window] if len(times) >= rule.limit else []
    return max(0, -int(-(ends[0] - now).total_seconds() // 1)) if ends else 0


def count(kind: str, value: str) -> None:
    """Counts one event; reaching a lockout rule's limit starts its lock."""
    rule = RULES[kind]
    now = timezone.now()
    key = _key(value)
    with transaction.atomic():
        ThrottleEvent.objects.create(kind=kind, key=key, at=now)
        if rule.lock is not None:
            recent = ThrottleEvent.objects.filter(kind=kind, key=key, at__gt=now - rule.window)
            if recent.count() >= rule.limit:
                ThrottleEvent.objects.create(kind=f"{kind}.lock", key=key, at=now)
                recent.delete()  # the lock now speaks for them; a fresh count starts after it


def clear(kind: str, value: str) -> None:
    """Forgets the failures counted for `value` (after a successful sign-in)."""
    ThrottleEvent.objects.filter(kind=kind, key=_key(value)).delete()


def prune(older_than: timedelta = timedelta(days=1)) -> int:
    """Deletes events too old to matter to any rule."""
    deleted, _ = ThrottleEvent.objects.filter(at__lt=timezone.now() - older_than).delete()
    return deleted
