"""Acknowledging an Operation Encompass notification (the DSL team, from Viewing Incident)."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.incidents import services
from kestrel.incidents.doors import get_incident_for_user


@requires("use_key")
@require_POST
def acknowledge(request, pk):
    incident = get_incident_for_user(request, pk, "acknowledge_encompass", relations=())
    try:
        services.acknowledge_encompass(actor=request.user, incident=incident, request=request)
    except ValidationError as error:
        notices.info(request, error.messages[0])
    else:
        notices.success(request, "The Operation Encompass notification has been acknowledged.")
    return redirect("incidents:view", pk=incident.pk)
