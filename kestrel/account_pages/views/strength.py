"""The live strength meter on password pages: the server rates, so browser and server agree."""

from django.core import signing
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from kestrel.access.decorators import requires
from kestrel.access.policy import PUBLIC
from kestrel.accounts import throttle
from kestrel.accounts.passwords import CONTEXT_SALT, MAX_LENGTH, rate
from kestrel.accounts.selectors import user_in_any_school
from kestrel.audit.services import client_ip


@requires(PUBLIC)
@require_POST
def password_strength(request):
    # Per browser as well as per address: one browser behind a school's address must not use up
    # the whole school's allowance. Every page with a meter has a session (signed in, or the
    # password link's); requests with none share a small allowance per address.
    ip = client_ip(request) or "unknown"
    session_key = request.session.session_key
    limits = [
        ("password_strength.session", session_key)
        if session_key
        else ("password_strength.no_session", ip),
        ("password_strength.ip", ip),
    ]
    if any(throttle.is_limited(kind, value) for kind, value in limits):
        return JsonResponse({"detail": "Too many requests"}, status=429)
    for kind, value in limits:
        throttle.count(kind, value)
    user = request.user if request.user.is_authenticated else None
    try:
        user_id = signing.loads(request.POST.get("context", ""), salt=CONTEXT_SALT, max_age=3600)
        user = user_in_any_school(user_id) or user
    except signing.BadSignature:
        pass
    password = request.POST.get("password", "")
    rating = rate(password, user)  # rates only what zxcvbn can rate quickly (passwords.py)
    too_long = len(password) > MAX_LENGTH
    return JsonResponse(
        {
            "label": rating["label"],
            "score": rating["score"],
            "strong": rating["strong"] and not too_long,  # the server refuses it, so must we
            "advice": rating["advice"],
            "too_long": too_long,
        }
    )
