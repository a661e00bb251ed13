"""The case file's pages: the student's page for key holders, the forms that record statuses,
risk levels, reviews, referrals, decisions and information sharing, and the DSL team's lists.
Each page gets the student through the door (key holders with their key unlocked) and writes to
the audit trail that the child's file was seen."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.access.policies import Viewer
from kestrel.accounts.selectors import active_colleagues
from kestrel.audit.services import record
from kestrel.case_pages import forms
from kestrel.casefile import selectors, services
from kestrel.ids import is_id
from kestrel.incidents.doors import get_incident_for_user
from kestrel.incidents.views.chronology import first_entries
from kestrel.incidents.views.form_parts import refused
from kestrel.key_facts.selectors import front_sheet
from kestrel.paging import page_number
from kestrel.students.doors import get_student_for_user
from kestrel.students.names import NamesShown
from kestrel.transfers.selectors import latest_transfer

RECENT_ENTRIES = 10
CASELOAD_PAGE_SIZE = 50


@requires("keep_case_file")
def student(request, pk):
    """The student's page: the front sheet, open statuses, risk level, open referrals and the
    next review, then the newest entries of the chronology."""
    child = get_student_for_user(request, pk, "case_file")
    viewer = Viewer.of(request)
    names = NamesShown.of(request)
    entries, page = first_entries(request, child, RECENT_ENTRIES)
    file = selectors.case_file(viewer, child)
    if names.hidden:
        _mask(file, names.texts_about([child]))
    context = {
        "student": child,
        "label": names.label(child),
        "file": file,
        "key_facts": front_sheet(child, names=names),
        "entries": entries,
        "more_entries": bool(page.older),
        # A leaver's transfer (Mark as left leads an on-roll child's open one, if any).
        "transfer": None if child.on_roll else latest_transfer(child),
    }
    record(action="case_file.viewed", request=request, obj=child, student=child)
    return render(request, "case_pages/student.html", context)


# The free text of the records the student's page shows, starred under Hide Names.
MASKED_TEXT = {
    "statuses": ("start_note", "end_note", "legal_status"),
    "risks": ("reason",),
    "referrals": ("reason", "outcome", "reference"),
}


def _mask(file, shown) -> None:
    """Stars the student's names in the free text the page shows (the records are not saved)."""
    records = {
        "statuses": [*file.open_statuses, *file.ended_statuses],
        "risks": file.risk_history,
        "referrals": [*file.open_referrals, *file.answered_referrals],
    }
    for group, fields in MASKED_TEXT.items():
        for written in records[group]:
            for field in fields:
                setattr(written, field, shown(getattr(written, field)))
    if file.case is not None:
        file.case.outcome_text = shown(file.case.outcome_text)


def _incident(request, child):
    """The incident a record is made on (`?incident=`), through its door; None without one."""
    asked = request.GET.get("incident", "")
    if not asked:
        return None
    if not is_id(asked):
        raise Http404("No such incident")
    return get_incident_for_user(request, int(asked), "open", relations=())


def _record_page(request, pk, *, form_class, title, button, save, intro="", **options):
    """A form page of the case file: shows the form, and on a valid POST calls `save(form,
    child, incident)`, a service; its refusal goes next to the fields with what was typed."""
    child = get_student_for_user(request, pk, "case_file")
    incident = _incident(request, child)
    names = NamesShown.of(request)
    # A correction's form holds the record's words, names and all: not shown or taken under
    # Hide Names (as correcting an incident).
    withheld = names.hidden and options.pop("holds_text", False)
    form = form_class(
        request.POST or None,
        initial=options.pop("initial", None),
        **options.pop("form_options", {}),
    )
    if request.method == "POST" and not withheld and form.is_valid():
        try:
            done = save(form, child, incident)
        except ValidationError as error:
            refused(form, error)
        else:
            notices.success(request, done)
            return _back(child, incident)
    record(
        action="case_file.form_viewed",
        request=request,
        obj=child,
        student=child,
        detail={"page": request.resolver_match.url_name},
    )
    page = {"title": title, "intro": intro, "button": button, "withheld": withheld}
    return render(
        request,
        "case_pages/record.html",
        {"student": child, "label": names.label(child), "incident": incident, "form": form}
        | page
        | options,
    )


def _back(child, incident):
    """After a record is made: back to the incident it was made on, or to the case file."""
    if incident is not None:
        return redirect("incidents:view", pk=incident.pk)
    return redirect("case_pages:student", pk=child.pk)


def _acting(request) -> dict:
    return {"actor": request.user, "request": request}


@requires("keep_case_file")
def start_status(request, pk):
    def save(form, child, incident):
        status = services.start_status(
            **_acting(request), student=child, incident=incident, **form.status()
        )
        return f"{status.label} started on {status.started_on:%-d %B %Y}."

    kinds = selectors.school_statuses(request.user.school_id)
    return _record_page(
        request,
        pk,
        form_class=forms.StartStatusForm,
        title="Start a status",
        intro="The status stays open until you end it; both dates are kept and appear on the "
        "chronology.",
        button="Start status",
        save=save,
        initial={"kind": request.GET.get("kind", ""), "started_on": _today()},
        form_options={"school_kinds": kinds},
    )


@requires("keep_case_file")
def end_status(request, pk, status):
    child = get_student_for_user(request, pk, "case_file")
    found = selectors.status_for(Viewer.of(request), child, status)
    if found is None:
        raise Http404("No such status")

    def save(form, child, incident):
        ended = services.end_status(
            **_acting(request),
            status=found,
            ended_on=form.cleaned_data["ended_on"],
            note=form.cleaned_data["note"],
        )
        return f"{ended.label} ended on {ended.ended_on:%-d %B %Y}."

    return _record_page(
        request,
        pk,
        form_class=forms.EndStatusForm,
        title=f"End {found.label}",
        intro=f"Started on {found.started_on:%-d %B %Y}. The start and end dates are both kept.",
        button="End status",
        save=save,
        initial={"ended_on": _today()},
    )


@requires("keep_case_file")
def set_risk(request, pk):
    levels = selectors.risk_levels(request.user.school_id)

    def save(form, child, incident):
        risk = services.set_risk(
            **_acting(request),
            student=child,
            level=form.cleaned_data["level"],
            reason=form.cleaned_data["reason"],
            set_on=form.cleaned_data["set_on"],
        )
        return f"Risk level set to {risk.level}."

    return _record_page(
        request,
        pk,
        form_class=forms.RiskForm,
        title="Set the risk level",
        intro="The earlier levels and their reasons stay in the risk level’s history.",
        button="Set risk level",
        save=save,
        initial={"set_on": _today()},
        form_options={"levels": levels},
    )


@requires("keep_case_file")
def add_referral(request, pk):
    def save(form, child, incident):
        referral = services.make_referral(
            **_acting(request), student=child, incident=incident, **form.referral()
        )
        return (
            f"Referral to {referral.to_label} recorded. Feedback is due by "
            f"{referral.feedback_due_on:%-d %B %Y}."
        )

    return _record_page(
        request,
        pk,
        form_class=forms.ReferralForm,
        title="Make a referral",
        intro="Record the referral as it was made. Until its outcome is recorded it is chased "
        "on “Awaiting feedback” once feedback is due.",
        button="Record referral",
        save=save,
        initial=forms.ReferralForm.first_values(request.user),
        form_options={
            "agencies": selectors.agencies_to_refer_to(),
            "colleagues": list(active_colleagues().order_by("last_name", "first_name")),
        },
    )


@requires("keep_case_file")
def referral_outcome(request, pk, referral):
    child = get_student_for_user(request, pk, "case_file")
    found = selectors.referral_for(Viewer.of(request), child, referral)
    if found is None:
        raise Http404("No such referral")

    def save(form, child, incident):
        services.record_referral_outcome(
            **_acting(request),
            referral=found,
            outcome=form.cleaned_data["outcome"],
            outcome_on=form.cleaned_data["outcome_on"],
        )
        return f"Feedback from {found.to_label} recorded."

    return _record_page(
        request,
        pk,
        form_class=forms.ReferralOutcomeForm,
        title=f"Feedback from {found.to_label}",
        intro=f"The referral of {found.made_on:%-d %B %Y}"
        + (f", reference {found.reference}" if found.reference else "")
        + f". Feedback was due by {found.feedback_due_on:%-d %B %Y}.",
        button="Record feedback",
        save=save,
        initial={"outcome_on": _today()},
        referral=found,
        referral_reason=NamesShown.of(request).texts_about([child])(found.reason),
    )


@requires("keep_case_file")
def add_decision(request, pk):
    def save(form, child, incident):
        decision = services.record_decision(
            **_acting(request),
            student=child,
            incident=incident,
            kind=form.cleaned_data["kind"],
            what=form.cleaned_data["what"],
            reason=form.cleaned_data["reason"],
            decided_on=form.cleaned_data["decided_on"],
        )
        return f"Decision recorded: {decision.get_kind_display()}."

    return _record_page(
        request,
        pk,
        form_class=forms.DecisionForm,
        title="Record a decision",
        intro="Every decision is recorded with its reason, including “No further action”.",
        button="Record decision",
        save=save,
        initial={"decided_on": _today()},
    )


@requires("keep_case_file")
def add_sharing(request, pk):
    def save(form, child, incident):
        shared = form.cleaned_data["shared"] == "yes"
        services.record_sharing(
            **_acting(request),
            student=child,
            incident=incident,
            shared=shared,
            what=form.cleaned_data["what"],
            with_whom=form.cleaned_data["with_whom"],
            why=form.cleaned_data["why"],
            basis=form.cleaned_data["basis"],
            on=form.cleaned_data["on"],
        )
        return (
            "Information sharing recorded." if shared else "The decision not to share is recorded."
        )

    return _record_page(
        request,
        pk,
        form_class=forms.SharingForm,
        title="Record information shared or not shared",
        intro="Record what was shared, with whom, why and on what basis, or why it was not shared.",
        button="Record",
        save=save,
        initial={"on": _today()},
    )


@requires("keep_case_file")
def open_case(request, pk):
    def save(form, child, incident):
        services.open_case(
            **_acting(request),
            student=child,
            opened_on=form.cleaned_data["opened_on"],
            next_review_on=form.cleaned_data["next_review_on"],
        )
        return "Case opened."

    return _record_page(
        request,
        pk,
        form_class=forms.OpenCaseForm,
        title="Open a case",
        intro="A case opens by itself when the first status, risk level or referral is "
        "recorded. Open one here to set its first review.",
        button="Open case",
        save=save,
        initial={"opened_on": _today()},
    )


def _open_case_or_404(child):
    case = selectors.open_case(child)
    if case is None:
        raise Http404("No open case")
    return case


@requires("keep_case_file")
def review(request, pk):
    child = get_student_for_user(request, pk, "case_file")
    case = _open_case_or_404(child)

    def save(form, child, incident):
        signed = services.sign_off_review(
            **_acting(request),
            case=case,
            reviewed_on=form.cleaned_data["reviewed_on"],
            note=form.cleaned_data["note"],
            next_review_on=form.cleaned_data["next_review_on"],
        )
        return f"Review signed off. The next review is on {signed.next_review_on:%-d %B %Y}."

    due = case.next_review_on
    return _record_page(
        request,
        pk,
        form_class=forms.ReviewForm,
        title="Sign off a review",
        intro=f"This review was due on {due:%-d %B %Y}." if due else "",
        button="Sign off review",
        save=save,
        initial={"reviewed_on": _today()},
    )


@requires("keep_case_file")
def close_case(request, pk):
    child = get_student_for_user(request, pk, "case_file")
    case = _open_case_or_404(child)

    def save(form, child, incident):
        services.close_case(
            **_acting(request),
            case=case,
            closed_on=form.cleaned_data["closed_on"],
            outcome=form.cleaned_data["outcome"],
            outcome_text=form.cleaned_data["outcome_text"],
        )
        return "Case closed with its outcome."

    return _record_page(
        request,
        pk,
        form_class=forms.CloseCaseForm,
        title="Close the case",
        intro="A case closes only with its outcome. Its records stay on the file.",
        button="Close case",
        save=save,
        initial={"closed_on": _today()},
    )


@requires("keep_case_file")
def correct(request, pk, record_type, record):
    """A key holder corrects a case-file record; what it said before is kept, with why."""
    child = get_student_for_user(request, pk, "case_file")
    found = selectors.record_for(Viewer.of(request), child, record_type, record)
    if found is None:
        raise Http404("No such record")
    fields = services.correctable_fields(found)

    def save(form, child, incident):
        services.correct_record(
            **_acting(request),
            target=found,
            values={field: form.cleaned_data[field] for field in fields},
            reason=form.cleaned_data["correction_reason"],
        )
        return "Your correction has been added. What the record said before is kept."

    return _record_page(
        request,
        pk,
        form_class=forms.correction_form(found, fields),
        title=f"Correct {services.RECORD_NAMES[record_type]}",
        intro="A record is never changed unseen: your correction is added to it, and what it "
        "said before stays in its history and on the chronology, with your name, the time and "
        "your reason.",
        button="Add correction",
        save=save,
        initial={field: getattr(found, field) for field in fields},
        holds_text=True,
    )


def _today():
    return timezone.localdate()


@requires("keep_case_file")
def caseload(request):
    """The DSL team's open cases: status, risk, next review, referrals awaiting feedback and
    unread alerts, sortable and filterable."""
    viewer = Viewer.of(request)
    school_id = request.user.school_id
    levels = selectors.risk_levels(school_id)
    form = forms.CaseloadForm(
        request.GET or None, levels=levels, school_kinds=selectors.school_statuses(school_id)
    )
    cases = selectors.caseload(viewer, form.chosen())
    page = Paginator(cases, CASELOAD_PAGE_SIZE).get_page(page_number(request.GET.get("page")))
    statuses = selectors.open_statuses_of(viewer, [case.student_id for case in page])
    names = NamesShown.of(request)
    rows = [
        {
            "case": case,
            "label": names.label(case.student),
            "statuses": statuses.get(case.student_id, []),
        }
        for case in page
    ]
    record(action="caseload.viewed", request=request, detail={"results": len(rows)})
    return render(
        request,
        "case_pages/caseload.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "today": _today(),
            "awaiting_url": reverse("case_pages:awaiting_feedback"),
        },
    )


@requires("keep_case_file")
def awaiting_feedback(request):
    """Referrals whose feedback is overdue, for the DSL team to chase."""
    referrals = list(selectors.awaiting_feedback(Viewer.of(request))[:200])
    names = NamesShown.of(request)
    record(
        action="caseload.awaiting_feedback_viewed",
        request=request,
        detail={"results": len(referrals)},
    )
    return render(
        request,
        "case_pages/awaiting_feedback.html",
        {
            "referrals": [
                {"referral": referral, "label": names.label(referral.student)}
                for referral in referrals
            ],
            "today": _today(),
        },
    )
