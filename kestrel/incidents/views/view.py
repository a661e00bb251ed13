"""Viewing Incident."""

from django.shortcuts import render

from kestrel.access.decorators import requires
from kestrel.access.keys import key_unlocked
from kestrel.access.policies import Viewer
from kestrel.incidents import selectors, services
from kestrel.incidents.doors import get_incident_for_user
from kestrel.incidents.models import PREVENT_FACTS, EncompassNotification, PreventConcern
from kestrel.incidents.policies import INCIDENTS
from kestrel.students.names import NamesShown


def _encompass(request, incident, shown) -> dict | None:
    """The incident's Operation Encompass notification, if it has one (read with it), and
    whether the viewer may acknowledge it (the DSL team, key unlocked)."""
    try:
        notification = incident.encompass
    except EncompassNotification.DoesNotExist:
        return None
    return {
        "notification": notification,
        "support": shown(notification.support_offered),
        "can_acknowledge": INCIDENTS.can(Viewer.of(request), "acknowledge_encompass", incident),
    }


def _prevent(incident, shown) -> list[tuple[str, str]] | None:
    """The Prevent facts recorded with the incident, if any, as (question, answer)."""
    try:
        concern = incident.prevent
    except PreventConcern.DoesNotExist:
        return None
    return [
        (PreventConcern._meta.get_field(fact).verbose_name, shown(getattr(concern, fact)))
        for fact in PREVENT_FACTS
    ]


def _links(request, incident, shown) -> list[tuple]:
    """The linked students, each with the note for their file for key holders (masked like
    the rest under Hide Names); the row says whether the whole entry is shared with it."""
    key_holder = request.user.is_key_holder
    return [(link, shown(link.note) if key_holder else "") for link in incident.links.all()]


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
            "links": _links(request, incident, shown),
            "alert": alerts.alert,
            "keeps_access": key_unlocked(request) or request.user.is_key_holder,
            "receipts": alerts.receipts,
            # A key holder whose key is locked is told that unlocking shows the receipts.
            "receipts_locked": request.user.is_key_holder and not alerts.receipts_shown,
            "files": [(file, shown(file.original_name)) for file in incident.attachments.all()],
            "markers": incident.marker_list,
            "encompass": _encompass(request, incident, shown),
            "prevent": _prevent(incident, shown),
        },
    )
