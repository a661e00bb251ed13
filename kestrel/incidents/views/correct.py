"""Correct an incident (key holders)."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.incidents import services
from kestrel.incidents.doors import get_incident_for_user
from kestrel.incidents.forms import CorrectionForm
from kestrel.incidents.views.form_parts import refused
from kestrel.students.names import NamesShown


@requires("use_key")
def correct_incident(request, pk):
    """A key holder corrects an incident; the original stays, with who changed what and when."""
    incident = get_incident_for_user(request, pk, "correct")
    names = NamesShown.of(request)
    form = CorrectionForm(
        request.POST or None,
        school=request.school,
        student=incident.student,
        hide_names=names.hidden,
        initial=_as_it_stands(incident),
    )
    # The form holds the incident's words, names and all: not sent or taken under Hide Names.
    if request.method == "POST" and not names.hidden and form.is_valid():
        try:
            _add_correction(request, incident, form)
        except ValidationError as error:
            refused(form, error)
        else:
            notices.success(request, "Your correction has been added. The original is kept.")
            return redirect("incidents:view", pk=incident.pk)
    return render(
        request,
        "incidents/correct.html",
        {
            "form": form,
            "incident": incident,
            "label": names.label(incident.student),
            "withheld": names.hidden,
        },
    )


def _as_it_stands(incident) -> dict:
    """The form's first values: the incident's text and date as corrected so far."""
    text, occurred_at = services.current_version(incident)
    local = timezone.localtime(occurred_at)
    return {"text": text, "occurred_on": local.date(), "occurred_time": local.strftime("%H:%M")}


def _add_correction(request, incident, form) -> None:
    services.add_correction(
        actor=request.user,
        request=request,
        incident=incident,
        text=form.cleaned_data["text"],
        occurred_at=form.cleaned_data.get("occurred_at"),
        reason=form.cleaned_data["reason"],
    )
