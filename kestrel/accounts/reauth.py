"""Recent authentication: sensitive account changes need the password and a current second factor,
given within the last few minutes ("Confirm it is you", kestrel.account_pages.views.reauth).

Signing in counts: a person who has just given their password and second factor (or only their
password, when they have no second factor yet) is not asked again straight away.
"""

import datetime
from functools import wraps

from django.contrib import messages
from django.http import JsonResponse, QueryDict
from django.shortcuts import redirect, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

REAUTH_AT = "kestrel_reauth_at"  # when the password and second factor were last given
FIRST_STEP_AT = "kestrel_reauth_first_step_at"  # step one of "Confirm it is you" done at
STASHED_FORM = "kestrel_reauth_stashed_form"  # what was typed into a form sent without it
MINUTES = 5


def _given_within(request, key: str, minutes: int) -> bool:
    at = request.session.get(key)
    if not at:
        return False
    given = datetime.datetime.fromisoformat(at)
    return timezone.now() - given <= datetime.timedelta(minutes=minutes)


def is_recent(request, minutes: int = MINUTES) -> bool:
    """Whether the password and a current second factor were given in the last `minutes`."""
    return _given_within(request, REAUTH_AT, minutes)


def mark(request) -> None:
    """Records that the person has just authenticated in full (signing in, or confirming)."""
    request.session[REAUTH_AT] = timezone.now().isoformat()
    request.session.pop(FIRST_STEP_AT, None)


def mark_password(request) -> None:
    request.session[FIRST_STEP_AT] = timezone.now().isoformat()


def password_is_recent(request) -> bool:
    return _given_within(request, FIRST_STEP_AT, MINUTES)


def forget(request) -> None:
    request.session.pop(REAUTH_AT, None)
    request.session.pop(FIRST_STEP_AT, None)


def confirm_url(next_url: str) -> str:
    return f"{resolve_url('accounts:reauthenticate')}?{urlencode({'next': next_url})}"


def _back_to(request, default: str) -> str:
    """Where to return after confirming: this page for a GET; for a POST (a button, which cannot
    be sent again for the person) the page it was pressed on, if it is on this site."""
    if request.method == "GET":
        return request.get_full_path()
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return resolve_url(default)


def stash_form(request) -> None:
    """Keeps what was typed into a form that needs confirming first, to be shown again after."""
    typed = {key: request.POST.getlist(key) for key in request.POST if key != "csrfmiddlewaretoken"}
    request.session[STASHED_FORM] = {"path": request.path, "data": typed}


def stashed_form(request):
    """What was typed into this page's form before confirming (a QueryDict), once; or None."""
    stashed = request.session.get(STASHED_FORM)
    if not stashed or stashed.get("path") != request.path or request.method != "GET":
        return None
    del request.session[STASHED_FORM]
    data = QueryDict(mutable=True)
    for key, values in stashed["data"].items():
        data.setlist(key, values)
    messages.info(request, "Your changes have not been saved yet. Check them, then save again.")
    return data


def ask(request, *, default: str = "accounts:settings", back: str | None = None):
    """The response that sends the person to "Confirm it is you" and back (to `back`, if given)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        # The passkey ceremonies (fetch from the page's script): a message, not a redirect.
        return JsonResponse(
            {"detail": "Confirm it is you first: reload the page and follow its link."},
            status=403,
        )
    messages.info(request, "For your safety, confirm it is you before changing this.")
    return redirect(confirm_url(back or _back_to(request, default)))


def recent_authentication(view=None, *, minutes: int = MINUTES, default="accounts:settings"):
    """The view runs only if the password and a current second factor were given in the last
    `minutes`; otherwise the person is sent to "Confirm it is you" and then back."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not is_recent(request, minutes):
                return ask(request, default=default)
            return view(request, *args, **kwargs)

        guarded.kestrel_recent_authentication = minutes
        return guarded

    return decorate(view) if view is not None else decorate
