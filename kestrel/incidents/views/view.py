"""Viewing Incident."""

from django.db import transaction
from django.shortcuts import render

from kestrel.access.decorators import requires
from kestrel.access.doors import get_incident_for_user
from kestrel.access.keys import key_unlocked
from kestrel.access.policies import INCIDENTS
from kestrel.access.records import Viewer
from kestrel.alerts.models import Alert
from kestrel.alerts.selectors import PEOPLE_NAME_COLUMNS
from kestrel.audit.services import record
from kestrel.incidents import services
from kestrel.students.names import display_label, names_hidden, text_as_shown

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
