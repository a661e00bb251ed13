"""The download-link route: sending a link, and what the receiving DSL does with it (ask for a
code, give it, name themselves, download, confirm receipt). Every step is recorded in the audit
trail (never the child's name or any record text); the emails go through tasks
(kestrel.transfer_pages.link_emails), never inside a request."""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from kestrel.audit.services import record
from kestrel.encryption import encrypt
from kestrel.exports.models import ExportRequest
from kestrel.exports.models import State as ExportState
from kestrel.schools.scope import scopes_disabled
from kestrel.students.models import Student
from kestrel.tasks import enqueue_with_transaction
from kestrel.transfer_pages.models import Download, LinkCode, LinkDownload, LinkGrant, TransferLink
from kestrel.transfers import services as transfers
from kestrel.transfers.models import Route, State, Transfer

# The issue: valid for 14 days, opened with a one-time code sent separately.
VALID_FOR = datetime.timedelta(days=14)
CODE_DIGITS = 8
CODE_VALID_FOR = datetime.timedelta(minutes=30)
CODES_PER_HOUR = 5
WRONG_CODES_LOCK = 5
# How long a browser that gave the right code may use the link (its session may end sooner).
GRANT_FOR = datetime.timedelta(hours=2)
# After receipt is confirmed the link (and its file) lasts one more day, then goes.
KEPT_AFTER_RECEIPT = datetime.timedelta(days=1)
HOW_CONFIRMED = "Confirmed at the download link"
GRANTS_SESSION_KEY = "kestrel_transfer_link_grants"


class CannotSend(Exception):
    """The link cannot be sent now; the message says why."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _code_hash(link_id: int, code: str) -> str:
    return salted_hmac(
        "kestrel.transfer_pages.link_code", f"{link_id}:{code}", algorithm="sha256"
    ).hexdigest()


def _sent_export(transfer: Transfer) -> ExportRequest:
    export = transfer.export
    if export is None or export.state != ExportState.DONE or not export.stored_name:
        raise CannotSend(
            "The file is not ready to send: prepare it first (the PDF of the whole file)."
        )
    return export


def check_can_send_link(transfer: Transfer) -> None:
    """Raises (transfers.NotLeft, NotOpen, or CannotSend) unless a link may be sent now: the file
    is due and prepared, or it went by link and no link of it is open."""
    if transfer.state == State.SENT and transfer.route == Route.LINK:
        if not transfers.has_left(Student.objects.get(pk=transfer.student_id)):
            raise transfers.NotLeft(transfer.student)
    else:
        transfers.check_can_send(transfer)
    _sent_export(transfer)


def live_link(transfer: Transfer) -> TransferLink | None:
    now = timezone.now()
    return (
        TransferLink.objects.filter(
            transfer=transfer, withdrawn_at__isnull=True, locked_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at", "-id")
        .first()
    )


def send_link(
    *, transfer: Transfer, actor, email: str, name: str = "", request=None
) -> TransferLink:
    """Makes a link to the transfer's prepared file for `email`, valid for VALID_FOR, and has it
    emailed; the transfer is recorded as sent (by link) the first time. A link still open for
    the transfer is withdrawn: one link at a time. Refused before the child has left."""
    from kestrel.transfer_pages.link_emails import send_link_email

    with transaction.atomic():
        transfer = (
            Transfer.objects.select_for_update(of=("self",))
            .select_related("export", "student")
            .get(pk=transfer.pk)
        )
        check_can_send_link(transfer)
        export = _sent_export(transfer)
        previous = live_link(transfer)
        if previous is not None:
            withdraw(link=previous, actor=actor, request=request)
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        link = TransferLink.objects.create(
            school=transfer.school,
            transfer=transfer,
            export=export,
            email=email,
            recipient_name=name,
            token_hash=token_hash(token),
            token_sealed=encrypt(token.encode()),
            created_at=now,
            created_by=actor,
            expires_at=now + VALID_FOR,
        )
        ExportRequest.objects.filter(pk=export.pk).update(kept_until=link.expires_at)
        first = transfer.state == State.DUE
        if first:
            transfers.record_sent(
                transfer=transfer,
                actor=actor,
                route=Route.LINK,
                how=f"to {email}"[:200],
                export=export,
                package_sha256=export.sha256,
                request=request,
            )
        record(
            action="transfer.link_sent",
            actor=actor,
            request=request,
            obj=link,
            student=transfer.student,
            detail={
                "transfer": transfer.pk,
                "email": email,
                "expires_at": link.expires_at.isoformat(),
                "first": first,
            },
        )
        enqueue_with_transaction(send_link_email, link.pk)
    return link


def withdraw(*, link: TransferLink, actor, request=None) -> TransferLink:
    """The sender withdraws the link: it opens no more, and its file is kept no longer for it."""
    with transaction.atomic():
        now = timezone.now()
        changed = TransferLink.objects.filter(pk=link.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_by=actor
        )
        if not changed:
            return link
        link.withdrawn_at, link.withdrawn_by = now, actor
        # Its file now goes with the exports' own rule (KEPT_FOR after it was made).
        ExportRequest.objects.filter(pk=link.export_id).update(kept_until=None)
        record(
            action="transfer.link_withdrawn",
            actor=actor,
            request=request,
            obj=link,
            student=link.transfer.student,
            detail={"transfer": link.transfer_id},
        )
    return link


def find_link(token: str) -> TransferLink | None:
    """The link the token opens, whatever its state (read across schools: the person following
    it has no school here). The caller enters the link's school's scope."""
    with scopes_disabled():
        return (
            TransferLink.objects.select_related(
                "school", "transfer", "transfer__student", "export", "created_by"
            )
            .filter(token_hash=token_hash(token))
            .first()
        )


def record_refused(*, link: TransferLink | None, reason: str, request) -> None:
    """A link that does not open (unknown, withdrawn, locked, expired): recorded."""
    record(
        action="transfer.link_refused",
        request=request,
        obj=link,
        student=link.transfer.student if link else None,
        detail={"reason": reason},
    )


def record_opened(*, link: TransferLink, request) -> None:
    now = timezone.now()
    TransferLink.objects.filter(pk=link.pk).update(opened_count=F("opened_count") + 1)
    TransferLink.objects.filter(pk=link.pk, first_opened_at__isnull=True).update(
        first_opened_at=now
    )
    record(
        action="transfer.link_opened",
        request=request,
        obj=link,
        student=link.transfer.student,
        detail={"transfer": link.transfer_id},
    )


def codes_left_this_hour(link: TransferLink) -> int:
    since = timezone.now() - datetime.timedelta(hours=1)
    return max(0, CODES_PER_HOUR - link.codes.filter(created_at__gt=since).count())


def send_code(*, link: TransferLink, request) -> LinkCode | None:
    """Makes a one-time code for the link and has it emailed to the link's address (in an email
    of its own); earlier codes stop working. None when CODES_PER_HOUR were sent in the last
    hour."""
    from kestrel.transfer_pages.link_emails import send_code_email

    with transaction.atomic():
        TransferLink.objects.select_for_update().filter(pk=link.pk).first()
        if not codes_left_this_hour(link):
            record(
                action="transfer.link_code_limited",
                request=request,
                obj=link,
                student=link.transfer.student,
                detail={"per_hour": CODES_PER_HOUR},
            )
            return None
        now = timezone.now()
        link.codes.filter(used_at__isnull=True, replaced_at__isnull=True).update(replaced_at=now)
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        made = LinkCode.objects.create(
            link=link,
            code_hash="",
            code_sealed=encrypt(code.encode()),
            created_at=now,
            expires_at=now + CODE_VALID_FOR,
        )
        made.code_hash = _code_hash(link.pk, code)
        made.save(update_fields=["code_hash"])
        TransferLink.objects.filter(pk=link.pk).update(codes_sent=F("codes_sent") + 1)
        record(
            action="transfer.link_code_sent",
            request=request,
            obj=link,
            student=link.transfer.student,
            detail={"transfer": link.transfer_id},
        )
        enqueue_with_transaction(send_code_email, made.pk)
    return made


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    reason: str = ""  # "wrong", "used", "replaced", "expired"; "locked" when this one locked it
    wrong_left: int = 0
    grant_secret: str = ""


def check_code(*, link: TransferLink, code: str, request) -> CodeCheck:
    """Checks a code typed at the link. Right: it is used up and a grant made (its secret for the
    session). A code of this link that is used, replaced or expired is refused with why; a code
    that is none of the link's counts as wrong, and WRONG_CODES_LOCK wrong codes lock the link
    (its sender is emailed)."""
    from kestrel.transfer_pages.link_emails import send_locked_email

    now = timezone.now()
    typed = _code_hash(link.pk, code)
    student = link.transfer.student
    with transaction.atomic():
        link = TransferLink.objects.select_for_update().get(pk=link.pk)
        matched = next(
            (made for made in link.codes.all() if constant_time_compare(made.code_hash, typed)),
            None,
        )
        if matched is not None:
            if matched.used_at is not None:
                reason = "used"
            elif matched.replaced_at is not None:
                reason = "replaced"
            elif matched.expires_at <= now:
                reason = "expired"
            elif not LinkCode.objects.filter(pk=matched.pk, used_at__isnull=True).update(
                used_at=now
            ):
                reason = "used"  # used a moment ago, by another request
            else:
                secret = secrets.token_urlsafe(32)
                LinkGrant.objects.create(
                    link=link,
                    secret_hash=token_hash(secret),
                    created_at=now,
                    expires_at=now + GRANT_FOR,
                    name=link.recipient_name,
                )
                record(
                    action="transfer.link_code_right",
                    request=request,
                    obj=link,
                    student=student,
                    detail={"transfer": link.transfer_id},
                )
                return CodeCheck(ok=True, grant_secret=secret)
            record(
                action="transfer.link_code_refused",
                request=request,
                obj=link,
                student=student,
                detail={"reason": reason},
            )
            return CodeCheck(ok=False, reason=reason)
        link.wrong_codes += 1
        locked = link.wrong_codes >= WRONG_CODES_LOCK and link.locked_at is None
        if locked:
            link.locked_at = now
        link.save(update_fields=["wrong_codes", "locked_at"])
        record(
            action="transfer.link_code_wrong",
            request=request,
            obj=link,
            student=student,
            detail={"wrong_codes": link.wrong_codes},
        )
        if locked:
            record(
                action="transfer.link_locked",
                request=request,
                obj=link,
                student=student,
                detail={"wrong_codes": link.wrong_codes},
            )
            enqueue_with_transaction(send_locked_email, link.pk)
            return CodeCheck(ok=False, reason="locked")
    return CodeCheck(ok=False, reason="wrong", wrong_left=WRONG_CODES_LOCK - link.wrong_codes)


def remember_grant(request, link: TransferLink, secret: str) -> None:
    grants = dict(request.session.get(GRANTS_SESSION_KEY, {}))
    grants[str(link.pk)] = secret
    request.session[GRANTS_SESSION_KEY] = grants


def grant_for(request, link: TransferLink) -> LinkGrant | None:
    """The grant this browser's session holds for the link, while it lasts."""
    secret = request.session.get(GRANTS_SESSION_KEY, {}).get(str(link.pk))
    if not secret:
        return None
    return LinkGrant.objects.filter(
        link=link, secret_hash=token_hash(secret), expires_at__gt=timezone.now()
    ).first()


def name_recipient(
    *, grant: LinkGrant, name: str, role: str, school_name: str, request
) -> LinkGrant:
    """The person who gave the code says who they are (recorded with each download)."""
    grant.name, grant.role, grant.school_name = name, role, school_name
    grant.named_at = timezone.now()
    grant.save(update_fields=["name", "role", "school_name", "named_at"])
    record(
        action="transfer.link_named",
        request=request,
        obj=grant.link,
        student=grant.link.transfer.student,
        detail={"name": name, "role": role, "school": school_name},
    )
    return grant


def _who(grant: LinkGrant) -> dict:
    return {"name": grant.name, "role": grant.role, "school": grant.school_name}


def record_file_viewed(*, grant: LinkGrant, request) -> None:
    record(
        action="transfer.link_file_viewed",
        request=request,
        obj=grant.link,
        student=grant.link.transfer.student,
        detail=_who(grant),
    )


def record_download(*, grant: LinkGrant, what: str, request) -> LinkDownload:
    """One download of the PDF or the ZIP, with the name the person gave (never its content)."""
    link = grant.link
    export = link.export
    with transaction.atomic():
        made = LinkDownload.objects.create(
            link=link,
            grant=grant,
            what=what,
            name=grant.name,
            role=grant.role,
            school_name=grant.school_name,
        )
        record(
            action="transfer.link_downloaded",
            request=request,
            obj=link,
            student=link.transfer.student,
            detail={
                **_who(grant),
                "what": what,
                "sha256": export.sha256 if what == Download.PDF else "",
                "files": export.files_count if what == Download.FILES else 0,
            },
        )
    return made


def has_downloaded_file(link: TransferLink) -> bool:
    return link.downloads.filter(what=Download.PDF).exists()


def confirm_receipt(*, grant: LinkGrant, request) -> Transfer:
    """The named person confirms that they, the receiving DSL, have received the file: the
    transfer's receipt is recorded with their name and the time. The link (and its file) lasts
    KEPT_AFTER_RECEIPT more, then goes."""
    link = grant.link
    now = timezone.now()
    role = ", ".join(part for part in (grant.role, grant.school_name) if part)[:200]
    with transaction.atomic():
        transfer = transfers.record_receipt(
            transfer=link.transfer,
            name=grant.name,
            role=role,
            how=HOW_CONFIRMED,
            at=now,
            request=request,
        )
        until = min(link.expires_at, now + KEPT_AFTER_RECEIPT)
        TransferLink.objects.filter(pk=link.pk, confirmed_at__isnull=True).update(
            confirmed_at=now,
            confirmed_name=grant.name,
            confirmed_role=grant.role,
            confirmed_school=grant.school_name,
            expires_at=until,
        )
        ExportRequest.objects.filter(pk=link.export_id).update(kept_until=until)
    return transfer
