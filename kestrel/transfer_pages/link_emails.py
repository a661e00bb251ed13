"""The download-link route's emails, sent by the task worker, never inside a request: the link
to the receiving DSL, the one-time code in an email of its own, and the sender told when the
link locks. None names the child."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from kestrel.accounts.selectors import key_holder_emails
from kestrel.audit.services import record
from kestrel.encryption import decrypt
from kestrel.mail import header_safe
from kestrel.schools.scope import in_school_of
from kestrel.transfer_pages.models import LinkCode, TransferLink


def _send(*, subject: str, template: str, context: dict, to: list[str], reply_to=()) -> None:
    EmailMessage(
        subject=subject,
        body=render_to_string(template, context),
        to=to,
        reply_to=[address for address in reply_to if address],
    ).send()


@task
def send_link_email(link_id: int) -> None:
    """Emails the link to the receiving DSL, then forgets its token (only its hash stays). The
    email holds no code: the code is sent separately when they ask for it at the link."""
    with in_school_of(TransferLink, link_id):
        link = (
            TransferLink.objects.select_related("school", "transfer", "created_by")
            .filter(pk=link_id, emailed_at__isnull=True)
            .exclude(token_sealed="")
            .first()
        )
        if link is None:
            return
        if not link.is_live:  # withdrawn before its email went: never sent, token forgotten
            TransferLink.objects.filter(pk=link.pk).update(token_sealed="")
            return
        token = decrypt(link.token_sealed).decode()
        sender = link.created_by
        context = {
            "link": link,
            "transfer": link.transfer,
            "from_school": link.school,
            "sender": sender,
            "address": settings.SITE_URL + reverse("transfer_pages:link_open", args=[token]),
            "expires_at": timezone.localtime(link.expires_at),
        }
        _send(
            subject=f"A child protection file from {header_safe(link.school.name)}",
            template="transfer_pages/email/link_sent.txt",
            context=context,
            to=[link.email],
            reply_to=[sender.email],
        )
        TransferLink.objects.filter(pk=link.pk).update(emailed_at=timezone.now(), token_sealed="")
        record(
            action="transfer.link_emailed",
            obj=link,
            school=link.school,
            student=link.transfer.student,
            detail={"transfer": link.transfer_id},
        )


@task
def send_code_email(code_id: int) -> None:
    """Emails a one-time code to the link's address, then forgets it (only its hash stays)."""
    # A code is not a school's row itself: its link is, and the link's school is the scope.
    link_id = LinkCode.objects.filter(pk=code_id).values_list("link_id", flat=True).first()
    if link_id is None:
        return
    with in_school_of(TransferLink, link_id):
        made = (
            LinkCode.objects.select_related("link", "link__school")
            .filter(
                pk=code_id,
                emailed_at__isnull=True,
                used_at__isnull=True,
                replaced_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .exclude(code_sealed="")
            .first()
        )
        if made is None or not made.link.is_live:
            LinkCode.objects.filter(pk=code_id).update(code_sealed="")
            return
        link = made.link
        _send(
            subject=f"Your code to open the file from {header_safe(link.school.name)}",
            template="transfer_pages/email/link_code.txt",
            context={
                "code": decrypt(made.code_sealed).decode(),
                "from_school": link.school,
                "expires_at": timezone.localtime(made.expires_at),
            },
            to=[link.email],
        )
        LinkCode.objects.filter(pk=made.pk).update(emailed_at=timezone.now(), code_sealed="")


@task
def send_locked_email(link_id: int) -> None:
    """Tells the DSL who sent the link (or, if they have left, the school's key holders) that it
    locked after too many wrong codes."""
    with in_school_of(TransferLink, link_id):
        link = (
            TransferLink.objects.select_related("school", "transfer", "created_by")
            .filter(pk=link_id, locked_at__isnull=False)
            .first()
        )
        if link is None:
            return
        sender = link.created_by
        recipients = [sender.email] if sender.is_active else key_holder_emails(link.school_id)
        if not recipients:
            return
        _send(
            subject="A download link for a child protection file has been locked",
            template="transfer_pages/email/link_locked.txt",
            context={
                "link": link,
                "from_school": link.school,
                "address": settings.SITE_URL
                + reverse("transfer_pages:transfer", args=[link.transfer_id]),
            },
            to=recipients,
        )
