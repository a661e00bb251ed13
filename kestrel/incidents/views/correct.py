"""Correct an incident (key holders)."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.access.doors import get_incident_for_user
from kestrel.incidents import services
from kestrel.incidents.forms import CorrectionForm
from kestrel.incidents.views.form_parts import refused
from kestrel.students.names import display_label, names_hidden


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
