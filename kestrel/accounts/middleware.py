"""Session rules: an absolute limit on any session, and sessions that were ended elsewhere."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone

SIGNED_IN_AT = "kestrel_signed_in_at"
RENEWED_AT = "kestrel_renewed_at"
RENEW_EVERY_SECONDS = 60


class SessionRenewalMiddleware:
    """Moves a session's idle expiry on at most once a minute rather than at every request.

    A session is saved (and its 30 idle minutes start again) when it changed, or when its last
    renewal is a minute old: idle sessions still end 29 to 30 minutes after the last request, and
    a busy page costs no session write.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(timezone.now().timestamp())
            if now - session.get(RENEWED_AT, 0) >= RENEW_EVERY_SECONDS:
                session[RENEWED_AT] = now
        return response


class SessionLimitsMiddleware:
    """Ends a session 12 hours after sign-in, however active (idle expiry is Django's own)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = datetime.timedelta(hours=settings.SESSION_ABSOLUTE_LIMIT_HOURS)

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(SIGNED_IN_AT)
            if started is None:
                # Sessions made by Kestrel's sign-in carry the time; any other starts its clock now.
                request.session[SIGNED_IN_AT] = started = timezone.now().isoformat()
            if timezone.now() - datetime.datetime.fromisoformat(started) > self.limit:
                logout(request)
                # MessageMiddleware has not run yet here; process_view says why, after it has.
                request.session_limit_reached = True
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(request, "session_limit_reached", False):
            messages.info(
                request,
                f"For your safety you are signed out {settings.SESSION_ABSOLUTE_LIMIT_HOURS} "
                "hours after signing in. Sign in again to carry on.",
            )
            return redirect(settings.LOGIN_URL)
        return None
