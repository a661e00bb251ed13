"""Per-IP limits on the transfer addresses anyone may call: a school's keys, the inbox, the
receipts and a download link's pages. Counted in the database by kestrel.accounts.throttle (so
every app server shares the counts; its rules say how many an hour). Over the limit: 429 with a
plain message and Retry-After, recorded in the audit trail (which address kind, never the IP
address's counts or any child's details)."""

from functools import wraps

from django.http import HttpResponse

from kestrel.accounts import throttle
from kestrel.audit.services import client_ip, record

MESSAGE = "Too many requests from your address. Please wait {minutes} before trying again."


def _wait(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def too_many(request, kind: str, ip: str) -> HttpResponse:
    seconds = max(1, throttle.retry_after(kind, ip))
    record(
        action="transfer.rate_limited",
        request=request,
        detail={"limit": kind},
    )
    response = HttpResponse(
        MESSAGE.format(minutes=_wait(seconds)),
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(seconds)
    return response


def per_ip(kind: str):
    """Counts each request from an IP address for the throttle rule `kind`; over its limit the
    view is not run."""

    def decorate(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            ip = client_ip(request) or "unknown"
            if throttle.is_limited(kind, ip):
                return too_many(request, kind, ip)
            throttle.count(kind, ip)
            return view(request, *args, **kwargs)

        return limited

    return decorate
