"""A child's file arriving from another school on Kestrel (issue 22, item 5: transfer in).

The inbox (kestrel.transfer_pages.kestrel_route) checks the package's signature, decrypts it and
checks its records.json, then calls `receive` here: the package is kept encrypted at rest, matched
to a student by UPN or a former UPN (never by name alone) and the DSL team is told. A key holder
then matches a held file by hand, accepts it (its records join the child's chronology read-only,
labelled with the school they came from; the receipt goes back to the sender) or refuses it, and
records the review of what the file holds.

Audit events say what happened to which received file, never the child's name or a record's text.
"""

import datetime
from typing import BinaryIO

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from kestrel.accounts.models import User
from kestrel.audit.services import record
from kestrel.exports.storage import store
from kestrel.mail import header_safe
from kestrel.schools.scope import in_school_of, scope
from kestrel.students.models import Student
from kestrel.tasks import enqueue_with_transaction
from kestrel.transfers.models import Received, ReceivedState


def _text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _date(value) -> datetime.date | None:
    try:
        return parse_date(str(value)) if value else None
    except ValueError:
        return None


def _moment(value) -> datetime.datetime | None:
    try:
        moment = parse_datetime(str(value)) if value else None
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment


def upns_of(text_or_list) -> list[str]:
    """UPNs written as a list or as text separated by spaces or commas, upper case, no blanks."""
    if isinstance(text_or_list, str):
        items = text_or_list.replace(",", " ").split()
    else:
        items = [str(item) for item in (text_or_list or [])]
    out: list[str] = []
    for item in items:
        upn = item.strip().upper()
        if upn and upn not in out:
            out.append(upn)
    return out


def package_upns(received: Received) -> list[str]:
    """Every UPN the package gives the child: their UPN, then their former ones."""
    return upns_of([received.child_upn, *upns_of(received.child_former_upns)])


def students_by_upn(school_id: int, upns: list[str]) -> list[Student]:
    """The school's students whose UPN or any former UPN is one of `upns` (never by name)."""
    wanted = set(upns)
    if not wanted:
        return []
    from django.db.models import Q

    query = Q(upn__in=wanted)
    for upn in wanted:
        query |= Q(former_upns__icontains=upn)
    found = Student.objects.filter(query, school_id=school_id).order_by("pk")
    # `icontains` finds candidates; a match is a whole UPN, on either side.
    return [
        student
        for student in found
        if {student.upn.strip().upper(), *upns_of(student.former_upns)} & wanted
    ]


def receive(*, school, data: dict, package: BinaryIO, sha256: str) -> Received:
    """Keeps a checked, decrypted package (`data` its records.json, already checked against
    kestrel.transfers.schema) sent to `school`: matched by UPN or former UPN when exactly one
    student has it (waiting to be accepted), otherwise held for a key holder. A second delivery
    of the same transfer returns the file received the first time. The school's key holders are
    emailed (no child named)."""
    sender = data.get("from_school") or {}
    sent = data.get("transfer") or {}
    child = data.get("child") or {}
    from_address = _text(sender.get("address"), 200)
    reference = _text(sent.get("reference"), 64)
    with scope(school=school.pk):
        existing = Received.objects.filter(
            school_id=school.pk, from_address=from_address, from_transfer=reference
        ).first()
        if existing is not None:
            return existing
        names = [child.get("preferred_first_name") or child.get("legal_first_name")]
        names.append(child.get("preferred_last_name") or child.get("legal_last_name"))
        received = Received(
            school_id=school.pk,
            schema_version=int(data.get("version") or 1),
            from_school_name=_text(sender.get("name"), 200) or "Another school",
            from_school_urn=_text(sender.get("urn"), 8),
            from_address=from_address,
            from_transfer=reference,
            sent_by_name=_text((sent.get("sent_by") or {}).get("name"), 200),
            sent_at=_moment(sent.get("sent_at")),
            child_name=_text(" ".join(str(name) for name in names if name), 200),
            child_date_of_birth=_date(child.get("date_of_birth")),
            child_upn=_text(child.get("upn"), 13).upper(),
            child_former_upns=_text(" ".join(upns_of(child.get("former_upns"))), 200),
            sha256=_text(sha256, 64),
            records=len(data.get("records") or []),
        )
        matches = students_by_upn(school.pk, package_upns(received))
        if len(matches) == 1:
            received.student = matches[0]
            received.state = ReceivedState.WAITING
        else:
            received.state = ReceivedState.HELD
        stored = store(package, suffix=".zip")
        received.stored_name = stored.name
        try:
            with transaction.atomic():
                received.save()
                record(
                    action="transfer.file_received",
                    school=school,
                    obj=received,
                    student=received.student,
                    detail={
                        "state": received.state,
                        "records": received.records,
                        "from_school_urn": received.from_school_urn,
                        "candidates": len(matches),
                    },
                )
                enqueue_with_transaction(send_received_email, received.pk)
        except IntegrityError:
            # Delivered twice at once: the other delivery's file stands.
            from kestrel.exports.storage import delete_all

            delete_all([stored.name])
            return Received.objects.get(
                school_id=school.pk, from_address=from_address, from_transfer=reference
            )
    return received


@task
def send_received_email(received_id: int) -> None:
    """Tells the school's key holders a child's file has arrived and is waiting for them. The
    email names no child: it links to the received file, which opens only with a key."""
    with in_school_of(Received, received_id):
        received = Received.objects.select_related("school").filter(pk=received_id).first()
        if received is None:
            return
        recipients = list(
            User.objects.filter(
                school_id=received.school_id, is_active=True, is_key_holder=True
            ).values_list("email", flat=True)
        )
        if not recipients:
            return
        context = {
            "received": received,
            "school": received.school,
            "link": settings.SITE_URL + reverse("transfer_pages:received", args=[received.pk]),
        }
        send_mail(
            subject="A child protection file has arrived from "
            f"{header_safe(received.from_school_name)}",
            message=render_to_string("transfer_pages/received_email.txt", context),
            from_email=None,
            recipient_list=recipients,
        )
