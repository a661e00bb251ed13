"""Account changes: sign-in records, reset requests, password changes."""

from django.db import transaction
from django.db.models.functions import Lower

from kestrel.accounts.models import User
from kestrel.accounts.tasks import send_password_reset
from kestrel.audit.services import record


def request_password_reset(*, email: str, request) -> None:
    """Queues a reset email if an active account has this address; says nothing either way."""
    user = (
        User.objects.annotate(lower=Lower("email"))
        .filter(lower=email.strip().lower(), is_active=True)
        .first()
    )
    with transaction.atomic():
        record(
            action="password.reset_requested",
            actor=user,
            request=request,
            school=user.school if user else None,
            detail={} if user else {"unknown_email": True},
        )
        if user is not None:
            transaction.on_commit(lambda: send_password_reset.enqueue(user.pk))


def record_sign_in(*, user, request) -> None:
    with transaction.atomic():
        record(action="signin.succeeded", actor=user, request=request)


def record_failed_sign_in(*, email: str, request) -> None:
    user = User.objects.annotate(lower=Lower("email")).filter(lower=email.strip().lower()).first()
    with transaction.atomic():
        record(
            action="signin.failed",
            actor=user,
            request=request,
            school=user.school if user else None,
            detail={} if user else {"unknown_email": True},
        )


def record_password_set(*, user, request, how: str) -> None:
    with transaction.atomic():
        record(action=f"password.{how}", actor=user, request=request)
