"""The live strength meter on password pages: the server rates, so browser and server agree."""

from django.core import signing
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from kestrel.access.decorators import requires
from kestrel.access.policy import PUBLIC
from kestrel.accounts import throttle
from kestrel.accounts.models import User
from kestrel.accounts.passwords import MAX_LENGTH, rate
from kestrel.audit.services import client_ip

CONTEXT_SALT = "kestrel.accounts.strength"


def context_token(user) -> str:
    """Names, for the meter, whose password is being rated (signed, so it cannot be swapped)."""
    return signing.dumps(user.pk, salt=CONTEXT_SALT) if user is not None else ""


@requires(PUBLIC)
@require_POST
def password_strength(request):
    ip = client_ip(request) or "unknown"
    if throttle.is_limited("password_strength.ip", ip):
        return JsonResponse({"detail": "Too many requests"}, status=429)
    throttle.count("password_strength.ip", ip)
    user = request.user if request.user.is_authenticated else None
    try:
        user_id = signing.loads(request.POST.get("context", ""), salt=CONTEXT_SALT, max_age=3600)
        user = User.objects.select_related("school").filter(pk=user_id).first() or user
    except signing.BadSignature:
        pass
    password = request.POST.get("password", "")
    rating = rate(password[:MAX_LENGTH], user)
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
