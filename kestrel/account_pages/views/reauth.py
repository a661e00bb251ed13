""" "Confirm it is you": the password, then a current second factor, before a sensitive change.

Wrong passwords and codes here count toward the second-factor lockout and are audited, as at
sign-in: someone holding a stolen session cannot guess their way through.
"""

from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.models import WebAuthnCredential

from kestrel.access.decorators import requires
from kestrel.access.redirects import safe_next
from kestrel.account_pages.views.signin import passkey_config
from kestrel.accounts import reauth, second_factor, services
from kestrel.accounts.forms import ConfirmCodeForm, ConfirmPasswordForm
from kestrel.audit.services import record


def _next(request) -> str:
    """Back to where the person was going; Account Settings if they came here directly."""
    if request.POST.get("next") or request.GET.get("next"):
        return safe_next(request)
    return resolve_url("accounts:settings")


def _step(url_name: str, next_url: str) -> str:
    return f"{resolve_url(url_name)}?{urlencode({'next': next_url})}"


def _confirmed(request, kind: str):
    with transaction.atomic():
        reauth.mark(request)
        record(action="reauth.succeeded", request=request, detail={"kind": kind})


@requires("signed_in")
@sensitive_post_parameters("password")
@never_cache
def confirm_password(request):
    """Step one: the password."""
    next_url = _next(request)
    form = ConfirmPasswordForm(request.POST or None)
    locked = False
    if request.method == "POST" and form.is_valid():
        if services.second_factor_refused(request=request):
            locked = True
        elif request.user.check_password(form.cleaned_data["password"]):
            if not second_factor.has_second_factor(request.user) and not (
                second_factor.backup_codes(request.user)
            ):
                _confirmed(request, "password")  # nothing more to give
                return redirect(next_url)
            reauth.mark_password(request)
            return redirect(_step("accounts:reauthenticate_code", next_url))
        else:
            services.record_failed_second_factor(request=request, kind="reauth_password")
            form.add_error("password", "That password is not right.")
    return render(
        request,
        "accounts/reauth_password.html",
        {"form": form, "locked": locked, "next": next_url},
    )


@requires("signed_in")
@never_cache
def confirm_code(request):
    """Step two: a code from the authenticator app or a backup code, or a passkey."""
    next_url = _next(request)
    if request.method == "GET" and reauth.is_recent(request):
        return redirect(next_url)  # confirmed already (the passkey script reloads this page)
    if not reauth.password_is_recent(request):
        return redirect(_step("accounts:reauthenticate", next_url))
    device = second_factor.authenticator(request.user)
    codes = second_factor.backup_codes(request.user)
    form = ConfirmCodeForm(request.POST or None)
    locked = False
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        from_app = len(code) == 6 and code.isdigit()  # backup codes have ten characters
        if services.second_factor_refused(request=request):
            locked = True
        elif from_app and device is not None and second_factor.check_code(device, code):
            _confirmed(request, "authenticator")
            return redirect(next_url)
        elif not from_app and codes is not None and codes.verify_token(code):
            _confirmed(request, "backup_code")
            return redirect(next_url)
        else:
            services.record_failed_second_factor(request=request, kind="reauth_code")
            form.add_error("code", "That code is not right, or has been used already.")
    config = passkey_config(request)
    config["beginAuthenticationUrl"] = resolve_url("accounts:reauthenticate_passkey_begin")
    config["completeAuthenticationUrl"] = resolve_url("accounts:reauthenticate_passkey_complete")
    return render(
        request,
        "accounts/reauth_code.html",
        {
            "form": form,
            "locked": locked,
            "next": next_url,
            "has_codes": device is not None or codes is not None,
            "has_passkeys": second_factor.passkeys(request.user).exists(),
            "passkey_config": config,
        },
    )


_begin_passkey = webauthn_views.BeginCredentialAuthenticationView.as_view()
_complete_passkey = webauthn_views.CompleteCredentialAuthenticationView.as_view()


def _passkey_step_allowed(request):
    if not reauth.password_is_recent(request):
        return JsonResponse({"detail": "Enter your password first."}, status=403)
    if services.second_factor_refused(request=request):
        return JsonResponse({"detail": "Too many attempts. Try again in 30 minutes."}, status=429)
    return None


@requires("signed_in")
@require_POST
def confirm_passkey_begin(request):
    return _passkey_step_allowed(request) or _begin_passkey(request)


@requires("signed_in")
@require_POST
def confirm_passkey_complete(request):
    refused = _passkey_step_allowed(request)
    if refused:
        return refused
    response = _complete_passkey(request)
    device = getattr(request.user, "otp_device", None)
    if (
        response.status_code == 200
        and isinstance(device, WebAuthnCredential)
        and device.user_id == request.user.pk
    ):
        _confirmed(request, "passkey")
    else:
        services.record_failed_second_factor(request=request, kind="reauth_passkey")
    return response
