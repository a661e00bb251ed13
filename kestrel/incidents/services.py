"""Recording incidents. An incident, once added, is permanent: there is no edit and no delete."""

import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kestrel.access.policies import Viewer, check
from kestrel.alerts.services import alert_colleagues
from kestrel.audit.services import record, recorded_together
from kestrel.files.checks import NO_IMAGES_MESSAGE
from kestrel.files.services import attach, discard_pictures, pictures_among
from kestrel.incidents import drafts
from kestrel.incidents.models import (
    NOTE_LENGTH,
    PREVENT_FACTS,
    Action,
    BodyMapMarker,
    Correction,
    EncompassNotification,
    Incident,
    LinkedStudent,
    PreventConcern,
    author_snapshot,
    snapshot_of,
)
from kestrel.incidents.tasks import remove_draft
from kestrel.school_calendar.days import calendar_for


def _once(rows, submission_key: str | None, create):
    """Runs `create` once per form: the same form sent again, even twice at once (a double
    click), gives back the row the first one made instead of a second row.

    The submission key is unique in the database, so a second row cannot be written: `create`
    is simply tried (its transaction is rolled back whole when the key is taken) and the row
    already there looked up then. A form sent once, the usual case, costs no lookup."""
    try:
        return create()
    except IntegrityError:  # sent before (or at the same moment): that row stands
        found = rows.filter(submission_key=submission_key).first() if submission_key else None
        if found is None:
            raise
        return found


def verbatim(words: str) -> str:
    """The child's own words exactly as typed: nothing trimmed or tidied inside them, and
    nothing at all when only spaces. Only what typing did not put there goes: NUL characters
    (which the database cannot keep) and the carriage returns a browser sends with each line."""
    words = words.replace("\x00", "").replace("\r\n", "\n")
    return words if words.strip() else ""


def _encompass_problems(encompass: dict, now: datetime.datetime) -> dict:
    problems = {}
    if not encompass.get("police_reference", "").strip():
        problems["encompass_reference"] = "Enter the police reference."
    if encompass["received_at"] > now:
        problems["encompass_received_time"] = "The time received cannot be in the future."
    elif encompass["abuse_occurred_at"] > encompass["received_at"]:
        problems["encompass_abuse_time"] = (
            "The domestic abuse incident must be before the notification was received."
        )
    return problems


def encompass_due(received_at: datetime.datetime, school) -> datetime.datetime:
    """When an Operation Encompass notification is flagged if not acknowledged: the start of the
    next school day after it was received, in the school's time (midnight: term times and the
    school day's hours are not yet school settings, so the flag errs early, never late)."""
    zone = ZoneInfo(school.time_zone)
    day = calendar_for(school).next_school_day(received_at.astimezone(zone).date())
    return datetime.datetime.combine(day, datetime.time(), tzinfo=zone)


def acknowledge_encompass(*, actor, incident: Incident, request=None) -> EncompassNotification:
    """The DSL team acknowledges the incident's Operation Encompass notification: who and when
    are kept, once (a second acknowledgement changes nothing and is not recorded again)."""
    check(Viewer.acting(actor, request), "incident", "acknowledge_encompass", incident)
    notification = EncompassNotification.objects.filter(incident=incident).first()
    if notification is None:
        raise ValidationError("This incident has no Operation Encompass notification.")
    with transaction.atomic():
        now = timezone.now()
        claimed = EncompassNotification.objects.filter(
            pk=notification.pk, acknowledged_at__isnull=True
        ).update(acknowledged_at=now, acknowledged_by=actor)
        if claimed:
            record(
                action="encompass.acknowledged",
                actor=actor,
                request=request,
                obj=incident,
                student=incident.student,
                detail={"notification": notification.pk, "late": notification.due_at <= now},
            )
    notification.refresh_from_db()
    return notification


def discard_refused_pictures(*, actor, ids, request=None) -> int:
    """The pictures a form in a "No images" category was refused for: deleted, not kept."""
    return discard_pictures(actor=actor, ids=ids, request=request)


def _required_rank(categories) -> int:
    ranks = [category.access_level.rank for category in categories]
    return max(ranks) if ranks else 0


def add_incident(
    *,
    actor,
    student,
    text: str,
    categories,
    occurred_at: datetime.datetime,
    linked_students=(),
    agencies=(),
    alert_recipients=(),
    request=None,
    recorded_at: datetime.datetime | None = None,
    submission_key: str | None = None,
    file_ids=(),
    markers=(),
    draft: str | None = None,
    child_words: str = "",
    present: str = "",
    encompass: dict | None = None,
    prevent: dict | None = None,
) -> Incident:
    """Records an incident with its categories, linked students, agencies and alerts, in one
    transaction with its audit event. `recorded_at` is for imports and the demo; it is now.
    `draft` names the actor's saved draft of this form: no longer offered once the incident is
    committed, and removed by the worker with the alerts' emails (one task row for both).
    `child_words` are kept exactly as given (see `verbatim`). `encompass` holds an Operation
    Encompass notification's details (`EncompassNotification`'s fields), recorded with it;
    `prevent` the facts a Prevent referral needs (`PreventConcern`'s), asked for and kept when
    a category is the school's Prevent category. Each of `linked_students` is a dict with the
    `student` and, optionally, `LinkedStudent`'s choices: `monitor_same_category`,
    `share_documents`, the `note` for their file and `share_whole_entry`."""
    school = actor.school
    recorded_at = recorded_at or timezone.now()
    categories = list(categories)
    problems = {}
    if student.school_id != school.pk:
        problems["student"] = "Choose a student from your school."
    if not text.strip():
        problems["text"] = "Describe the incident."
    if not categories:
        problems["categories"] = "Select at least one category."
    if any(category.school_id != school.pk for category in categories):
        problems["categories"] = "Choose categories from your school’s list."
    if occurred_at > recorded_at:
        problems["occurred_at"] = "The date and time cannot be in the future."
    if encompass is not None:
        problems.update(_encompass_problems(encompass, recorded_at))
    if any(category.is_prevent for category in categories):
        prevent = prevent or {}
        if not prevent.get("said_or_done", "").strip():
            problems["prevent_said_or_done"] = "Say what was said or done."
        if not prevent.get("immediate_risk", "").strip():
            problems["prevent_immediate_risk"] = (
                "Say whether there is any immediate risk (or “None known”)."
            )
    else:
        prevent = None
    file_ids = list(file_ids)
    if any(category.no_images for category in categories) and pictures_among(
        actor=actor, ids=file_ids
    ):
        problems["files"] = NO_IMAGES_MESSAGE
    links, refused_links = _links(linked_students, student=student, school=school)
    if refused_links:
        problems["linked_students"] = refused_links
    if problems:
        raise ValidationError(problems)
    agencies = [agency for agency in agencies if agency.school_id == school.pk]
    return _once(
        Incident.objects.filter(reporter=actor),
        submission_key,
        lambda: _record(
            actor=actor,
            school=school,
            student=student,
            text=text,
            child_words=verbatim(child_words),
            present=present.replace("\x00", ""),
            categories=categories,
            occurred_at=occurred_at,
            linked_students=links,
            agencies=agencies,
            alert_recipients=alert_recipients,
            request=request,
            recorded_at=recorded_at,
            submission_key=submission_key,
            file_ids=file_ids,
            markers=list(markers),
            draft=draft,
            encompass=encompass,
            prevent=prevent,
        ),
    )


def _links(linked_students, *, student, school) -> tuple[list[dict], str]:
    """The links to record, each once: students of the school other than the incident's own,
    with their note (as typed, NUL removed; nothing when only spaces) and whether the whole
    entry is shared. A link elsewhere is left out as before, unless it carries a note or the
    whole entry, which would then be lost: that is refused, with what to correct."""
    links, seen, refused = [], set(), ""
    for link in linked_students:
        linked = link["student"]
        note = str(link.get("note") or "").replace("\x00", "")
        note = note if note.strip() else ""
        whole = bool(link.get("share_whole_entry"))
        if linked.school_id != school.pk or linked.pk == student.pk:
            if note or whole:
                refused = "A note or a shared entry can only be for a linked student."
            continue
        if len(note) > NOTE_LENGTH:
            refused = f"A note for a linked student can be at most {NOTE_LENGTH:,} characters."
        if linked.pk in seen:
            continue
        seen.add(linked.pk)
        links.append(
            {
                "student": linked,
                "monitor_same_category": bool(link.get("monitor_same_category")),
                "share_documents": bool(link.get("share_documents")),
                "note": note,
                "share_whole_entry": whole,
            }
        )
    return links, refused


def _record(
    *,
    actor,
    school,
    student,
    text,
    child_words,
    present,
    categories,
    occurred_at,
    linked_students,
    agencies,
    alert_recipients,
    request,
    recorded_at,
    submission_key,
    file_ids,
    markers,
    draft,
    encompass,
    prevent,
) -> Incident:
    with transaction.atomic():
        incident = Incident.objects.create(
            submission_key=submission_key,
            school=school,
            student=student,
            reporter=actor,
            text=text,
            child_words=child_words,
            present=present,
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            required_rank=_required_rank(categories),
            snapshot=snapshot_of(
                categories=categories, agencies=agencies, markers=markers, author=actor
            ),
        )
        # Inserted directly: `.set()` would first read what a new incident cannot yet have.
        Incident.categories.through.objects.bulk_create(
            Incident.categories.through(incident=incident, category=category)
            for category in categories
        )
        if agencies:
            Incident.agencies.through.objects.bulk_create(
                Incident.agencies.through(incident=incident, agency=agency) for agency in agencies
            )
        # Checked and made whole by `_links`.
        LinkedStudent.objects.bulk_create(
            LinkedStudent(incident=incident, **link) for link in linked_students
        )
        attach(actor=actor, ids=file_ids, incident=incident, request=request)
        BodyMapMarker.objects.bulk_create(
            BodyMapMarker(incident=incident, **marker) for marker in markers
        )
        if encompass is not None:
            EncompassNotification.objects.create(
                school=school,
                incident=incident,
                due_at=encompass_due(encompass["received_at"], school),
                **encompass,
            )
        if prevent is not None:
            PreventConcern.objects.create(
                incident=incident,
                **{fact: prevent.get(fact, "").replace("\x00", "") for fact in PREVENT_FACTS},
            )
        with recorded_together():  # the alerts' events and the incident's: one write
            alerts = alert_colleagues(
                actor=actor,
                incident=incident,
                recipients=alert_recipients,
                request=request,
                at=recorded_at,
                # With the emails' task row: the request writes one row for the worker.
                then=(remove_draft, [actor.pk, draft]) if draft else None,
            )
            record(
                action="incident.added",
                actor=actor,
                request=request,
                obj=incident,
                student=student,
                detail={
                    "alerted": len(alerts),
                    # How many, never what: the notes are child data.
                    "linked": len(linked_students),
                    "notes": sum(1 for link in linked_students if link["note"]),
                    "shared_whole": sum(1 for link in linked_students if link["share_whole_entry"]),
                    **({"encompass": True} if encompass is not None else {}),
                    **({"prevent": True} if prevent is not None else {}),
                },
            )
    incident.alerted = len(alerts)  # for the page that says how many were alerted
    return incident


def add_action(
    *,
    actor,
    incident: Incident,
    text: str,
    occurred_at: datetime.datetime,
    agencies=(),
    add_to_linked_students: bool = False,
    share_documents: bool = False,
    alert_recipients=(),
    request=None,
    submission_key: str | None = None,
    file_ids=(),
    child_words: str = "",
) -> Action:
    """Adds an action to an incident the actor may see, and alerts colleagues the same way."""
    check(Viewer.acting(actor, request), "incident", "add_action", incident)
    problems = {}
    if not text.strip():
        problems["text"] = "Describe the action taken."
    if occurred_at > timezone.now():
        problems["occurred_at"] = "The date and time cannot be in the future."
    file_ids = list(file_ids)
    # Read only when a picture is among the files: the category may have been marked since.
    if pictures_among(actor=actor, ids=file_ids) and (
        incident.no_images or incident.categories.filter(no_images=True).exists()
    ):
        problems["files"] = NO_IMAGES_MESSAGE
    if problems:
        raise ValidationError(problems)
    school_id = incident.school_id
    agencies = [agency for agency in agencies if agency.school_id == school_id]

    def create() -> Action:
        with transaction.atomic():
            action = Action.objects.create(
                school_id=school_id,
                incident=incident,
                author=actor,
                text=text,
                child_words=verbatim(child_words),
                occurred_at=occurred_at,
                add_to_linked_students=add_to_linked_students,
                share_documents=share_documents,
                submission_key=submission_key,
                snapshot={
                    "agencies": snapshot_of(agencies=agencies)["agencies"],
                    "author": author_snapshot(actor),
                },
            )
            if agencies:
                Action.agencies.through.objects.bulk_create(
                    Action.agencies.through(action=action, agency=agency) for agency in agencies
                )
            attach(actor=actor, ids=file_ids, action=action, request=request)
            with recorded_together():  # the alerts' events and the action's: one write
                alerts = alert_colleagues(
                    actor=actor,
                    incident=incident,
                    action=action,
                    recipients=alert_recipients,
                    request=request,
                )
                record(
                    action="action.added",
                    actor=actor,
                    request=request,
                    obj=action,
                    student=incident.student,
                    detail={"incident": incident.pk, "alerted": len(alerts)},
                )
        return action

    return _once(Action.objects.filter(author=actor), submission_key, create)


def current_version(incident: Incident) -> tuple[str, datetime.datetime]:
    """The incident's text and date/time as corrected (the latest correction of each wins)."""
    return corrected(
        incident.text,
        incident.occurred_at,
        ((correction.text, correction.occurred_at) for correction in incident.corrections.all()),
    )


def corrected(text: str, occurred_at: datetime.datetime, corrections) -> tuple:
    """`text` and `occurred_at` after the `corrections`, (text, occurred_at) pairs oldest first,
    of which an empty text or a missing time changes nothing."""
    for new_text, new_time in corrections:
        text = new_text or text
        occurred_at = new_time or occurred_at
    return text, occurred_at


def add_correction(*, actor, incident: Incident, text: str, occurred_at, reason: str, request=None):
    """Records a key holder's correction; the original incident row is left as it was."""
    check(Viewer.acting(actor, request), "incident", "correct", incident)
    text_now, occurred_now = current_version(incident)
    new_text = text if text.strip() and text != text_now else ""

    def to_minute(moment):
        return moment.replace(second=0, microsecond=0)

    # The form gives minutes: a time equal to the minute is no change.
    new_time = (
        occurred_at if occurred_at and to_minute(occurred_at) != to_minute(occurred_now) else None
    )
    problems = {}
    if not reason.strip():
        problems["reason"] = "Say why the incident needs correcting."
    if not new_text and not new_time:
        problems["text"] = "Change the text or the date and time: nothing was corrected."
    if new_time and new_time > timezone.now():
        problems["occurred_at"] = "The date and time cannot be in the future."
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        correction = Correction.objects.create(
            incident=incident,
            author=actor,
            text=new_text,
            occurred_at=new_time,
            reason=reason.strip(),
        )
        record(
            action="incident.corrected",
            actor=actor,
            request=request,
            obj=incident,
            student=incident.student,
            detail={"text": bool(new_text), "date_time": bool(new_time)},
        )
    return correction


def record_viewed(*, request, incident: Incident, page: str | None = None) -> None:
    """Writes that the incident was read: on Viewing Incident, or on another `page` showing it
    (Add Action's)."""
    detail = {"detail": {"page": page}} if page else {}
    record(
        action="incident.viewed",
        request=request,
        obj=incident,
        student=incident.student,
        **detail,
    )


def colleagues_alerted(*, actor, incident: Incident, submission: str) -> int:
    """How many colleagues Add Incident alerted. When the same form was sent twice, the service
    gave the first one's incident: its draft goes, and its alerts are counted."""
    alerted = getattr(incident, "alerted", None)
    if alerted is None:
        drafts.discard(actor=actor, submission=submission)
        alerted = incident.alerts.filter(action__isnull=True).count()
    return alerted
