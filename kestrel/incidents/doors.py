"""The door to incidents (see `kestrel.access.doors`)."""

from kestrel.access import doors
from kestrel.access.policies import Viewer
from kestrel.incidents.policies import INCIDENTS
from kestrel.incidents.selectors import RELATED, incident_for_page


def get_incident_for_user(request, pk: int, action: str, *, relations=tuple(RELATED)):
    """The incident with what its page shows (`relations`), if the viewer may do `action`."""
    INCIDENTS.check_action(action)
    viewer = Viewer.of(request)
    incident = incident_for_page(viewer, pk, relations)
    if incident is None:
        doors.not_visible(request, INCIDENTS, viewer, action, pk=pk)
    INCIDENTS.mark_visible(viewer, incident)
    return doors.allowed(request, INCIDENTS, viewer, action, incident, pk)
