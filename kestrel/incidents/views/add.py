"""Add Incident, and the drafts it saves as it is typed."""

import datetime

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.access.refusals import reason_for, record_refusal, record_refused_choices
from kestrel.incidents import drafts, selectors, services
from kestrel.incidents.forms import AddIncidentForm
from kestrel.incidents.models import Draft
from kestrel.incidents.views.form_parts import (
    files_context,
    fresh_initial,
    read_agencies_once,
    refused,
    staff_chooser,
)
from kestrel.students.names import NamesShown


@requires("signed_in")
def add_incident(request):
    """The guide's Add Incident page."""
    initial, resumed = _initial(request)
    form = AddIncidentForm(
        request.POST or None,
        school=request.school,
        initial=initial,
        hide_names=NamesShown.of(request).hidden,
    )
    if request.method == "POST" and form.is_valid():
        try:
            incident = _add_incident(request, form)
        except ValidationError as error:
            refused(form, error, request)
        else:
            notices.success(request, _added(request, incident, form))
            return redirect("incidents:view", pk=incident.pk)
    if request.method == "POST":
        record_refused_choices(request, form)
        drafts.save_draft(actor=request.user, post=request.POST)  # refused: keep it safe too
    context = add_incident_context(
        request, form, draft_files=(resumed.data.get("files", []) if resumed else [])
    )
    context["other_drafts"] = drafts.others(request.user, form["submission"].value())
    return render(request, "incidents/add.html", context)


def _initial(request) -> tuple[dict, Draft | None]:
    """A fresh form's first values, or those of the unfinished incident asked for (`draft`)."""
    initial = fresh_initial()
    # An Operation Encompass notification is usually recorded as it comes in.
    initial["encompass_received_on"] = initial["occurred_on"]
    initial["encompass_received_time"] = initial["occurred_time"]
    if request.method != "GET" or not request.GET.get("draft"):
        return initial, None
    asked = request.GET["draft"][:64].replace("\x00", "")
    resumed, refused_ = drafts.to_resume(actor=request.user, submission=asked)
    if resumed is not None:
        initial.update(_initial_from_draft(resumed))
    elif refused_:
        # Someone else's unfinished incident (or none): a blank form, and it is on the record.
        refused_draft(request, asked)
    return initial, resumed


def _add_incident(request, form):
    data = form.cleaned_data
    return services.add_incident(
        actor=request.user,
        request=request,
        student=data["student"],
        text=data["text"],
        child_words=data["child_words"],
        present=data["present"],
        categories=data["categories"],
        occurred_at=data["occurred_at"],
        linked_students=data["links"],
        agencies=data["agencies"],
        alert_recipients=form.recipients(),
        submission_key=f"{request.user.pk}:{data['submission']}",
        file_ids=request.POST.getlist("files"),
        markers=data["markers"],
        draft=data["submission"],
        encompass=data["encompass_details"],
        prevent=data["prevent_facts"],
    )


def _added(request, incident, form) -> str:
    alerted = services.colleagues_alerted(
        actor=request.user, incident=incident, submission=form.cleaned_data["submission"]
    )
    if not alerted:
        return "The incident has been added."
    colleagues = "colleague" if alerted == 1 else "colleagues"
    return f"The incident has been added and {alerted} {colleagues} alerted."


def refused_draft(request, submission: str) -> None:
    reason = reason_for(request, Draft, submission=submission)
    record_refusal(request, kind="draft", asked=submission, reason=reason)


def _initial_from_draft(draft) -> dict:
    data = draft.data
    initial = {key: data[key] for key in drafts.FIELDS & data.keys()}
    initial.update(drafts.link_notes(data))
    initial["submission"] = draft.submission
    for name in drafts.DATES:
        try:
            initial[name] = datetime.date(
                int(data[f"{name}_2"]), int(data[f"{name}_1"]), int(data[f"{name}_0"])
            )
        except (KeyError, ValueError):
            initial.pop(name, None)
    return initial


@requires("signed_in")
@require_POST
def save_draft(request):
    """Saves Add Incident as it is typed (and when Blank Screen covers it, or the tab closes)."""
    draft = drafts.save_draft(actor=request.user, post=request.POST)
    if draft is None:
        return JsonResponse({"saved": False})
    return JsonResponse(
        {"saved": True, "at": timezone.localtime(draft.updated_at).strftime("%H:%M")}
    )


@requires("signed_in")
@require_POST
def discard_draft(request):
    drafts.discard(actor=request.user, submission=request.POST.get("submission", ""))
    notices.success(request, "The unfinished incident has been discarded.")
    return redirect("incidents:add")


def add_incident_context(request, form, draft_files=()) -> dict:
    """What the Add Incident page shows besides the form: choices and what was already chosen."""
    names = NamesShown.of(request)
    student = selectors.student_chosen(form["student"].value())
    read_agencies_once(form)
    return {
        **files_context(request, extra_ids=draft_files),
        "form": form,
        "main_categories": _categories(form),
        "prevent_offered": form.prevent_offered,
        "prevent_chosen": form.prevent_chosen,
        "chooser": {
            **staff_chooser(request, form),
            "searchUrl": reverse("students:search"),
        },
        "chosen_student": student and names.label(student),
        "chosen_student_id": student and student.pk,
        "chosen_links": _chosen_links(request, form, names),
        # The note box of a student not yet chosen, for the page's script to copy.
        "new_link": {"id": "__id__", "label": ""},
    }


def _chosen_links(request, form, names) -> list[dict]:
    """The linked students chosen before a refused submit (or in the resumed draft), each with
    the choices ticked beside them and the note written for their file, kept as typed."""
    monitor = _chosen_options(request, form, "link_monitor")
    share = _chosen_options(request, form, "link_share")
    whole = _chosen_options(request, form, "link_whole")
    typed = request.POST if request.POST else form.initial
    note_errors = getattr(form, "note_errors", {})
    return [
        {
            "id": linked.pk,
            "label": names.label(linked),
            "monitor": str(linked.pk) in monitor,
            "share": str(linked.pk) in share,
            "whole": str(linked.pk) in whole,
            "note": str(typed.get(f"link_note_{linked.pk}", "")),
            "note_error": note_errors.get(str(linked.pk), ""),
        }
        for linked in selectors.students_chosen(form["linked_students"].value() or [])
    ]


def _categories(form) -> list[dict]:
    """The main categories, each with its subcategories, ticked as the form holds them."""
    categories = list(form.fields["categories"].queryset.order_by("position", "name"))
    chosen_ids = {str(value) for value in form["categories"].value() or []}
    # The Prevent questions are on the page when the school has a Prevent category, shown
    # while one is ticked.
    form.prevent_offered = any(category.is_prevent for category in categories)
    form.prevent_chosen = any(c.is_prevent and str(c.pk) in chosen_ids for c in categories)
    return [
        {
            "category": category,
            "checked": str(category.pk) in chosen_ids,
            "subcategories": [
                {"category": sub, "checked": str(sub.pk) in chosen_ids}
                for sub in categories
                if sub.parent_id == category.pk
            ],
        }
        for category in categories
        if category.parent_id is None
    ]


def _chosen_options(request, form, name) -> list[str]:
    """A linked student's ticked choices: from the refused submit, or the resumed draft."""
    return request.POST.getlist(name) if request.POST else list(form.initial.get(name, []))
