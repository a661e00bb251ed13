"""Signing in (password, then second factor), signing out, and first-time password links."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.middleware import csrf
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from kestrel.access.decorators import requires
from kestrel.access.policy import PUBLIC, SECOND_FACTOR_PENDING
from kestrel.access.redirects import safe_next
from kestrel.accounts import second_factor, services
from kestrel.accounts.forms import (
    AuthenticatorCodeForm,
    BackupCodeForm,
    LoginForm,
    PasswordResetRequestForm,
    SetPasswordForm,
)
from kestrel.accounts.tasks import password_link_tokens
from kestrel.schools.scope import scopes_disabled


def _with_next(url_name: str, request) -> str:
    # Encoded, so a next link with its own query string arrives whole.
    return f"{resolve_url(url_name)}?{urlencode({'next': safe_next(request)})}"


@requires(PUBLIC)
@sensitive_post_parameters("password")
@never_cache  # the response after a correct password carries a new session cookie
def login(request):
    """The guide's sign-in page: "Email address", "Password", "Login"."""
    if request.user.is_authenticated and second_factor.state(request) in {
        second_factor.VERIFIED,
        second_factor.NOT_REQUIRED,
    }:
        return redirect(safe_next(request))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        next_step = services.sign_in(user=form.get_user(), request=request)
        if next_step == second_factor.PENDING:
            return redirect(_with_next("accounts:verify", request))
        if next_step == second_factor.ENROL:
            return redirect(_with_next("accounts:two_factor_setup", request))
        return redirect(safe_next(request))
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


@requires(SECOND_FACTOR_PENDING)
def verify(request):
    """The second step of signing in: a code from the authenticator app, or a passkey."""
    if second_factor.state(request) != second_factor.PENDING:
        return redirect(safe_next(request))
    device = second_factor.authenticator(request.user)
    form = AuthenticatorCodeForm(request.POST or None)
    locked = False
    if request.method == "POST" and form.is_valid():
        if services.second_factor_refused(request=request):
            locked = True
        elif device is not None and second_factor.check_code(device, form.cleaned_data["code"]):
            services.complete_second_factor(request=request, device=device, kind="authenticator")
            return redirect(safe_next(request))
        else:
            services.record_failed_second_factor(request=request, kind="authenticator")
            form.add_error(
                "code",
                "That code is not right, or has been used already. "
                "Enter the code your app shows now.",
            )
    return render(
        request,
        "accounts/verify.html",
        {
            "form": form,
            "locked": locked,
            "has_authenticator": device is not None,
            "has_passkeys": second_factor.passkeys(request.user).exists(),
            "passkey_config": passkey_config(request),
            "next": safe_next(request),
        },
    )


def passkey_config(request) -> dict:
    """What django-otp-webauthn's script needs, pointing at Kestrel's gated URLs."""
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": csrf.get_token(request),
        "beginAuthenticationUrl": resolve_url("accounts:passkey_verify_begin"),
        "completeAuthenticationUrl": resolve_url("accounts:passkey_verify_complete"),
        "beginRegistrationUrl": resolve_url("accounts:passkey_register_begin"),
        "completeRegistrationUrl": resolve_url("accounts:passkey_register_complete"),
    }


@requires(SECOND_FACTOR_PENDING)
def verify_backup_code(request):
    if second_factor.state(request) != second_factor.PENDING:
        return redirect(safe_next(request))
    form = BackupCodeForm(request.POST or None)
    locked = False
    if request.method == "POST" and form.is_valid():
        device = second_factor.backup_codes(request.user)
        if services.second_factor_refused(request=request):
            locked = True
        elif device is not None and device.verify_token(form.cleaned_data["code"]):
            services.complete_second_factor(request=request, device=device, kind="backup_code")
            remaining = device.remaining()
            messages.warning(
                request,
                f"You used a backup code. You have {remaining} left: create new ones in "
                "Account Settings if you are running low.",
            )
            return redirect(safe_next(request))
        else:
            services.record_failed_second_factor(request=request, kind="backup_code")
            form.add_error("code", "That backup code is not right, or has been used already.")
    return render(
        request,
        "accounts/verify_backup_code.html",
        {"form": form, "locked": locked, "next": safe_next(request)},
    )


@requires(PUBLIC)
@require_POST
def logout(request):
    services.sign_out(request=request)
    messages.success(request, "You have logged out of Kestrel.")
    return redirect("accounts:login")


@requires(PUBLIC)
def password_reset(request):
    """The guide's "Forgotten your password or using Kestrel for the first time?" page."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_password_reset(email=form.cleaned_data["email"], request=request)
        return redirect("accounts:reset_sent")
    return render(request, "accounts/password_reset.html", {"form": form})


@requires(PUBLIC)
def password_reset_sent(request):
    return render(request, "accounts/password_reset_sent.html")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")
    token_generator = password_link_tokens

    def get_user(self, uidb64):
        # The link names its user before any school scope exists: whoever follows it is signed
        # out (as signing in, through User.all_schools; kestrel.schools.scope).
        with scopes_disabled():
            return super().get_user(uidb64)

    def form_valid(self, form):
        response = super().form_valid(form)
        services.record_password_set(user=form.user, request=self.request, how="set_by_link")
        services.end_other_sessions(user=form.user, keep_session_key=None, request=self.request)
        messages.success(
            self.request,
            "Your password has been set. Sign in with your email address and your new password.",
        )
        return response


password_reset_confirm = requires(PUBLIC)(PasswordResetConfirmView.as_view())
