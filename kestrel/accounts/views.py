"""Signing in and out, setting a first password, and Account Settings."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.debug import sensitive_post_parameters

from kestrel.access.decorators import requires
from kestrel.access.policy import PUBLIC
from kestrel.accounts import services
from kestrel.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    SetPasswordForm,
)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        services.record_sign_in(user=form.get_user(), request=self.request)
        return response

    def form_invalid(self, form):
        services.record_failed_sign_in(
            email=self.request.POST.get("username", "")[:254], request=self.request
        )
        return super().form_invalid(form)


login = requires(PUBLIC)(LoginView.as_view())
logout = requires(PUBLIC)(auth_views.LogoutView.as_view())


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

    def form_valid(self, form):
        response = super().form_valid(form)
        services.record_password_set(user=form.user, request=self.request, how="set_by_link")
        messages.success(
            self.request,
            "Your password has been set. Sign in with your email address and your new password.",
        )
        return response


password_reset_confirm = requires(PUBLIC)(PasswordResetConfirmView.as_view())


@requires("signed_in")
def account_settings(request):
    return render(request, "accounts/account_settings.html")


@requires("signed_in")
@sensitive_post_parameters()
def change_password(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        services.record_password_set(user=user, request=request, how="changed")
        messages.success(request, "Your password has been changed.")
        return redirect("accounts:settings")
    return render(request, "accounts/change_password.html", {"form": form})
