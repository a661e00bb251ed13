"""Incident pages: Viewing Incident (Add Incident comes with its form)."""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.access.doors import get_incident_for_user
from kestrel.access.keys import key_unlocked
from kestrel.access.policies import INCIDENTS, IncidentShape
from kestrel.access.records import Viewer
from kestrel.access.refusals import reason_for, record_refusal, record_refused_choices
from kestrel.accounts.models import User
from kestrel.alerts.models import Alert, AlertGroup
from kestrel.alerts.selectors import PEOPLE_NAME_COLUMNS
from kestrel.audit.services import record
from kestrel.files.checks import ACCEPTED_LABEL, MAX_LABEL
from kestrel.files.models import Attachment
from kestrel.ids import is_id
from kestrel.incidents import drafts, services
from kestrel.incidents.forms import AddActionForm, AddIncidentForm, CorrectionForm
from kestrel.incidents.models import Category, Draft
from kestrel.search import matching
from kestrel.students.models import Student
from kestrel.students.names import display_label, names_hidden, text_as_shown


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


def refused(form, error: ValidationError) -> None:
    """Puts a service's refusal next to the fields it is about (or above the form)."""
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


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


# What the page shows of the incident's alerts: who sent and received each, and when.
RECEIPT_COLUMNS = (
    "incident_id",
    "action_id",
    "created_at",
    "read_at",
    *PEOPLE_NAME_COLUMNS,
)


@requires("signed_in")
def view_incident(request, pk):
    """The guide's "Viewing Incident - Hannah Greenwood (1B)"."""
    viewer = Viewer.of(request)
    incident = get_incident_for_user(request, pk, "open")
    with transaction.atomic():
        record(action="incident.viewed", request=request, obj=incident, student=incident.student)
    hidden = names_hidden(request)
    about = [incident.student, *(link.student for link in incident.links.all())]
    shown = text_as_shown(request, about)
    current_text, current_time = services.current_version(incident)
    corrections = [  # the reason may name a child too
        (correction, shown(correction.text), shown(correction.reason))
        for correction in incident.corrections.all()
    ]
    # Who was alerted and who has read it: for those who see the incident by their key. The
    # viewer's own unread alert comes from the same rows (one query either way).
    shows_receipts = INCIDENTS.can(viewer, "see_receipts", incident)
    alerts = (
        Alert.objects.filter(incident=incident)
        .select_related("sender", "recipient")
        .only(*RECEIPT_COLUMNS)
        .order_by("created_at")
    )
    if not shows_receipts:
        alerts = alerts.filter(recipient=request.user, read_at__isnull=True)
    alerts = list(alerts)
    alert = next(
        (a for a in alerts if a.recipient_id == request.user.pk and a.read_at is None), None
    )
    receipts = alerts if shows_receipts else []
    return render(
        request,
        "incidents/view.html",
        {
            "incident": incident,
            "label": display_label(incident.student, hidden=hidden),
            "text": shown(current_text),
            "occurred_at": current_time,
            "original_text": shown(incident.text),
            "corrections": corrections,
            "can_correct": request.user.is_key_holder,
            "actions": [(action, shown(action.text)) for action in incident.actions.all()],
            "alert": alert,
            "keeps_access": key_unlocked(request) or request.user.is_key_holder,
            "receipts": receipts,
            # A key holder whose key is locked is told that unlocking shows the receipts.
            "receipts_locked": request.user.is_key_holder and not shows_receipts,
            "files": [(file, shown(file.original_name)) for file in incident.attachments.all()],
            "markers": incident.marker_list,
        },
    )


def colleague(user) -> dict:
    """A colleague as the "Alert Staff Members" chooser knows them (no child data)."""
    return {"id": user.pk, "name": user.full_name, "title": user.job_title}


def read_agencies_once(form) -> None:
    """The agency boxes from one query, for the page's "are there any" test and the boxes alike."""
    form.fields["agencies"].choices = [
        (agency.pk, agency.name) for agency in form.fields["agencies"].queryset
    ]


def staff_chooser(request, form, known=()) -> dict:
    """The alert groups the "Alert Staff Members" chooser offers, and the colleagues it must know
    by name before anyone types: group members, people chosen before a refused submit, and
    `known` (users). Others are found by typing (`staff_search`).

    Groups and their members come in one query, which also gives the group checkboxes their
    choices; a group with no active member has no one to alert and is not offered."""
    memberships = (
        AlertGroup.members.through.objects.filter(
            alertgroup__school=request.school,
            alertgroup__is_active=True,
            user__is_active=True,
        )
        .select_related("alertgroup", "user__access_level")
        .order_by("alertgroup__name", "alertgroup_id")
    )
    groups: dict[int, dict] = {}
    people = {user.pk: user for user in known}
    for row in memberships:
        group = groups.setdefault(
            row.alertgroup_id, {"id": row.alertgroup_id, "name": row.alertgroup.name, "members": []}
        )
        group["members"].append(row.user_id)
        people[row.user_id] = row.user
    form.fields["alert_groups"].choices = [
        (group["id"], group["name"]) for group in groups.values()
    ]
    chosen = [str(pk) for pk in form["alert_staff"].value() or [] if is_id(pk)]
    missing = [pk for pk in chosen if int(pk) not in people]
    if missing:
        people.update(
            (user.pk, user)
            for user in form.fields["alert_staff"]
            .queryset.filter(pk__in=missing)
            .select_related("access_level")
        )
    return {
        "staff": [colleague(user) for pk, user in people.items() if pk != request.user.pk],
        "groups": list(groups.values()),
        "chosenStaff": chosen,
        "staffSearchUrl": reverse("staff_search"),
    }


@requires("signed_in")
def staff_search(request):
    """Type-ahead results for "Alert Staff Members": active colleagues of the user's school whose
    name, job title or email address holds every word typed, ignoring case and accents (never
    the user: they cannot alert themselves). Asked for chosen colleagues by id (`id`) with the
    incident's categories (`category`) or the incident (`incident`, on Add Action), each result
    says whether they would normally be able to view it (`normally`: the red names)."""
    colleagues = User.objects.filter(school=request.school, is_active=True).exclude(
        pk=request.user.pk
    )
    ids = [pk for pk in request.GET.getlist("id") if is_id(pk)][:MOST_CHOSEN]
    if ids:
        found = colleagues.filter(pk__in=ids).order_by("last_name", "first_name")
    else:
        found = matching(colleagues, request.GET.get("q", "")[:100])
        found = found.order_by("last_name", "first_name")[:20]
    incident = _incident_asked_about(request)
    if incident is None:
        return JsonResponse({"results": [colleague(user) for user in found]})
    normally = INCIDENTS.users_who_can("open", incident).filter(pk=OuterRef("pk"))
    found = found.annotate(normally=Exists(normally))
    return JsonResponse(
        {"results": [{**colleague(user), "normally": user.normally} for user in found]}
    )


MOST_CHOSEN = 200  # colleagues asked about at once: more than any alert is sent to


def _incident_asked_about(request) -> IncidentShape | None:
    """The incident the chooser asks about, by its categories alone (red names are about who
    may see it by its categories, not who has been alerted): on Add Action the incident's own,
    through its door; on Add Incident the categories ticked. None when none are ticked."""
    asked = request.GET.get("incident", "")
    if is_id(asked):
        incident = get_incident_for_user(request, int(asked), "add_action", relations=())
        return IncidentShape(school_id=incident.school_id, required_rank=incident.required_rank)
    ids = [pk for pk in request.GET.getlist("category") if is_id(pk)][:MOST_CHOSEN]
    ranks = Category.objects.filter(school=request.school, pk__in=ids).values_list(
        "access_level__rank", flat=True
    )
    ranks = list(ranks) if ids else []
    if not ranks:
        return None
    # As Add Incident fixes it when the incident is saved: the highest of its categories'.
    return IncidentShape(school_id=request.school.pk, required_rank=max(ranks))


@requires("signed_in")
def add_action(request, pk):
    """The guide's Add Action, below an incident the user may see."""
    # Saving needs the incident alone; the page shows its linked students and corrections too.
    shown_on_page = ("links", "corrections")
    shown = () if request.method == "POST" else shown_on_page
    incident = get_incident_for_user(request, pk, "add_action", relations=shown)
    now = timezone.localtime()
    form = AddActionForm(
        request.POST or None,
        school=request.school,
        student=incident.student,
        hide_names=names_hidden(request),
        initial={
            "occurred_on": now.date(),
            "occurred_time": now.strftime("%H:%M"),
            "submission": uuid.uuid4().hex,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_action(
                actor=request.user,
                request=request,
                incident=incident,
                text=data["text"],
                occurred_at=data["occurred_at"],
                agencies=data["agencies"],
                add_to_linked_students=data["add_to_linked_students"],
                share_documents=data["share_documents"],
                alert_recipients=form.recipients(),
                submission_key=f"{request.user.pk}:{data['submission']}",
                file_ids=request.POST.getlist("files"),
            )
        except ValidationError as error:
            refused(form, error)
        else:
            notices.success(request, "Your action has been added.")
            return redirect("incidents:view", pk=incident.pk)
    if request.method == "POST":  # refused: the page again, with what it shows
        record_refused_choices(request, form)
        incident = get_incident_for_user(request, pk, "add_action", relations=shown_on_page)
    with transaction.atomic():
        record(
            action="incident.viewed",
            request=request,
            obj=incident,
            student=incident.student,
            detail={"page": "add_action"},
        )
    hidden = names_hidden(request)
    about = [incident.student, *(link.student for link in incident.links.all())]
    shown = text_as_shown(request, about)
    text, occurred_at = services.current_version(incident)
    # Everyone alerted to the incident, and whoever recorded it: they need to know what was done.
    alerted = [
        alert.recipient
        for alert in incident.alerts.filter(action__isnull=True, recipient__is_active=True)
        .select_related("recipient__access_level")
        .order_by("created_at", "pk")
    ]
    recipients = [user.pk for user in alerted] + [incident.reporter_id]
    read_agencies_once(form)
    return render(
        request,
        "incidents/add_action.html",
        {
            "form": form,
            "incident": incident,
            "label": display_label(incident.student, hidden=hidden),
            "text": shown(text),
            "occurred_at": occurred_at,
            "incident_recipients": recipients,
            **files_context(request),
            "chooser": {
                **staff_chooser(request, form, known=[*alerted, incident.reporter]),
                "incident": incident.pk,
                "incidentRecipients": recipients,
            },
        },
    )


def files_context(request, extra_ids=()) -> dict:
    """The Files field: its limits, and files already uploaded when a submit was refused."""
    ids = [pk for pk in request.POST.getlist("files") if is_id(pk)] if request.POST else []
    ids += [str(pk) for pk in extra_ids if is_id(pk)]
    chosen = Attachment.objects.filter(
        pk__in=ids, uploaded_by=request.user, incident__isnull=True, action__isnull=True
    )
    return {
        "files_limit": MAX_LABEL,
        "files_accepted": ACCEPTED_LABEL,
        "chosen_files": list(chosen) if ids else [],
    }


@requires("use_key")
def correct_incident(request, pk):
    """A key holder corrects an incident; the original stays, with who changed what and when."""
    incident = get_incident_for_user(request, pk, "correct")
    text, occurred_at = services.current_version(incident)
    local = timezone.localtime(occurred_at)
    form = CorrectionForm(
        request.POST or None,
        school=request.school,
        student=incident.student,
        hide_names=names_hidden(request),
        initial={
            "text": text,
            "occurred_on": local.date(),
            "occurred_time": local.strftime("%H:%M"),
        },
    )
    if request.method == "POST" and not names_hidden(request) and form.is_valid():
        try:
            services.add_correction(
                actor=request.user,
                request=request,
                incident=incident,
                text=form.cleaned_data["text"],
                occurred_at=form.cleaned_data.get("occurred_at"),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            refused(form, error)
        else:
            notices.success(request, "Your correction has been added. The original is kept.")
            return redirect("incidents:view", pk=incident.pk)
    hidden = names_hidden(request)
    return render(
        request,
        "incidents/correct.html",
        {
            "form": form,
            "incident": incident,
            "label": display_label(incident.student, hidden=hidden),
            # The form holds the incident's words, names and all: not sent under Hide Names.
            "withheld": hidden,
        },
    )
