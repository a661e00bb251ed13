"""Email about accounts, sent by the task worker, never inside a request."""

from django.conf import settings
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
    User.all_schools.filter(pk=user.pk).update(password_link_serial=F("password_link_serial") + 1)
    user.refresh_from_db(fields=["password_link_serial"])
    path = reverse(
        "accounts:reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": password_link_tokens.make_token(user),
        },
    )
    context = {"user": user, "school": user.school, "link": f"{settings.SITE_URL}{path}"}
    send_mail(
        subject=f"Kestrel password reset for {header_safe(user.school.name)}",
        message=render_to_string("accounts/email/password_reset.txt", context),
        html_message=render_to_string("accounts/email/password_reset.html", context),
        from_email=None,
        recipient_list=[user.email],
    )
