"""Session rules: an absolute limit on any session, and sessions that were ended elsewhere."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone

SIGNED_IN_AT = "kestrel_signed_in_at"


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
