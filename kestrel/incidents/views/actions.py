"""Add Action, below an incident."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.access.refusals import record_refused_choices
from kestrel.incidents import selectors, services
from kestrel.incidents.doors import get_incident_for_user
from kestrel.incidents.forms import AddActionForm
from kestrel.incidents.views.form_parts import (
    files_context,
    fresh_initial,
    read_agencies_once,
    refused,
    staff_chooser,
)
from kestrel.students.names import NamesShown

# Saving needs the incident alone; the page shows its linked students and corrections too.
SHOWN_ON_PAGE = ("links", "corrections")


@requires("signed_in")
def add_action(request, pk):
    """The guide's Add Action, below an incident the user may see."""
    shown = () if request.method == "POST" else SHOWN_ON_PAGE
    incident = get_incident_for_user(request, pk, "add_action", relations=shown)
    form = AddActionForm(
        request.POST or None,
        school=request.school,
        student=incident.student,
        hide_names=NamesShown.of(request).hidden,
        initial=fresh_initial(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            _add_action(request, incident, form)
        except ValidationError as error:
            refused(form, error, request)
        else:
            notices.success(request, "Your action has been added.")
            return redirect("incidents:view", pk=incident.pk)
    if request.method == "POST":  # refused: the page again, with what it shows
        record_refused_choices(request, form)
        incident = get_incident_for_user(request, pk, "add_action", relations=SHOWN_ON_PAGE)
    services.record_viewed(request=request, incident=incident, page="add_action")
    return render(request, "incidents/add_action.html", _page(request, form, incident))


def _add_action(request, incident, form) -> None:
    data = form.cleaned_data
    services.add_action(
        actor=request.user,
        request=request,
        incident=incident,
        text=data["text"],
        child_words=data["child_words"],
        occurred_at=data["occurred_at"],
        agencies=data["agencies"],
        add_to_linked_students=data["add_to_linked_students"],
        share_documents=data["share_documents"],
        alert_recipients=form.recipients(),
        submission_key=f"{request.user.pk}:{data['submission']}",
        file_ids=request.POST.getlist("files"),
    )


def _page(request, form, incident) -> dict:
    names = NamesShown.of(request)
    shown = names.texts_about(selectors.students_about(incident))
    text, occurred_at = services.current_version(incident)
    # Everyone alerted to the incident, and whoever recorded it: they need to know what was done.
    alerted = selectors.alerted_about(incident)
    recipients = [user.pk for user in alerted] + [incident.reporter_id]
    read_agencies_once(form)
    return {
        "form": form,
        "incident": incident,
        "label": names.label(incident.student),
        "text": shown(text),
        "occurred_at": occurred_at,
        "incident_recipients": recipients,
        **files_context(request),
        "chooser": {
            **staff_chooser(request, form, known=[*alerted, incident.reporter]),
            "incident": incident.pk,
            "incidentRecipients": recipients,
        },
    }
