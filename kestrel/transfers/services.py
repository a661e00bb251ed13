"""A leaver's transfer: started when the child is marked as left, sent, confirmed, chased.

Every change is recorded in the audit trail (never the child's name or any record text). The
routes themselves (the package to a school on Kestrel, the download link, the paper copy) live in
kestrel.transfer_pages; they call `record_sent` and `record_receipt` here.
"""

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from kestrel.audit.services import record
from kestrel.casefile.models import CaseEvent
from kestrel.school_calendar.days import calendar_for
from kestrel.schools.scope import scopes_disabled
from kestrel.students.models import Student
from kestrel.tasks import enqueue_with_transaction
from kestrel.transfers.models import (
    NO_DESTINATION,
    OPEN_STATES,
    CopyPolicy,
    Destination,
    State,
    Transfer,
)

# KCSIE: within 5 school days of the child leaving (in year), or of the new term's start; the
# receipt chased when none has come 5 school days after sending.
DUE_SCHOOL_DAYS = 5
CHASE_SCHOOL_DAYS = 5


class NotLeft(Exception):
    """Sending a file before the child has left is refused. The message names no child: it is
    shown as it is, Hide Names or not."""

    def __init__(self, student=None):
        super().__init__(
            "The child has not left yet: a child protection file is sent only once the child "
            "has left. Mark them as left first (with the date they left)."
        )


class NotOpen(Exception):
    """The transfer was sent, confirmed, told or cancelled already."""


def has_file(student) -> bool:
    """Whether the child has a child protection file here to send: an incident about them, an
    incident they are linked to, or a case-file record."""
    from kestrel.incidents.models import Incident, LinkedStudent

    return (
        Incident.objects.filter(student=student).exists()
        or LinkedStudent.objects.filter(student=student).exists()
        or CaseEvent.objects.filter(student=student).exists()
    )


def has_left(student, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return not student.on_roll and student.left_on is not None and student.left_on <= today


def due_date(school, left_on: datetime.date) -> datetime.date:
    """5 school days after the day the child left: in the holidays, the 5th day of the new term."""
    return calendar_for(school).school_days_after(left_on, DUE_SCHOOL_DAYS)


def open_transfer(student) -> Transfer | None:
    return Transfer.objects.filter(student=student, state__in=OPEN_STATES).first()


def _state_for(destination: str) -> str:
    if destination == Destination.UNKNOWN:
        return State.NEEDS_DESTINATION
    if destination in NO_DESTINATION:
        return State.INFORM
    return State.DUE


def start(
    *,
    student,
    left_on: datetime.date,
    destination: str,
    details: dict | None = None,
    actor=None,
    how: str = "by_hand",
    request=None,
) -> Transfer:
    """Starts the child's transfer (or, with no destination, the task to tell the local
    authority), due 5 school days after `left_on`. A child with an open transfer keeps it, its
    destination updated."""
    details = details or {}
    existing = open_transfer(student)
    if existing is not None:
        return set_destination(
            transfer=existing,
            destination=destination,
            details=details,
            actor=actor,
            request=request,
        )
    transfer = Transfer.objects.create(
        school=student.school,
        student=student,
        state=_state_for(destination),
        left_on=left_on,
        destination=destination,
        due_on=due_date(student.school, left_on),
        started_by=actor,
        started_how=how,
        **_destination_fields(details),
    )
    record(
        action="transfer.started",
        actor=actor,
        request=request,
        obj=transfer,
        student=student,
        detail={
            "destination": destination,
            "due_on": transfer.due_on.isoformat(),
            "how": how,
            "to_kestrel": bool(transfer.destination_school_id or transfer.destination_address),
        },
    )
    return transfer


DESTINATION_FIELDS = (
    "destination_name",
    "destination_urn",
    "destination_email",
    "destination_school",
    "destination_address",
)


# Where the child has gone may be recorded or changed: before the file is sent, or once the
# receiving school has refused it.
CHANGEABLE_STATES = (State.NEEDS_DESTINATION, State.DUE, State.INFORM, State.REFUSED)


def _destination_fields(details: dict) -> dict:
    values = {name: details.get(name) or "" for name in DESTINATION_FIELDS}
    values["destination_school"] = details.get("destination_school") or None
    return values


def set_destination(
    *, transfer: Transfer, destination: str, details: dict, actor, request=None
) -> Transfer:
    """Records (or changes) where the child has gone, while the file is not yet sent, or once
    the school it was sent to refused it (it is then to be sent again: due)."""
    if transfer.state not in CHANGEABLE_STATES:
        raise NotOpen("This file has been sent already: its destination cannot change.")
    after_refusal = transfer.state == State.REFUSED
    before = transfer.destination
    transfer.destination = destination
    for name, value in _destination_fields(details).items():
        setattr(transfer, name, value)
    transfer.state = _state_for(destination)
    transfer.save()
    record(
        action="transfer.destination_set",
        actor=actor,
        request=request,
        obj=transfer,
        student=transfer.student,
        detail={"destination": [before, destination], "after_refusal": after_refusal},
    )
    return transfer


def mark_left(
    *,
    actor,
    student,
    left_on: datetime.date,
    destination: str,
    details: dict | None = None,
    request=None,
) -> Transfer | None:
    """Marks the child as left on `left_on` and, if they have a file here, starts its transfer.
    Returns the transfer (None when the child has no file to send)."""
    with transaction.atomic():
        Student.objects.filter(pk=student.pk).update(on_roll=False, left_on=left_on)
        student.on_roll, student.left_on = False, left_on
        record(
            action="student.marked_left",
            actor=actor,
            request=request,
            obj=student,
            student=student,
            detail={"left_on": left_on.isoformat(), "destination": destination},
        )
        if not has_file(student):
            return None
        return start(
            student=student,
            left_on=left_on,
            destination=destination,
            details=details,
            actor=actor,
            request=request,
        )


def check_can_send(transfer: Transfer, today: datetime.date | None = None) -> None:
    """Raises NotLeft before the child has left, NotOpen once sent (or not to a school)."""
    student = Student.objects.get(pk=transfer.student_id)
    if not has_left(student, today):
        raise NotLeft(student)
    if transfer.state != State.DUE:
        raise NotOpen("This file is not waiting to be sent.")


def copy_kept_until(school, transfer: Transfer) -> tuple[str, datetime.date | None]:
    """The school's policy for its own copy, and until when the chronology is kept under it."""
    policy = school.transfer_copy_policy
    if policy == CopyPolicy.KEEP_CHRONOLOGY:
        left = transfer.left_on
        try:
            until = left.replace(year=left.year + school.transfer_copy_years)
        except ValueError:  # 29 February
            until = left.replace(year=left.year + school.transfer_copy_years, day=28)
        return policy, until
    return policy, None


def record_sent(
    *,
    transfer: Transfer,
    actor,
    route: str,
    how: str = "",
    export=None,
    package_sha256: str = "",
    request=None,
) -> Transfer:
    """The file has gone, by `route`: receipt is chased 5 school days from today. Refused before
    the child has left."""
    check_can_send(transfer)
    now = timezone.now()
    school = transfer.school
    policy, until = copy_kept_until(school, transfer)
    transfer.state = State.SENT
    transfer.route = route
    transfer.sent_at = now
    transfer.sent_by = actor
    transfer.sent_by_name = actor.full_name
    transfer.sent_how = how
    transfer.export = export
    transfer.package_sha256 = package_sha256
    transfer.chase_on = calendar_for(school).school_days_after(
        timezone.localdate(now), CHASE_SCHOOL_DAYS
    )
    transfer.copy_policy = policy
    transfer.copy_kept_until = until
    transfer.save()
    record(
        action="transfer.sent",
        actor=actor,
        request=request,
        obj=transfer,
        student=transfer.student,
        detail={
            "route": route,
            "how": how,
            "sha256": package_sha256,
            "chase_on": transfer.chase_on.isoformat(),
            "copy_policy": policy,
        },
    )
    return transfer


def record_receipt(
    *,
    transfer: Transfer,
    name: str,
    role: str = "",
    how: str,
    at: datetime.datetime | None = None,
    recorded_by=None,
    request=None,
) -> Transfer:
    """The receiving DSL has confirmed receipt: `name` and `role` are theirs, `how` says how
    (accepted on Kestrel, confirmed at the download link, signed slip recorded). Confirming twice
    changes nothing."""
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.state == State.RECEIVED:
            return transfer
        if transfer.state != State.SENT:
            raise NotOpen("This file has not been sent: there is no receipt to record.")
        transfer.state = State.RECEIVED
        transfer.acknowledged_at = at or timezone.now()
        transfer.acknowledged_by_name = name
        transfer.acknowledged_by_role = role
        transfer.acknowledged_how = how
        transfer.recorded_by = recorded_by
        transfer.save()
        record(
            action="transfer.received",
            actor=recorded_by,
            request=request,
            obj=transfer,
            school=transfer.school,
            student=transfer.student,
            detail={
                "how": how,
                "acknowledged_at": transfer.acknowledged_at.isoformat(),
                "acknowledger": name,
            },
        )
        from kestrel.transfers.tasks import send_receipt_email

        enqueue_with_transaction(send_receipt_email, transfer.pk)
    return transfer


def record_refusal(
    *, transfer: Transfer, name: str, role: str = "", reason: str, at: datetime.datetime
) -> Transfer:
    """The receiving school on Kestrel refused the file (not their pupil), signed by it: the
    transfer needs the DSL again (check where the child went, send it again). Its sending stays
    on the record; the reason, the receiving DSL's own words, is kept on the transfer only. A
    refusal told twice changes nothing."""
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.state == State.REFUSED and transfer.refused_at == at:
            return transfer
        if transfer.state != State.SENT:
            raise NotOpen("This file is not awaiting receipt: a refusal cannot be recorded.")
        if transfer.refused_at is not None and at <= transfer.refused_at:
            raise NotOpen("This refusal is older than the file's last sending.")
        transfer.state = State.REFUSED
        transfer.refused_at = at
        transfer.refused_by_name = name
        transfer.refused_by_role = role
        transfer.refused_reason = reason.strip()[:300]
        transfer.save()
        record(
            action="transfer.refused",
            obj=transfer,
            school=transfer.school,
            student=transfer.student,
            detail={"refused_at": at.isoformat(), "refuser": name, "route": transfer.route},
        )
    return transfer


def record_copy(
    *, transfer: Transfer, actor, done_on: datetime.date, note: str, request=None
) -> Transfer:
    """Once the next school has confirmed receipt: what was done with this school's own copy
    under its policy (recorded with the transfer; the records themselves are never deleted
    here)."""
    if transfer.state != State.RECEIVED:
        raise NotOpen("Record what was done with this school's copy once receipt is confirmed.")
    transfer.copy_done_on = done_on
    transfer.copy_note = note
    transfer.copy_recorded_by = actor
    transfer.save(update_fields=["copy_done_on", "copy_note", "copy_recorded_by"])
    record(
        action="transfer.copy_recorded",
        actor=actor,
        request=request,
        obj=transfer,
        student=transfer.student,
        detail={"done_on": done_on.isoformat(), "policy": transfer.copy_policy},
    )
    return transfer


def record_informed(
    *, transfer: Transfer, actor, informed_on: datetime.date, whom: str, request=None
) -> Transfer:
    """A leaver with no destination: the DSL has told the local authority (and any social
    worker). The file stays here."""
    if transfer.state != State.INFORM:
        raise NotOpen("There is no one to tell for this leaver.")
    transfer.state = State.INFORMED
    transfer.informed_on = informed_on
    transfer.informed_whom = whom
    transfer.informed_by = actor
    transfer.save()
    record(
        action="transfer.informed",
        actor=actor,
        request=request,
        obj=transfer,
        student=transfer.student,
        detail={"informed_on": informed_on.isoformat()},
    )
    return transfer


def cancel(*, transfer: Transfer, actor, reason: str, request=None) -> Transfer:
    """The child did not leave after all (or was marked as left by mistake): the transfer ends,
    with the reason. A file already sent cannot be called back (one refused by the school it was
    sent to is back here)."""
    if transfer.state not in CHANGEABLE_STATES:
        raise NotOpen("A file already sent cannot be cancelled.")
    transfer.state = State.CANCELLED
    transfer.cancelled_reason = reason
    transfer.save()
    record(
        action="transfer.cancelled",
        actor=actor,
        request=request,
        obj=transfer,
        student=transfer.student,
        detail={},
    )
    return transfer


def start_for_leavers(school_id: int | None = None, today: datetime.date | None = None) -> int:
    """Starts a transfer for every leaver with a file here who has none yet (marked as left by
    a roster import, or by School set-up), its destination to be recorded by the DSL team.
    The worker runs it on its rounds; a roster import runs it when it finishes."""
    from kestrel.incidents.models import Incident, LinkedStudent

    today = today or timezone.localdate()
    leavers = Student.objects.filter(on_roll=False, left_on__isnull=False, left_on__lte=today)
    if school_id is not None:
        leavers = leavers.filter(school_id=school_id)
    # Leavers since the transfer duty began for them: one who left, came back and left again
    # gets a new transfer (their earlier one is not open).
    leavers = leavers.exclude(
        Exists(
            Transfer.objects.filter(student=OuterRef("pk")).filter(
                Q(state__in=OPEN_STATES) | Q(left_on=OuterRef("left_on"))
            )
        )
    ).filter(
        Exists(Incident.objects.filter(student=OuterRef("pk")))
        | Exists(LinkedStudent.objects.filter(student=OuterRef("pk")))
        | Exists(CaseEvent.objects.filter(student=OuterRef("pk")))
    )
    started = 0
    for student in leavers.select_related("school").iterator(chunk_size=500):
        with transaction.atomic():
            start(
                student=student,
                left_on=student.left_on,
                destination=Destination.UNKNOWN,
                how="roster",
            )
        started += 1
    return started


def start_transfers_for_all_leavers() -> str:
    """The worker's periodic job, across schools."""
    with scopes_disabled():
        started = start_for_leavers()
    return f"{started} transfers started for leavers"


def chase_transfers(today: datetime.date | None = None) -> str:
    """The worker's periodic job: a file sent 5 school days ago with no receipt gets its sender
    emailed, once (the Dashboard shows it as "chase" from that day either way)."""
    from kestrel.transfers.tasks import send_chase_email

    today = today or timezone.localdate()
    chased = 0
    with scopes_disabled():
        waiting = Transfer.objects.filter(
            state=State.SENT, chase_on__lte=today, chased_at__isnull=True
        ).select_related("student", "school")
        for transfer in waiting:
            with transaction.atomic():
                # Claimed first: two workers never both email (the update is the lock).
                claimed = Transfer.objects.filter(pk=transfer.pk, chased_at__isnull=True).update(
                    chased_at=timezone.now()
                )
                if not claimed:
                    continue
                record(
                    action="transfer.chased",
                    obj=transfer,
                    school=transfer.school,
                    student=transfer.student,
                    detail={"chase_on": transfer.chase_on.isoformat()},
                )
                enqueue_with_transaction(send_chase_email, transfer.pk)
            chased += 1
    return f"{chased} transfers chased"
