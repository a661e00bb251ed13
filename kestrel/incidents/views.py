"""Incident pages: Viewing Incident (Add Incident comes with its form)."""

from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render

from kestrel.access.decorators import requires
from kestrel.access.keys import key_unlocked
from kestrel.access.records import Viewer
from kestrel.alerts.models import Alert
from kestrel.audit.services import record
from kestrel.incidents.selectors import incident_for_page
from kestrel.students.names import display_label, mask_text, names_hidden


@requires("signed_in")
def add_incident(request):
    return render(
        request,
        "unavailable.html",
        {"title": "Add Incident", "feature": "Recording incidents"},
    )


@requires("signed_in")
def view_incident(request, pk):
    """The guide's "Viewing Incident - Hannah Greenwood (1B)"."""
    viewer = Viewer.of(request)
    incident = incident_for_page(viewer, pk)
    if incident is None:
        if request.user.is_key_holder and not key_unlocked(request):
            return redirect(f"/key/?next={request.path}")
        with transaction.atomic():
            record(action="access.refused", request=request, detail={"incident": pk})
        raise Http404("No incident you may open")
    with transaction.atomic():
        record(action="incident.viewed", request=request, obj=incident, student=incident.student)
    hidden = names_hidden(request)
    people = [incident.student, *(link.student for link in incident.links.all())]
    alert = (
        Alert.objects.filter(incident=incident, recipient=request.user, read_at__isnull=True)
        .select_related("sender")
        .first()
    )
    return render(
        request,
        "incidents/view.html",
        {
            "incident": incident,
            "label": display_label(incident.student, hidden=hidden),
            "text": mask_text(incident.text, people) if hidden else incident.text,
            "actions": [
                (action, mask_text(action.text, people) if hidden else action.text)
                for action in incident.actions.all()
            ],
            "alert": alert,
        },
    )
