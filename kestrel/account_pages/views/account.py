"""Account Settings: details, password, second factors, recent sign-ins, sign out everywhere,
and the staff member's own training."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from kestrel.access.decorators import requires
from kestrel.account_pages.views.signin import passkey_config
from kestrel.accounts import reauth, second_factor, selectors, services
from kestrel.accounts.forms import PasswordChangeForm
from kestrel.accounts.reauth import recent_authentication
from kestrel.training.selectors import own_training


@requires("signed_in")
def account_settings(request):
    user = request.user
    codes = second_factor.backup_codes(user)
    sign_ins = selectors.recent_sign_ins(user=user, current_session_key=request.session.session_key)
    training, training_records = own_training(user)
    return render(
        request,
        "accounts/account_settings.html",
        {
            "authenticator": second_factor.authenticator(user),
            "passkeys": list(second_factor.passkeys(user)),
            "backup_codes_left": codes.remaining() if codes else None,
            "sign_ins": sign_ins,
            "training": training,
            "training_records": training_records,
            "passkey_config": passkey_config(request),
            # Adding a passkey needs "Confirm it is you" first, unless it was given just now.
            "recently_confirmed": reauth.is_recent(request),
            "confirm_url": reauth.confirm_url(request.get_full_path()),
        },
    )


@requires("signed_in")
@recent_authentication
@sensitive_post_parameters()
def change_password(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        old_key = request.session.session_key
        update_session_auth_hash(request, user)  # keeps this session, ends every other one
        services.session_key_changed(user=user, old_key=old_key, request=request)
        services.end_other_sessions(
            user=user, keep_session_key=request.session.session_key, request=request
        )
        services.record_password_set(user=user, request=request, how="changed")
        messages.success(request, "Your password has been changed.")
        return redirect("accounts:settings")
    return render(request, "accounts/change_password.html", {"form": form})


@requires("signed_in")
@recent_authentication
@require_POST
def sign_out_everywhere(request):
    ended = services.end_other_sessions(
        user=request.user, keep_session_key=request.session.session_key, request=request
    )
    messages.success(
        request,
        "You have been signed out everywhere else."
        if ended
        else "You were not signed in anywhere else.",
    )
    return redirect("accounts:settings")
