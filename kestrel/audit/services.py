"""Writing audit events. Call `record()` inside the transaction of the change it records; a page
that only shows records calls it outside any transaction, and its event costs one INSERT (the
worker's sealer links it into its chain afterwards: `kestrel.audit.sealing`)."""

import datetime
import hashlib
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.audit.sealing import write, write_all, write_plain
from kestrel.schools.models import School

# The events recorded inside `recorded_together()`, waiting to be written as one.
_together: ContextVar[list[AuditEvent] | None] = ContextVar("audit_together", default=None)


def record(**fields) -> AuditEvent:
    """Writes one audit event: who did what to which record, from where (see `event`). Inside
    `recorded_together()` it is written when that block ends, with the others."""
    pending = _together.get()
    if pending is not None:
        pending.append(event(**fields))
        return pending[-1]
    return write(event(**fields))


@contextmanager
def recorded_together():
    """Writes the events `record`ed inside the block when it ends, in order and as one write
    (one INSERT), inside the caller's transaction: a service that records its
    events (alerts.services.alert_colleagues) costs its caller no statement of its own. Nothing
    is written if the block raises: its transaction is rolled back anyway."""
    outer = _together.get()
    pending: list[AuditEvent] = []
    token = _together.set(pending)
    try:
        yield
    finally:
        _together.reset(token)
    if outer is not None:  # inside another such block: written with its events, in order
        outer.extend(pending)
    else:
        record_all(pending)


def record_student_search(request, query: str, shown: int) -> None:
    """Records that a search showed `shown` students' names (nothing when it showed none): the
    type-ahead, Students and the audit trail's Find a person alike."""
    if shown:
        record(
            action="students.searched",
            request=request,
            detail={"results": shown, "characters": len(query)},
        )


def record_all(events: list[AuditEvent]) -> None:
    """Writes several events made with `event`, in order, in one INSERT."""
    write_all(events)


def event(
    *,
    action: str,
    actor=None,
    request=None,
    school=None,
    obj: models.Model | None = None,
    student=None,
    detail: dict | None = None,
) -> AuditEvent:
    """An unsaved audit event: who did what to which record, from where."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    # By id: the school row itself is not needed, and reading `obj.school` would cost a query.
    if school is None and isinstance(obj, School):
        school = obj
    school_id = (
        school.pk
        if school is not None
        else getattr(obj, "school_id", None) or getattr(actor, "school_id", None)
    )
    return AuditEvent(
        school_id=school_id,
        actor=actor,
        actor_label=actor.full_name if actor else "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=str(obj)[:300] if obj is not None else "",
        student=student,
        detail=detail or {},
        ip_address=client_ip(request),
        session_hash=session_hash(request),
    )


def plain_event(
    *,
    action: str,
    actor=None,
    school_id: int | None,
    model: type[models.Model] | None = None,
    object_id="",
    object_label: str = "",
    student_id: int | None = None,
    detail: dict | None = None,
    at: datetime.datetime | None = None,
) -> dict:
    """An event as `event` makes it, for a task (no request), as its fields rather than a
    model instance, for `record_plain`: the record given as its model, id and label; `at` the
    moment of the change (now if not given: the events of one transaction may share it)."""
    return {
        "school_id": school_id,
        "actor_id": actor.pk if actor else None,
        "actor_label": actor.full_name if actor else "",
        "action": action,
        "object_type": model._meta.label_lower if model is not None else "",
        "object_id": str(object_id),
        "object_label": object_label[:300],
        "student_id": student_id,
        "detail": detail or {},
        "ip_address": None,
        "session_hash": "",
        "at": at or timezone.now(),
    }


def record_plain(events: list[dict]) -> None:
    """Writes several events made with `plain_event`, in order, in one plain write (thousands
    at once: a roster import's per-student events), inside the caller's transaction."""
    write_plain(events)


def client_ip(request) -> str | None:
    """The client's address as the server saw it (a trusted proxy sets REMOTE_ADDR for us)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def session_hash(request) -> str:
    """A hash of the session key: enough to tie events to one session without storing the key."""
    key = getattr(getattr(request, "session", None), "session_key", None)
    return hashlib.sha256(key.encode()).hexdigest() if key else ""
