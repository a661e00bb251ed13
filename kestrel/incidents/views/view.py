"""Viewing Incident."""

from django.shortcuts import render

from kestrel.access.decorators import requires
from kestrel.access.keys import key_unlocked
from kestrel.access.policies import Viewer
from kestrel.incidents import selectors, services
from kestrel.incidents.doors import get_incident_for_user
from kestrel.students.names import NamesShown


@requires("signed_in")
def view_incident(request, pk):
    """The guide's "Viewing Incident - Hannah Greenwood (1B)"."""
    incident = get_incident_for_user(request, pk, "open")
    services.record_viewed(request=request, incident=incident)
    names = NamesShown.of(request)
    shown = names.texts_about(selectors.students_about(incident))
    text, occurred_at = services.current_version(incident)
    alerts = selectors.alerts_on_page(Viewer.of(request), incident)
    return render(
        request,
        "incidents/view.html",
        {
            "incident": incident,
            "label": names.label(incident.student),
            "text": shown(text),
            "child_words": shown(incident.child_words),
            "present": shown(incident.present),
            "occurred_at": occurred_at,
            "original_text": shown(incident.text),
            "corrections": [  # the reason may name a child too
                (correction, shown(correction.text), shown(correction.reason))
                for correction in incident.corrections.all()
            ],
            "can_correct": request.user.is_key_holder,
            "actions": [
                (action, shown(action.text), shown(action.child_words))
                for action in incident.actions.all()
            ],
            "alert": alerts.alert,
            "keeps_access": key_unlocked(request) or request.user.is_key_holder,
            "receipts": alerts.receipts,
            # A key holder whose key is locked is told that unlocking shows the receipts.
            "receipts_locked": request.user.is_key_holder and not alerts.receipts_shown,
            "files": [(file, shown(file.original_name)) for file in incident.attachments.all()],
            "markers": incident.marker_list,
        },
    )
