"""Email about accounts, sent by the task worker, never inside a request."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from kestrel.accounts.models import User


@task
def send_password_reset(user_id: int) -> None:
    """Emails a one-time "Click here to reset your password" link to an active staff member."""
    user = User.objects.select_related("school").filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    path = reverse(
        "accounts:reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"user": user, "school": user.school, "link": f"{settings.SITE_URL}{path}"}
    send_mail(
        subject=f"Kestrel password reset for {user.school.name}",
        message=render_to_string("accounts/email/password_reset.txt", context),
        html_message=render_to_string("accounts/email/password_reset.html", context),
        from_email=None,
        recipient_list=[user.email],
    )
