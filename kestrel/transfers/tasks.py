"""Email about transfers, sent by the task worker, never inside a request."""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

from kestrel.accounts.selectors import key_holder_emails
from kestrel.mail import header_safe
from kestrel.schools.scope import in_school_of
from kestrel.transfers.models import State, Transfer


@task
def send_chase_email(transfer_id: int) -> None:
    """Tells the DSL who sent a child's file that its receipt has not been confirmed after 5
    school days (or, if they have left, the school's key holders). The email names no child: it
    links to the transfer, which opens only with a key."""
    with in_school_of(Transfer, transfer_id):
        transfer = (
            Transfer.objects.select_related("school", "sent_by")
            .filter(pk=transfer_id, state=State.SENT)
            .first()
        )
        if transfer is None:  # confirmed since
            return
        sender = transfer.sent_by
        if sender is not None and sender.is_active:
            recipients = [sender.email]
        else:
            recipients = key_holder_emails(transfer.school_id)
        if not recipients:
            return
        context = {
            "transfer": transfer,
            "school": transfer.school,
            "link": settings.SITE_URL + reverse("transfer_pages:transfer", args=[transfer.pk]),
        }
        send_mail(
            subject=f"Chase: a child protection file sent by {header_safe(transfer.school.name)} "
            "has no receipt",
            message=render_to_string("transfers/email/chase.txt", context),
            from_email=None,
            recipient_list=recipients,
        )


@task
def send_receipt_email(transfer_id: int) -> None:
    """Tells the DSL who sent a child's file that the receiving school's DSL has confirmed
    receipt (no child named; the link opens with a key)."""
    with in_school_of(Transfer, transfer_id):
        transfer = (
            Transfer.objects.select_related("school", "sent_by")
            .filter(pk=transfer_id, state=State.RECEIVED)
            .first()
        )
        sender = transfer.sent_by if transfer is not None else None
        if sender is None or not sender.is_active or transfer.recorded_by_id == sender.pk:
            return  # nobody to tell, or they recorded it themselves
        context = {
            "transfer": transfer,
            "school": transfer.school,
            "link": settings.SITE_URL + reverse("transfer_pages:transfer", args=[transfer.pk]),
        }
        send_mail(
            subject=f"Receipt confirmed: a child protection file sent by "
            f"{header_safe(transfer.school.name)}",
            message=render_to_string("transfers/email/receipt.txt", context),
            from_email=None,
            recipient_list=[sender.email],
        )
