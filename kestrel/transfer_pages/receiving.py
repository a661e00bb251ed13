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
import json
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from kestrel.access.policies import Viewer, check
from kestrel.accounts.models import User
from kestrel.accounts.selectors import key_holder_emails
from kestrel.audit.services import record
from kestrel.casefile.models import CaseEvent
from kestrel.exports.storage import delete_all, pieces, store
from kestrel.mail import header_safe
from kestrel.schools.models import AccessLevel
from kestrel.schools.scope import in_school_of, scope
from kestrel.students.models import Student
from kestrel.tasks import enqueue_with_transaction
from kestrel.templatetags.kestrel import when
from kestrel.transfer_pages.delivery import send_receipt
from kestrel.transfers.models import Received, ReceivedState

NOON = datetime.time(12)
# records.json is read into memory: more than this is not a package this Kestrel made.
MOST_RECORDS_BYTES = 64 * 1024 * 1024


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


def child_name(child: dict) -> str:
    """The child's legal name as the package gives it, and the name they are known by when it
    differs: "Hannah Fenton (known as Annie Fenton)"."""
    legal = [str(child.get(part) or "").strip() for part in ("legal_first_name", "legal_last_name")]
    known = [
        str(child.get(f"preferred_{part}") or "").strip() or legal[index]
        for index, part in enumerate(("first_name", "last_name"))
    ]
    name = " ".join(part for part in legal if part)
    if known != legal:
        name += f" (known as {' '.join(part for part in known if part)})"
    return name


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
        received = Received(
            school_id=school.pk,
            schema_version=int(data.get("version") or 1),
            from_school_name=_text(sender.get("name"), 200) or "Another school",
            from_school_urn=_text(sender.get("urn"), 8),
            from_address=from_address,
            from_transfer=reference,
            sent_by_name=_text((sent.get("sent_by") or {}).get("name"), 200),
            sent_at=_moment(sent.get("sent_at")),
            child_name=_text(child_name(child), 200),
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
        recipients = key_holder_emails(received.school_id)
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


# Reading a received package ----------------------------------------------------------------


@contextmanager
def opened_package(received: Received) -> Iterator[zipfile.ZipFile]:
    """The received package, decrypted into a temporary file (never kept in the clear)."""
    if not received.stored_name:
        raise FileNotFoundError("This file's package is not stored.")
    with tempfile.TemporaryFile(prefix="kestrel-received-") as clear:
        for piece in pieces(received.stored_name):
            clear.write(piece)
        clear.seek(0)
        with zipfile.ZipFile(clear) as package:
            yield package


def _records_json(package: zipfile.ZipFile) -> dict:
    info = package.getinfo("records.json")
    if info.file_size > MOST_RECORDS_BYTES:
        raise ValueError("records.json is too large.")
    return json.loads(package.read(info))


def package_data(received: Received) -> dict:
    """The package's records.json (checked when it arrived)."""
    with opened_package(received) as package:
        return _records_json(package)


@dataclass(frozen=True)
class PackageFile:
    """A file of the package a key holder may download: the PDF (number 0) or an attached file."""

    number: int
    name: str
    path: str
    size: int
    sha256: str
    record: str


def package_files(data: dict) -> list[PackageFile]:
    """The whole-file PDF, then each attached file the package lists, numbered for downloads."""
    out = [PackageFile(0, "file.pdf", "file.pdf", 0, "", "")]
    for number, item in enumerate(data.get("files") or [], start=1):
        if not isinstance(item, dict) or not item.get("path"):
            continue
        out.append(
            PackageFile(
                number=number,
                name=_text(item.get("name"), 200) or f"file-{number}",
                path=str(item["path"]),
                size=int(item.get("size") or 0),
                sha256=_text(item.get("sha256"), 64),
                record=_text(item.get("record"), 64),
            )
        )
    return out


def file_pieces(received: Received, path: str) -> Iterator[bytes]:
    """One member of the package, decrypted, a piece at a time (a generator: the package is
    decrypted when the download starts and its temporary copy is gone when it ends)."""
    with opened_package(received) as package:
        if path not in package.namelist():
            return
        with package.open(path) as member:
            yield from iter(lambda: member.read(1024 * 1024), b"")


def package_contents(received: Received) -> tuple[dict, set[str]]:
    """The package's records.json and the names of the files it holds, decrypted once."""
    with opened_package(received) as package:
        return _records_json(package), set(package.namelist())


# What a key holder sees and does ------------------------------------------------------------


def received_files(school_id: int) -> dict[str, list[Received]]:
    """The school's received files for the list: to act on (held or waiting), accepted and to
    review, and the rest (reviewed or refused), newest first."""
    rows = list(
        Received.objects.filter(school_id=school_id).select_related(
            "student", "accepted_by", "reviewed_by"
        )
    )
    groups: dict[str, list[Received]] = {"to_act": [], "to_review": [], "history": []}
    for row in rows:
        if row.state in (ReceivedState.HELD, ReceivedState.WAITING):
            groups["to_act"].append(row)
        elif row.state == ReceivedState.ACCEPTED and row.reviewed_at is None:
            groups["to_review"].append(row)
        else:
            groups["history"].append(row)
    return groups


@dataclass(frozen=True)
class Candidate:
    student: Student
    reasons: tuple[str, ...]


def candidates(received: Received, limit: int = 20) -> list[Candidate]:
    """Students a held file may be about, to help the key holder choose (they decide): those
    with any of the package's UPNs, then those with the child's date of birth."""
    by_upn = students_by_upn(received.school_id, package_upns(received))
    found: dict[int, Candidate] = {}
    upns = set(package_upns(received))
    for student in by_upn:
        reasons = []
        if student.upn.upper() == received.child_upn:
            reasons.append("UPN matches")
        elif student.upn.upper() in upns:
            reasons.append("UPN matches a former UPN in the file")
        if set(upns_of(student.former_upns)) & upns:
            reasons.append("A former UPN matches")
        found[student.pk] = Candidate(student, tuple(reasons))
    if received.child_date_of_birth:
        same_day = Student.objects.filter(
            school_id=received.school_id, date_of_birth=received.child_date_of_birth
        ).exclude(pk__in=list(found))
        for student in same_day.order_by("-on_roll", "legal_last_name", "pk")[:limit]:
            found[student.pk] = Candidate(student, ("Same date of birth",))
    return list(found.values())[:limit]


def _checked(actor, request, received: Received, student: Student | None) -> None:
    """Refuses an actor who may not keep this child's file at the received file's school."""
    viewer = Viewer.acting(actor, request)
    if actor.school_id != received.school_id or not actor.is_key_holder:
        raise PermissionDenied("Only the school's key holders act on a received file.")
    if student is not None:
        if student.school_id != received.school_id:
            raise ValidationError({"student": "Choose a student of this school."})
        check(viewer, "student", "case_file", student)


def _locked(received: Received) -> Received:
    return (
        Received.objects.select_for_update(of=("self",))
        .select_related("student")
        .get(pk=received.pk)
    )


def match(*, actor, received: Received, student: Student, request=None) -> Received:
    """A key holder matches a held (or wrongly matched) file to a student; it then waits to be
    accepted."""
    _checked(actor, request, received, student)
    with transaction.atomic():
        received = _locked(received)
        if received.state not in (ReceivedState.HELD, ReceivedState.WAITING):
            raise ValidationError("This file has been accepted or refused already.")
        by_upn = student.pk in {
            found.pk for found in students_by_upn(received.school_id, package_upns(received))
        }
        received.student = student
        received.state = ReceivedState.WAITING
        received.save(update_fields=["student", "state"])
        record(
            action="transfer.file_matched",
            actor=actor,
            request=request,
            obj=received,
            student=student,
            detail={"by_upn": by_upn},
        )
    return received


def most_restrictive_rank(school_id: int) -> int:
    """The school's highest access level: received records are seen by the DSL team only."""
    top = AccessLevel.objects.filter(school_id=school_id, is_active=True).aggregate(Max("rank"))
    return top["rank__max"] or 0


def _on(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, NOON, timezone.get_current_timezone())


def _author(value) -> tuple[str, str]:
    if isinstance(value, dict):
        return _text(value.get("name"), 200) or "Not recorded", _text(value.get("role"), 120)
    return _text(value, 200) or "Not recorded", ""


def _lines(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)


def incident_text(item: dict, files: list[PackageFile]) -> tuple[str, str]:
    """A received incident as one chronology entry: its summary (the categories) and its detail
    (date and time, the account as first written with each correction beside it, the child's
    words, who was present, the body map's markers, the actions with their authors and dates,
    and its attached files)."""
    categories = [str(name) for name in item.get("categories") or [] if name]
    summary = "Incident: " + (", ".join(categories) if categories else "no category recorded")
    occurred = _moment(item.get("occurred_at"))
    parts = []
    if occurred is not None:
        parts.append(f"Date/time: {when(occurred)}")
    linked = _text(item.get("linked_from"), 200)
    if linked:
        parts.append(f"Linked entry: recorded about {linked}; this child is linked to it.")
        if item.get("note"):
            parts.append("Note for this child's file:\n" + str(item["note"]))
    corrections = [fix for fix in item.get("corrections") or [] if isinstance(fix, dict)]
    if item.get("text"):
        heading = "As first recorded:\n" if corrections else ""
        parts.append(heading + str(item["text"]))
    for fix in corrections:
        fixed_at = _moment(fix.get("at"))
        line = f"Correction by {_text(fix.get('author'), 200) or 'Not recorded'}"
        if fixed_at is not None:
            line += f", {when(fixed_at)}"
        if fix.get("reason"):
            line += f". Reason: {fix['reason']}"
        moved = _moment(fix.get("occurred_at"))
        if moved is not None:
            line += f"\nDate/time corrected to {when(moved)}"
        if fix.get("text"):
            line += "\n" + str(fix["text"])
        parts.append(line)
    if item.get("child_words"):
        parts.append("The child's own words:\n" + str(item["child_words"]))
    if item.get("present"):
        parts.append("Who else was present:\n" + str(item["present"]))
    markers = [marker for marker in item.get("markers") or [] if isinstance(marker, dict)]
    if markers:
        listed = [
            f"{marker.get('number', '')}. {str(marker.get('view') or '').capitalize()}"
            + (f": {marker['note']}" if marker.get("note") else "")
            for marker in markers
        ]
        parts.append("Body map markers (drawn in the file's PDF):\n" + "\n".join(listed))
    for action in item.get("actions") or []:
        if not isinstance(action, dict):
            continue
        at = _moment(action.get("occurred_at"))
        line = f"Action by {_text(action.get('author'), 200) or 'Not recorded'}"
        if at is not None:
            line += f", {when(at)}"
        recorded_at = _moment(action.get("recorded_at"))
        if recorded_at is not None and recorded_at != at:
            line += f" (recorded {when(recorded_at)})"
        line += ":\n" + str(action.get("text") or "")
        if action.get("child_words"):
            line += "\nThe child's own words: " + str(action["child_words"])
        agencies = [str(name) for name in action.get("agencies") or [] if name]
        if agencies:
            line += "\nAgencies: " + ", ".join(agencies)
        parts.append(line)
    attached = [found.name for found in files if found.record and found.record == item.get("id")]
    if attached:
        parts.append("Attached files (with the file received): " + ", ".join(attached))
    return summary[:300], _lines(*parts)


def _event_for(item: dict, *, files, received, actor, rank, source) -> CaseEvent:
    name, role = _author(item.get("author"))
    recorded_at = _moment(item.get("recorded_at")) or received.received_at
    if item.get("kind") == "incident":
        at = _moment(item.get("occurred_at")) or recorded_at
        on = _on(at)
        summary, detail = incident_text(item, files)
        kind = "received_incident"
    else:
        on = _date(item.get("happened_on"))
        at = _moment(item.get("happened_at"))
        if on is None:
            on = _on(at or recorded_at)
        at = at or _noon(on)
        summary = _text(item.get("summary"), 300) or "Case file entry"
        detail = str(item.get("detail") or "")
        kind = "received_event"
    return CaseEvent(
        school_id=received.school_id,
        student=received.student,
        author=actor,
        author_name=name,
        author_role=role,
        recorded_at=recorded_at,
        required_rank=rank,
        kind=kind,
        happened_on=on,
        happened_at=at,
        summary=summary,
        detail=detail,
        record_type="received",
        record_id=received.pk,
        source_school=source,
    )


def _line(received, *, actor, rank, kind, summary, detail, now) -> CaseEvent:
    """This school's own line on the chronology about the file (received, reviewed)."""
    return CaseEvent(
        school_id=received.school_id,
        student=received.student,
        author=actor,
        author_name=actor.full_name,
        author_role=actor.job_title,
        recorded_at=now,
        required_rank=rank,
        kind=kind,
        happened_on=_on(now),
        happened_at=now,
        summary=summary[:300],
        detail=detail,
        record_type="received",
        record_id=received.pk,
    )


def accept(*, actor, received: Received, also_alert=(), request=None) -> Received:
    """A key holder accepts a matched file: its records join the child's chronology, read-only,
    labelled with the school they came from and their original authors and dates; the receipt
    goes back to the sending school; the colleagues chosen (the SENCO, say) are asked to see the
    DSL about it."""
    _checked(actor, request, received, received.student)
    data = package_data(received)
    files = package_files(data)
    alerted = [user for user in also_alert if user.school_id == received.school_id]
    with transaction.atomic():
        received = _locked(received)
        if received.state != ReceivedState.WAITING or received.student is None:
            raise ValidationError("Only a file matched to a student and waiting can be accepted.")
        now = timezone.now()
        rank = most_restrictive_rank(received.school_id)
        source = received.from_school_name
        items = [item for item in data.get("records") or [] if isinstance(item, dict)]
        events = [
            _event_for(item, files=files, received=received, actor=actor, rank=rank, source=source)
            for item in items
        ]
        sent = f" by {received.sent_by_name}" if received.sent_by_name else ""
        if received.sent_at:
            sent += f" on {timezone.localtime(received.sent_at):%-d %B %Y}"
        events.append(
            _line(
                received,
                actor=actor,
                rank=rank,
                kind="file_received",
                summary=f"Child protection file received from {source}",
                detail=f"Sent{sent}. Accepted by {actor.full_name}: {len(events)} "
                f"record{'s' if len(events) != 1 else ''} from {source} added to the "
                "chronology, labelled with the school they came from.",
                now=now,
            )
        )
        CaseEvent.objects.bulk_create(events)
        received.state = ReceivedState.ACCEPTED
        received.accepted_at = now
        received.accepted_by = actor
        received.save(update_fields=["state", "accepted_at", "accepted_by"])
        record(
            action="transfer.file_accepted",
            actor=actor,
            request=request,
            obj=received,
            student=received.student,
            detail={"records": len(items), "alerted": [user.pk for user in alerted]},
        )
        if alerted:
            enqueue_with_transaction(
                send_review_request_email, received.pk, actor.pk, [user.pk for user in alerted]
            )
        # KCSIE: receipt is confirmed by the receiving DSL; sent with this transaction.
        send_receipt(received)
    return received


def refuse(*, actor, received: Received, reason: str, request=None) -> Received:
    """A key holder refuses a file that is not for this school (not our pupil): nothing joins
    any chronology, and the sending school is told why."""
    _checked(actor, request, received, None)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why you are refusing this file."})
    with transaction.atomic():
        received = _locked(received)
        if received.state not in (ReceivedState.HELD, ReceivedState.WAITING):
            raise ValidationError("This file has been accepted or refused already.")
        received.state = ReceivedState.REFUSED
        received.refused_reason = reason[:300]
        received.refused_at = timezone.now()
        received.refused_by = actor
        received.save(update_fields=["state", "refused_reason", "refused_at", "refused_by"])
        record(
            action="transfer.file_refused", actor=actor, request=request, obj=received, detail={}
        )
        # The sending school is told, signed, as a receipt is (with this transaction).
        send_receipt(received)
    return received


def review(*, actor, received: Received, note: str, request=None) -> Received:
    """Records the review of an accepted file: what was found and what was done. It is on the
    child's chronology too."""
    _checked(actor, request, received, received.student)
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Write what you found and what you did."})
    with transaction.atomic():
        received = _locked(received)
        if received.state != ReceivedState.ACCEPTED:
            raise ValidationError("Accept the file before recording its review.")
        if received.reviewed_at is not None:
            raise ValidationError("This file's review has been recorded already.")
        now = timezone.now()
        received.reviewed_at = now
        received.reviewed_by = actor
        received.review_note = note
        received.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        _line(
            received,
            actor=actor,
            rank=most_restrictive_rank(received.school_id),
            kind="file_reviewed",
            summary=f"File from {received.from_school_name} reviewed",
            detail=note,
            now=now,
        ).save()
        record(
            action="transfer.file_reviewed",
            actor=actor,
            request=request,
            obj=received,
            student=received.student,
            detail={},
        )
    return received


@task
def send_review_request_email(received_id: int, sender_id: int, user_ids: list[int]) -> None:
    """Asks the colleagues a key holder chose (the SENCO, say) to see the DSL about a child's
    file that has arrived. No child is named: the DSL tells them who."""
    with in_school_of(Received, received_id):
        received = Received.objects.select_related("school").filter(pk=received_id).first()
        if received is None:
            return
        sender = User.objects.filter(pk=sender_id).first()
        for user in User.objects.filter(
            pk__in=user_ids, school_id=received.school_id, is_active=True
        ):
            send_mail(
                subject="Please see the DSL about a child protection file received",
                message=render_to_string(
                    "transfer_pages/received_review_email.txt",
                    {"received": received, "user": user, "sender": sender},
                ),
                from_email=None,
                recipient_list=[user.email],
            )
