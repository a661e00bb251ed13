"""Add Incident, and the drafts it saves as it is typed."""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.access.refusals import reason_for, record_refusal, record_refused_choices
from kestrel.ids import is_id
from kestrel.incidents import drafts, services
from kestrel.incidents.forms import AddIncidentForm
from kestrel.incidents.models import Draft
from kestrel.incidents.views.form_parts import (
    files_context,
    read_agencies_once,
    refused,
    staff_chooser,
)
from kestrel.students.models import Student
from kestrel.students.names import display_label, names_hidden


@requires("signed_in")
def add_incident(request):
    """The guide's Add Incident page."""
    now = timezone.localtime()
    initial = {
        "occurred_on": now.date(),
        "occurred_time": now.strftime("%H:%M"),
        "submission": uuid.uuid4().hex,
    }
    resumed = None
    if request.method == "GET" and request.GET.get("draft"):
        asked = request.GET["draft"][:64].replace("\x00", "")
        resumed = drafts.drafts_of(request.user).filter(submission=asked).first()
        if resumed is not None:
            initial.update(_initial_from_draft(resumed))
        elif not Draft.objects.filter(author=request.user, submission=asked).exists():
            # Someone else's unfinished incident (or none): a blank form, and it is on the record.
            refused_draft(request, asked)
    form = AddIncidentForm(
        request.POST or None,
        school=request.school,
        initial=initial,
        hide_names=names_hidden(request),
    )
    monitor = set(request.POST.getlist("link_monitor")) if request.POST else set()
    share = set(request.POST.getlist("link_share")) if request.POST else set()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.add_incident(
                actor=request.user,
                request=request,
                student=data["student"],
                text=data["text"],
                categories=data["categories"],
                occurred_at=data["occurred_at"],
                linked_students=[
                    {
                        "student": linked,
                        "monitor_same_category": str(linked.pk) in monitor,
                        "share_documents": str(linked.pk) in share,
                    }
                    for linked in data["linked_students"]
                ],
                agencies=data["agencies"],
                alert_recipients=form.recipients(),
                submission_key=f"{request.user.pk}:{data['submission']}",
                file_ids=request.POST.getlist("files"),
                markers=data["markers"],
                draft=data["submission"],
            )
        except ValidationError as error:
            refused(form, error)
        else:
            alerted = getattr(incident, "alerted", None)
            if alerted is None:  # the same form sent twice: the first one's incident
                drafts.discard(actor=request.user, submission=data["submission"])
                alerted = incident.alerts.filter(action__isnull=True).count()
            notices.success(
                request,
                "The incident has been added"
                + (
                    f" and {alerted} colleague{'s' if alerted != 1 else ''} alerted."
                    if alerted
                    else "."
                ),
            )
            return redirect("incidents:view", pk=incident.pk)
    if request.method == "POST":
        record_refused_choices(request, form)
        drafts.save_draft(actor=request.user, post=request.POST)  # refused: keep it safe too
    context = add_incident_context(
        request, form, draft_files=(resumed.data.get("files", []) if resumed else [])
    )
    context["other_drafts"] = list(
        drafts.drafts_of(request.user).exclude(submission=form["submission"].value())[:5]
    )
    return render(request, "incidents/add.html", context)


def refused_draft(request, submission: str) -> None:
    reason = reason_for(request, Draft, submission=submission)
    record_refusal(request, kind="draft", asked=submission, reason=reason)


def _initial_from_draft(draft) -> dict:
    data = draft.data
    initial = {key: data[key] for key in drafts.FIELDS & data.keys()}
    initial["submission"] = draft.submission
    try:
        initial["occurred_on"] = datetime.date(
            int(data["occurred_on_2"]), int(data["occurred_on_1"]), int(data["occurred_on_0"])
        )
    except (KeyError, ValueError):
        initial.pop("occurred_on", None)
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
    hidden = names_hidden(request)
    school = request.school
    categories = list(form.fields["categories"].queryset.order_by("position", "name"))
    chosen_ids = {str(value) for value in form["categories"].value() or []}
    main = [
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
    student = _chosen(form, "student", school)
    read_agencies_once(form)
    return {
        **files_context(request, extra_ids=draft_files),
        "form": form,
        "main_categories": main,
        "chooser": {
            **staff_chooser(request, form),
            "searchUrl": reverse("students:search"),
        },
        "chosen_student": student and display_label(student, hidden=hidden),
        "chosen_student_id": student and student.pk,
        "chosen_links": [
            {
                "id": linked.pk,
                "label": display_label(linked, hidden=hidden),
                "monitor": str(linked.pk) in _chosen_options(request, form, "link_monitor"),
                "share": str(linked.pk) in _chosen_options(request, form, "link_share"),
            }
            for linked in _chosen_many(form, "linked_students", school)
        ],
    }


def _chosen_options(request, form, name) -> list[str]:
    """A linked student's ticked choices: from the refused submit, or the resumed draft."""
    return request.POST.getlist(name) if request.POST else list(form.initial.get(name, []))


def _chosen(form, name, school):
    value = form[name].value()
    if not is_id(value):
        return None
    return Student.objects.filter(school=school, pk=value).first()


def _chosen_many(form, name, school):
    values = [str(value) for value in form[name].value() or [] if is_id(value)]
    return list(Student.objects.filter(school=school, pk__in=values)) if values else []
