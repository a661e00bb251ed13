"""Keeping a child's case file. Each service checks that the actor may keep this child's file
(and may open the incident, for a record made on one), writes in one transaction the record,
its line of the chronology (`CaseEvent`) and its audit event (metadata, never the text), and
refuses bad input with a message for each field (`ValidationError`), changing nothing."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kestrel.access.policies import Viewer, check
from kestrel.audit.services import record
from kestrel.casefile.models import (
    CARE_STATUSES,
    CHILD_PROTECTION_PLAN,
    CORRECTABLE,
    NO_FURTHER_ACTION,
    SCHOOL_DEFINED,
    STATUS_KINDS,
    Case,
    CaseEvent,
    Correction,
    Decision,
    Referral,
    Review,
    RiskAssessment,
    Sharing,
    Status,
)
from kestrel.casefile.selectors import risk_levels

STATUS_LABELS = dict(STATUS_KINDS)
NOON = datetime.time(12)


def _today() -> datetime.date:
    return timezone.localdate()


def _not_future(day, field: str, problems: dict, what: str = "The date") -> None:
    if day is None:
        problems[field] = f"{what} is needed."
    elif day > _today():
        problems[field] = f"{what} cannot be in the future."


def _checked(actor, request, student, incident=None) -> int:
    """Refuses an actor who may not keep the child's file (or open the incident the record is
    made on); the rank the record needs: its incident's, or none."""
    viewer = Viewer.acting(actor, request)
    check(viewer, "student", "case_file", student)
    if incident is None:
        return 0
    check(viewer, "incident", "open", incident)
    if incident.student_id != student.pk and not incident.links.filter(student=student).exists():
        raise ValidationError({"incident": "This incident is not about this student."})
    return incident.required_rank


def _written(actor, student, incident, rank: int, now) -> dict:
    """The fields every case-file record keeps of who wrote it and when."""
    return {
        "school_id": student.school_id,
        "student": student,
        "incident": incident,
        "author": actor,
        "author_name": actor.full_name,
        "author_role": actor.job_title,
        "recorded_at": now,
        "required_rank": rank,
    }


def _event(written: dict, *, kind, on, summary, detail, obj) -> CaseEvent:
    """The record's line on the chronology, filed at its date (see `CaseEvent.happened_at`)."""
    now = written["recorded_at"]
    same_day = timezone.localtime(now).date() == on
    at = now if same_day else datetime.datetime.combine(on, NOON, timezone.get_current_timezone())
    return CaseEvent.objects.create(
        **written,
        kind=kind,
        happened_on=on,
        happened_at=at,
        summary=summary[:300],
        detail=detail,
        record_type=obj._meta.model_name,
        record_id=obj.pk,
    )


def _on_file(written: dict, *, obj, event, on, summary, detail, audit, audit_detail, request):
    """Puts a change on the file: its line of the chronology and its audit event (what kind of
    change, never its text), in the caller's transaction."""
    _event(written, kind=event, on=on, summary=summary, detail=detail, obj=obj)
    record(
        action=audit,
        actor=written["author"],
        request=request,
        obj=obj,
        student=written["student"],
        detail=audit_detail,
    )


def _raise(problems: dict) -> None:
    if problems:
        raise ValidationError(problems)


def open_case_for(*, actor, student, on: datetime.date, request=None, written=None) -> Case:
    """The child's open case, opened now (and on the chronology) if they have none."""
    case = Case.objects.filter(student=student, closed_on__isnull=True).first()
    if case is not None:
        return case
    written = written or _written(actor, student, None, 0, timezone.now())
    fields = {**written, "incident": None, "required_rank": 0}
    case = Case.objects.create(**fields, opened_on=min(on, _today()))
    _event(
        fields,
        kind="case.opened",
        on=case.opened_on,
        summary="Case opened",
        detail="",
        obj=case,
    )
    record(action="case.opened", actor=actor, request=request, obj=case, student=student)
    return case


def open_case(
    *, actor, student, opened_on: datetime.date, next_review_on=None, request=None
) -> Case:
    """Opens a case for the child by hand, with the date of its first review."""
    _checked(actor, request, student)
    problems = {}
    _not_future(opened_on, "opened_on", problems)
    if next_review_on and opened_on and next_review_on < opened_on:
        problems["next_review_on"] = "The review cannot be before the case was opened."
    if Case.objects.filter(student=student, closed_on__isnull=True).exists():
        problems["opened_on"] = "This student already has an open case."
    _raise(problems)
    with transaction.atomic():
        case = open_case_for(actor=actor, student=student, on=opened_on, request=request)
        if next_review_on:
            case.next_review_on = next_review_on
            case.save(update_fields=["next_review_on"])
    return case


def start_status(
    *,
    actor,
    student,
    kind: str,
    started_on: datetime.date,
    school_kind=None,
    plan_category: str = "",
    legal_status: str = "",
    virtual_school_head: str = "",
    note: str = "",
    incident=None,
    request=None,
) -> Status:
    """Starts a status (Child in Need, Child Protection Plan, ...) from its start date."""
    rank = _checked(actor, request, student, incident)
    problems = {}
    if kind not in STATUS_LABELS:
        problems["kind"] = "Choose a status."
    if kind == SCHOOL_DEFINED and (
        school_kind is None or school_kind.school_id != student.school_id
    ):
        problems["school_kind"] = "Choose one of your school’s statuses."
    if kind == CHILD_PROTECTION_PLAN and not plan_category:
        problems["plan_category"] = "Choose the category of the plan."
    _not_future(started_on, "started_on", problems, "The start date")
    label = school_kind.name if kind == SCHOOL_DEFINED and school_kind else STATUS_LABELS.get(kind)
    already = Status.objects.filter(student=student, kind=kind, ended_on__isnull=True)
    if kind == SCHOOL_DEFINED:
        already = already.filter(school_kind=school_kind)
    if not problems and already.exists():
        problems["kind"] = (
            f"{label} is already open for this student: end it before starting another."
        )
    _raise(problems)
    with transaction.atomic():
        now = timezone.now()
        written = _written(actor, student, incident, rank, now)
        case = open_case_for(
            actor=actor, student=student, on=started_on, request=request, written=written
        )
        status = Status.objects.create(
            **written,
            kind=kind,
            school_kind=school_kind if kind == SCHOOL_DEFINED else None,
            label=label,
            plan_category=plan_category if kind == CHILD_PROTECTION_PLAN else "",
            legal_status=legal_status.strip() if kind in CARE_STATUSES else "",
            virtual_school_head=virtual_school_head.strip() if kind in CARE_STATUSES else "",
            started_on=started_on,
            start_note=note.strip(),
        )
        summary = f"{label} started"
        if status.plan_category:
            summary += f" ({status.get_plan_category_display()})"
        _on_file(
            written,
            obj=status,
            event="status.started",
            on=started_on,
            summary=summary,
            detail=status.start_note,
            audit="case.status_started",
            audit_detail={"status": kind, "case": case.pk},
            request=request,
        )
    return status


def end_status(*, actor, status: Status, ended_on: datetime.date, note: str = "", request=None):
    """Ends a status on its end date; its start date and the record of both stay."""
    student = status.student
    _checked(actor, request, student, status.incident)
    problems = {}
    if status.ended_on is not None:
        problems["ended_on"] = f"{status.label} has already ended."
    _not_future(ended_on, "ended_on", problems, "The end date")
    if ended_on and ended_on < status.started_on:
        problems["ended_on"] = (
            f"The end date cannot be before the start date ({status.started_on:%-d %B %Y})."
        )
    _raise(problems)
    with transaction.atomic():
        now = timezone.now()
        updated = Status.objects.filter(pk=status.pk, ended_on__isnull=True).update(
            ended_on=ended_on, end_note=note.strip(), ended_by=actor, ended_at=now
        )
        if not updated:  # ended by someone else a moment ago
            raise ValidationError({"ended_on": f"{status.label} has already ended."})
        status.refresh_from_db()
        written = _written(actor, student, status.incident, status.required_rank, now)
        _on_file(
            written,
            obj=status,
            event="status.ended",
            on=ended_on,
            summary=f"{status.label} ended",
            detail=status.end_note,
            audit="case.status_ended",
            audit_detail={"status": status.kind},
            request=request,
        )
    return status


def set_risk(
    *, actor, student, level: str, reason: str, set_on: datetime.date, request=None
) -> RiskAssessment:
    """Sets the child's risk level with why; the earlier levels stay as its history."""
    _checked(actor, request, student)
    levels = risk_levels(student.school_id)
    problems = {}
    if level not in levels:
        problems["level"] = "Choose a risk level."
    if not reason.strip():
        problems["reason"] = "Say why the risk level is set to this."
    _not_future(set_on, "set_on", problems)
    _raise(problems)
    with transaction.atomic():
        written = _written(actor, student, None, 0, timezone.now())
        open_case_for(actor=actor, student=student, on=set_on, request=request, written=written)
        risk = RiskAssessment.objects.create(
            **written,
            level=level,
            position=levels.index(level),
            reason=reason.strip(),
            set_on=set_on,
        )
        _on_file(
            written,
            obj=risk,
            event="risk.set",
            on=set_on,
            summary=f"Risk level set to {level}",
            detail=risk.reason,
            audit="case.risk_set",
            audit_detail={"level": level},
            request=request,
        )
    return risk


def make_referral(
    *,
    actor,
    student,
    target: str,
    to_label: str,
    made_on: datetime.date,
    made_by,
    reason: str,
    feedback_due_on: datetime.date,
    reference: str = "",
    agency=None,
    incident=None,
    request=None,
) -> Referral:
    """Records a referral with the date its feedback is due; until its outcome is recorded it is
    chased on "Awaiting feedback" once that date has passed."""
    rank = _checked(actor, request, student, incident)
    problems = {}
    if not to_label:
        problems["target"] = "Choose who the referral was made to."
    if agency is not None and agency.school_id != student.school_id:
        problems["agency"] = "Choose one of your school’s agencies."
    if made_by is None or made_by.school_id != student.school_id:
        problems["made_by"] = "Choose who made the referral."
    if not reason.strip():
        problems["reason"] = "Say what was referred and why."
    _not_future(made_on, "made_on", problems, "The date of the referral")
    if feedback_due_on is None:
        problems["feedback_due_on"] = "Give the date feedback is due."
    elif made_on and feedback_due_on < made_on:
        problems["feedback_due_on"] = "Feedback cannot be due before the referral was made."
    _raise(problems)
    with transaction.atomic():
        written = _written(actor, student, incident, rank, timezone.now())
        open_case_for(actor=actor, student=student, on=made_on, request=request, written=written)
        referral = Referral.objects.create(
            **written,
            target=target,
            agency=agency,
            to_label=to_label,
            made_on=made_on,
            reference=reference.strip(),
            made_by=made_by,
            made_by_name=made_by.full_name,
            reason=reason.strip(),
            feedback_due_on=feedback_due_on,
        )
        reference_note = f" (reference {referral.reference})" if referral.reference else ""
        _on_file(
            written,
            obj=referral,
            event="referral.made",
            on=made_on,
            summary=f"Referral to {to_label}{reference_note}",
            detail=referral.reason,
            audit="case.referral_made",
            audit_detail={"to": target},
            request=request,
        )
    return referral


def record_referral_outcome(
    *, actor, referral: Referral, outcome: str, outcome_on: datetime.date, request=None
) -> Referral:
    """Records the feedback on a referral, its outcome: it leaves "Awaiting feedback"."""
    student = referral.student
    _checked(actor, request, student, referral.incident)
    problems = {}
    if referral.outcome_on is not None:
        problems["outcome"] = "The outcome of this referral is already recorded."
    if not outcome.strip():
        problems["outcome"] = "Describe the feedback and the outcome."
    _not_future(outcome_on, "outcome_on", problems, "The date of the feedback")
    if outcome_on and outcome_on < referral.made_on:
        problems["outcome_on"] = "The feedback cannot be before the referral was made."
    _raise(problems)
    with transaction.atomic():
        now = timezone.now()
        updated = Referral.objects.filter(pk=referral.pk, outcome_on__isnull=True).update(
            outcome=outcome.strip(), outcome_on=outcome_on, outcome_by=actor, outcome_at=now
        )
        if not updated:
            raise ValidationError({"outcome": "The outcome of this referral is already recorded."})
        referral.refresh_from_db()
        written = _written(actor, student, referral.incident, referral.required_rank, now)
        _on_file(
            written,
            obj=referral,
            event="referral.outcome",
            on=outcome_on,
            summary=f"Feedback from {referral.to_label} on the referral of "
            f"{referral.made_on:%-d %B %Y}",
            detail=referral.outcome,
            audit="case.referral_outcome",
            audit_detail={"to": referral.target},
            request=request,
        )
    return referral


def record_decision(
    *,
    actor,
    student,
    kind: str,
    reason: str,
    decided_on: datetime.date,
    what: str = "",
    incident=None,
    request=None,
) -> Decision:
    """Records a decision and why. "No further action" is a decision: it needs its reason."""
    rank = _checked(actor, request, student, incident)
    labels = dict(Decision._meta.get_field("kind").choices)
    problems = {}
    if kind not in labels:
        problems["kind"] = "Choose what was decided."
    if not reason.strip():
        problems["reason"] = (
            "Say why no further action is needed: “No further action” is a decision and "
            "needs its reason."
            if kind == NO_FURTHER_ACTION
            else "Say why this was decided."
        )
    if kind == "other" and not what.strip():
        problems["what"] = "Describe what was decided."
    _not_future(decided_on, "decided_on", problems, "The date of the decision")
    _raise(problems)
    with transaction.atomic():
        written = _written(actor, student, incident, rank, timezone.now())
        decision = Decision.objects.create(
            **written, kind=kind, what=what.strip(), reason=reason.strip(), decided_on=decided_on
        )
        detail = "\n\n".join(part for part in (decision.what, f"Why: {decision.reason}") if part)
        _on_file(
            written,
            obj=decision,
            event="decision",
            on=decided_on,
            summary=f"Decision: {labels[kind]}",
            detail=detail,
            audit="case.decision",
            audit_detail={"decision": kind},
            request=request,
        )
    return decision


def record_sharing(
    *,
    actor,
    student,
    shared: bool | None,
    what: str,
    with_whom: str,
    why: str,
    basis: str,
    on: datetime.date,
    incident=None,
    request=None,
) -> Sharing:
    """Records information shared, or not shared: what, with whom, why, on what basis, when."""
    rank = _checked(actor, request, student, incident)
    problems = {}
    if shared is None:
        problems["shared"] = "Say whether the information was shared."
    if not what.strip():
        problems["what"] = "Say what information this is."
    if not with_whom.strip():
        problems["with_whom"] = "Say who it was shared with, or who asked for it."
    if not why.strip():
        problems["why"] = "Say why it was shared." if shared else "Say why it was not shared."
    if shared and not basis:
        problems["basis"] = "Choose the lawful basis it was shared on."
    _not_future(on, "on", problems)
    _raise(problems)
    with transaction.atomic():
        written = _written(actor, student, incident, rank, timezone.now())
        sharing = Sharing.objects.create(
            **written,
            shared=shared,
            what=what.strip(),
            with_whom=with_whom.strip(),
            why=why.strip(),
            basis=basis,
            on=on,
        )
        verb = "shared with" if shared else "not shared with"
        _on_file(
            written,
            obj=sharing,
            event="information.shared" if shared else "information.not_shared",
            on=on,
            summary=f"Information {verb} {sharing.with_whom}",
            detail=f"{sharing.what}\n\nWhy: {sharing.why}",
            audit="case.information_shared" if shared else "case.information_not_shared",
            audit_detail={"basis": sharing.basis},
            request=request,
        )
    return sharing


def sign_off_review(
    *,
    actor,
    case: Case,
    reviewed_on: datetime.date,
    note: str,
    next_review_on: datetime.date | None,
    request=None,
):
    """A DSL signs off a review of the open case with a note, and sets the next review."""
    student = case.student
    _checked(actor, request, student)
    problems = {}
    if case.closed_on is not None:
        problems["note"] = "This case is closed."
    if not note.strip():
        problems["note"] = "Write what the review found."
    _not_future(reviewed_on, "reviewed_on", problems, "The date of the review")
    if next_review_on is None:
        problems["next_review_on"] = "Give the date of the next review."
    elif reviewed_on and next_review_on <= reviewed_on:
        problems["next_review_on"] = "The next review must be after this one."
    _raise(problems)
    with transaction.atomic():
        written = _written(actor, student, None, 0, timezone.now())
        review = Review.objects.create(
            **written,
            case=case,
            reviewed_on=reviewed_on,
            note=note.strip(),
            next_review_on=next_review_on,
        )
        Case.objects.filter(pk=case.pk).update(next_review_on=next_review_on)
        case.next_review_on = next_review_on
        _on_file(
            written,
            obj=review,
            event="case.reviewed",
            on=reviewed_on,
            summary=f"Case reviewed; next review {next_review_on:%-d %B %Y}",
            detail=review.note,
            audit="case.reviewed",
            audit_detail={"case": case.pk},
            request=request,
        )
    return review


def close_case(
    *, actor, case: Case, closed_on: datetime.date, outcome: str, outcome_text: str, request=None
) -> Case:
    """Closes the case with its outcome; a case with a status still open cannot close."""
    student = case.student
    _checked(actor, request, student)
    labels = dict(Case._meta.get_field("outcome").choices)
    problems = {}
    if case.closed_on is not None:
        problems["outcome"] = "This case is already closed."
    if outcome not in labels:
        problems["outcome"] = "Choose the outcome: a case cannot close without one."
    if not outcome_text.strip():
        problems["outcome_text"] = "Describe the outcome and why the case can close."
    _not_future(closed_on, "closed_on", problems, "The date")
    if closed_on and closed_on < case.opened_on:
        problems["closed_on"] = "The case cannot close before it was opened."
    still_open = list(
        Status.objects.filter(student=student, ended_on__isnull=True).values_list(
            "label", flat=True
        )
    )
    if still_open:
        problems["outcome"] = "End the statuses still open before closing the case: " + ", ".join(
            still_open
        )
    awaiting = Referral.objects.filter(student=student, outcome_on__isnull=True).count()
    if awaiting:
        # Every referral is chased until its feedback comes (Working Together 2023).
        problems["closed_on"] = (
            f"Record the feedback on the {awaiting} referral{'s' if awaiting > 1 else ''} still "
            "awaiting it before closing the case."
        )
    _raise(problems)
    with transaction.atomic():
        now = timezone.now()
        updated = Case.objects.filter(pk=case.pk, closed_on__isnull=True).update(
            closed_on=closed_on,
            closed_by=actor,
            outcome=outcome,
            outcome_text=outcome_text.strip(),
        )
        if not updated:
            raise ValidationError({"outcome": "This case is already closed."})
        case.refresh_from_db()
        written = _written(actor, student, None, 0, now)
        _on_file(
            written,
            obj=case,
            event="case.closed",
            on=closed_on,
            summary=f"Case closed: {labels[outcome]}",
            detail=case.outcome_text,
            audit="case.closed",
            audit_detail={"outcome": outcome},
            request=request,
        )
    return case


RECORD_NAMES = {
    "case": "the case",
    "status": "a status",
    "riskassessment": "a risk level",
    "referral": "a referral",
    "decision": "a decision",
    "sharing": "an information-sharing record",
    "review": "a review",
}


def _shown(value) -> str:
    """A field's value as the correction keeps it (text)."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return f"{value:%-d %B %Y}"
    return str(value)


def _correction_problems(record, values: dict) -> dict:
    """What would make the corrected record wrong, by field (the rules its service applies)."""
    problems = {}
    merged = {field: values.get(field, getattr(record, field)) for field in values}

    def now(field):
        return merged.get(field, getattr(record, field))

    for field, value in merged.items():
        future = field not in {"feedback_due_on", "next_review_on"}
        if future and isinstance(value, datetime.date) and value > _today():
            problems[field] = "The date cannot be in the future."
    kind = record._meta.model_name
    if kind == "status":
        if record.kind == CHILD_PROTECTION_PLAN and not now("plan_category"):
            problems["plan_category"] = "Choose the category of the plan."
        if now("ended_on") and now("ended_on") < now("started_on"):
            problems["ended_on"] = "The end date cannot be before the start date."
    if kind == "referral":
        if now("feedback_due_on") < now("made_on"):
            problems["feedback_due_on"] = "Feedback cannot be due before the referral was made."
        if now("outcome_on") and now("outcome_on") < now("made_on"):
            problems["outcome_on"] = "The feedback cannot be before the referral was made."
    if kind == "sharing" and record.shared and not now("basis"):
        problems["basis"] = "Choose the lawful basis it was shared on."
    required = {
        "riskassessment": ("reason",),
        "referral": ("reason",),
        "decision": ("reason",),
        "sharing": ("what", "with_whom", "why"),
        "review": ("note",),
        "case": ("outcome_text",) if record._meta.model_name == "case" and record.closed_on else (),
    }.get(kind, ())
    for field in required:
        if field in merged and not str(merged[field] or "").strip():
            problems[field] = "This cannot be left empty: say what it should read."
    return problems


def correctable_fields(record) -> list[str]:
    """The fields a correction may change of this record: its kind's (`CORRECTABLE`), less
    those of a step not yet taken (the end of a status still open, a referral's outcome)."""
    fields = list(CORRECTABLE[record._meta.model_name])
    not_yet = {
        "ended_on": record._meta.model_name == "status" and record.ended_on is None,
        "end_note": record._meta.model_name == "status" and record.ended_on is None,
        "outcome_on": record._meta.model_name == "referral" and record.outcome_on is None,
        "outcome": record._meta.model_name == "referral" and record.outcome_on is None,
        "outcome_text": record._meta.model_name == "case" and record.closed_on is None,
    }
    return [field for field in fields if not not_yet.get(field)]


def correct_record(*, actor, target, values: dict, reason: str, request=None) -> Correction:
    """Corrects fields of a case-file record (those `CORRECTABLE` names for its kind): the
    record shows the new values, the correction keeps the old ones and why, and the correction
    is on the chronology. A field not given, or given as it was, is not changed."""
    kind = target._meta.model_name
    student = target.student
    _checked(actor, request, student, target.incident)
    allowed = set(correctable_fields(target))
    changed = {
        field: value.strip() if isinstance(value, str) else value
        for field, value in values.items()
        if field in allowed
        and (value.strip() if isinstance(value, str) else value) != getattr(target, field)
    }
    problems = _correction_problems(target, changed)
    if not reason.strip():
        problems["correction_reason"] = "Say why the record needs correcting."
    if not changed and not problems:
        problems["correction_reason"] = "Change at least one field: nothing was corrected."
    _raise(problems)
    with transaction.atomic():
        now = timezone.now()
        changes = {
            field: [_shown(getattr(target, field)), _shown(value)]
            for field, value in changed.items()
        }
        type(target).objects.filter(pk=target.pk).update(**changed, corrected_at=now)
        if kind == "review" and "next_review_on" in changed:
            _next_review_follows(target, changed["next_review_on"])
        written = _written(actor, student, target.incident, target.required_rank, now)
        correction = Correction.objects.create(
            **written,
            record_type=kind,
            record_id=target.pk,
            changes=changes,
            reason=reason.strip(),
        )
        labels = {field: type(target)._meta.get_field(field).verbose_name for field in changes}
        _on_file(
            written,
            obj=correction,
            event="correction",
            on=timezone.localdate(),
            summary=f"Correction to {RECORD_NAMES[kind]} of {_shown(_record_date(target))}",
            detail="\n".join(
                f"{labels[field]}: “{before}” is now “{after}”"
                for field, (before, after) in changes.items()
            )
            + f"\n\nWhy: {correction.reason}",
            audit="case.corrected",
            audit_detail={"record": kind, "fields": sorted(changes)},
            request=request,
        )
    for field, value in changed.items():
        setattr(target, field, value)
    target.corrected_at = now
    return correction


def _record_date(record) -> datetime.date:
    """The date a record is filed under on the chronology."""
    for field in ("started_on", "set_on", "made_on", "decided_on", "on", "reviewed_on"):
        if hasattr(record, field):
            return getattr(record, field)
    return record.opened_on


def _next_review_follows(review, next_review_on) -> None:
    """A corrected next-review date of the case's latest review is the case's next review."""
    latest = Review.objects.filter(case=review.case_id).order_by("-reviewed_on", "-id").first()
    if latest is not None and latest.pk == review.pk:
        Case.objects.filter(pk=review.case_id, closed_on__isnull=True).update(
            next_review_on=next_review_on
        )
