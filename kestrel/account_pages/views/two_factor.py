"""Setting up and managing the second factor: authenticator app, passkeys and backup codes."""

import base64

import segno
from django.contrib import messages
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_otp_webauthn import views as webauthn_views

from kestrel.access.decorators import requires
from kestrel.access.policy import SECOND_FACTOR_PENDING
from kestrel.access.refusals import get_for_user
from kestrel.accounts import reauth, second_factor, services
from kestrel.accounts.forms import AuthenticatorCodeForm
from kestrel.accounts.reauth import recent_authentication
from kestrel.audit.services import record

NEW_CODES_SESSION_KEY = "kestrel_new_backup_codes"


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@requires(SECOND_FACTOR_PENDING)
def setup(request):
    """Set up an authenticator app: a QR code and the key as text, confirmed by a code."""
    state = second_factor.state(request)
    if state == second_factor.PENDING:
        return redirect("accounts:verify")  # prove the existing factor before adding another
    if state != second_factor.ENROL and not reauth.is_recent(request):
        # Replacing or adding a factor; a first set-up straight after signing in is not asked.
        return reauth.ask(request)
    device = second_factor.pending_authenticator(request.user)
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.second_factor_refused(request=request):
            form.add_error("code", "Too many wrong codes. Try again in 30 minutes.")
        elif second_factor.check_code(device, form.cleaned_data["code"]):
            return _authenticator_added(request, device)
        else:
            services.record_failed_second_factor(request=request, kind="authenticator_setup")
            form.add_error(
                "code",
                "That code is not right. Check the app shows Kestrel, then enter its current code.",
            )
    secret = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_data_uri": qr.svg_data_uri(scale=5, dark="#0b0c0c"),
            "secret": _grouped(secret),
            "required": state == second_factor.ENROL,
        },
    )


def _authenticator_added(request, device):
    """The code was right: the new app replaces the old, and new backup codes when none are left."""
    with transaction.atomic():
        second_factor.replace_authenticator(device)
        record(action="second_factor.authenticator_added", request=request)
    services.complete_second_factor(request=request, device=device, kind="authenticator")
    if second_factor.backup_codes(request.user) is None:
        request.session[NEW_CODES_SESSION_KEY] = second_factor.new_backup_codes(request.user)
        return redirect("accounts:backup_codes_new")
    messages.success(request, "Your authenticator app is set up.")
    return redirect("accounts:settings")


@requires("signed_in")
def backup_codes_new(request):
    """Shows newly made backup codes, once: they are kept only as hashes."""
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("accounts:settings")
    return render(request, "accounts/backup_codes.html", {"codes": codes})


@requires("signed_in")
@recent_authentication
@require_POST
def backup_codes_replace(request):
    with transaction.atomic():
        request.session[NEW_CODES_SESSION_KEY] = second_factor.new_backup_codes(request.user)
        record(action="second_factor.backup_codes_replaced", request=request)
    return redirect("accounts:backup_codes_new")


def _would_leave_no_factor(request, removing) -> bool:
    others = [
        device
        for device in [
            second_factor.authenticator(request.user),
            *second_factor.passkeys(request.user),
        ]
        if device is not None and device != removing
    ]
    return request.user.school.require_two_factor and not others


@requires("signed_in")
@recent_authentication
@require_POST
def authenticator_remove(request):
    device = second_factor.authenticator(request.user)
    if device is None:
        return redirect("accounts:settings")
    if _would_leave_no_factor(request, device):
        messages.error(
            request,
            "Your school requires a second factor. Add a passkey before removing your "
            "authenticator app, or set up the app again on a new phone.",
        )
        return redirect("accounts:settings")
    with transaction.atomic():
        device.delete()
        record(action="second_factor.authenticator_removed", request=request)
    messages.success(request, "Your authenticator app has been removed.")
    return redirect("accounts:settings")


@requires("signed_in")
@recent_authentication
@require_POST
def passkey_remove(request, pk):
    passkey = get_for_user(
        request,
        second_factor.passkeys(request.user),
        kind="passkey",
        school_path="user__school",
        pk=pk,
    )
    if _would_leave_no_factor(request, passkey):
        messages.error(
            request,
            "Your school requires a second factor. Set up an authenticator app before removing "
            "your last passkey.",
        )
        return redirect("accounts:settings")
    with transaction.atomic():
        name = passkey.name
        passkey.delete()
        record(action="second_factor.passkey_removed", request=request, detail={"name": name})
    messages.success(request, "The passkey has been removed.")
    return redirect("accounts:settings")


# The WebAuthn ceremonies are django-otp-webauthn's JSON views, each behind Kestrel's gate.
passkey_register_begin = requires("signed_in")(
    recent_authentication(webauthn_views.BeginCredentialRegistrationView.as_view())
)
passkey_register_complete = requires("signed_in")(
    recent_authentication(webauthn_views.CompleteCredentialRegistrationView.as_view())
)
passkey_verify_begin = requires(SECOND_FACTOR_PENDING)(
    webauthn_views.BeginCredentialAuthenticationView.as_view()
)
_complete_authentication = webauthn_views.CompleteCredentialAuthenticationView.as_view()


@requires(SECOND_FACTOR_PENDING)
@require_POST
def passkey_verify_complete(request):
    """Verifies a passkey as the second factor, then gives the session a new id."""
    if services.second_factor_refused(request=request):
        return JsonResponse({"detail": "Too many attempts. Try again in 30 minutes."}, status=429)
    response = _complete_authentication(request)
    device = getattr(request.user, "otp_device", None)
    if response.status_code == 200 and device is not None:
        services.complete_second_factor(request=request, device=device, kind="passkey")
    else:
        services.record_failed_second_factor(request=request, kind="passkey")
    return response
