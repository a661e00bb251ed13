"""Unlocking and locking key access."""

from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kestrel import notices
from kestrel.access import keys
from kestrel.access.decorators import requires
from kestrel.access.redirects import safe_next
from kestrel.accounts import second_factor, services, throttle
from kestrel.accounts.forms import AuthenticatorCodeForm
from kestrel.audit.services import record


@requires("use_key")
def unlock(request):
    """Key holders unlock every record at their access level with a code from their app."""
    device = second_factor.authenticator(request.user)
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.second_factor_refused(request=request):
            form.add_error("code", "Too many wrong codes. Try again in 30 minutes.")
        elif device is not None and second_factor.check_code(device, form.cleaned_data["code"]):
            # As after signing in: the right code forgets the wrong ones counted before it.
            throttle.clear("second_factor.account", str(request.user.pk))
            with transaction.atomic():
                until = keys.unlock(request)
                record(action="key.unlocked", request=request, detail={"until": until.isoformat()})
            notices.success(request, f"Key access is on until {timezone.localtime(until):%H:%M}.")
            return redirect(safe_next(request))
        elif device is not None:
            services.record_failed_second_factor(request=request, kind="key")
            form.add_error("code", "That code is not right, or has been used already.")
    return render(
        request,
        "access/unlock.html",
        {
            "form": form,
            "has_authenticator": device is not None,
            "next": safe_next(request),
            "minutes": request.user.school.key_unlock_minutes,
        },
    )


@requires("use_key")
@require_POST
def lock(request):
    with transaction.atomic():
        keys.lock(request)
        record(action="key.locked", request=request)
    notices.success(request, "Key access is off.")
    return redirect("dashboard")
