"""Email about accounts, sent by the task worker, never inside a request."""

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.db.models import F
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from kestrel.accounts.emails import normalise
from kestrel.accounts.models import User
from kestrel.mail import header_safe


class PasswordLinkTokens(PasswordResetTokenGenerator):
    """Password links that die once used, after an hour, or as soon as a newer link is sent."""

    key_salt = "kestrel.accounts.PasswordLinkTokens"

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}|{user.password_link_serial}"


password_link_tokens = PasswordLinkTokens()


@task
def send_password_reset(email: str) -> None:
    """Emails a one-time "Click here to reset your password" link, if the address is a user's."""
    user = (
        User.all_schools.select_related("school")
        .filter(email=normalise(email), is_active=True)
        .first()
    )
    if user is None:
        return
    context = {"user": user, "school": user.school, "link": _password_link(user)}
    send_mail(
        subject=f"Kestrel password reset for {header_safe(user.school.name)}",
        message=render_to_string("accounts/email/password_reset.txt", context),
        html_message=render_to_string("accounts/email/password_reset.html", context),
        from_email=None,
        recipient_list=[user.email],
    )


@task
def send_first_time_email(user_id: int, invited_by_id: int | None = None) -> None:
    """Emails a colleague their first-time link to set a password, once their administrator has
    activated the account (kestrel.roster.staff.invite_new). Nothing for an account deactivated
    again, or one that has a password already."""
    user = (
        User.all_schools.select_related("school")
        .filter(pk=user_id, is_active=True, password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .first()
    )
    if user is None:
        return
    inviter = User.all_schools.filter(pk=invited_by_id).first() if invited_by_id else None
    context = {
        "user": user,
        "school": user.school,
        "invited_by": inviter.full_name if inviter else "",
        "link": _password_link(user),
        "lasts": _duration(settings.PASSWORD_RESET_TIMEOUT),
        "sign_in": f"{settings.SITE_URL}{reverse('accounts:login')}",
    }
    send_mail(
        subject=f"Your Kestrel account at {header_safe(user.school.name)}",
        message=render_to_string("accounts/email/first_time.txt", context),
        html_message=render_to_string("accounts/email/first_time.html", context),
        from_email=None,
        recipient_list=[user.email],
    )


def _password_link(user: User) -> str:
    """A new password link for `user`: every link sent before it dies."""
    User.all_schools.filter(pk=user.pk).update(password_link_serial=F("password_link_serial") + 1)
    user.refresh_from_db(fields=["password_link_serial"])
    path = reverse(
        "accounts:reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": password_link_tokens.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def _duration(seconds: int) -> str:
    """'one hour', '3 days', '45 minutes': how long a link lasts, in words."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"one {unit}" if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"
