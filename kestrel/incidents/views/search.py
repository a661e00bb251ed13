"""The "Alert Staff Members" type-ahead (Add Incident and Add Action)."""

from django.http import JsonResponse

from kestrel.access.decorators import requires
from kestrel.accounts.selectors import find_colleagues
from kestrel.ids import is_id
from kestrel.incidents import selectors
from kestrel.incidents.doors import get_incident_for_user
from kestrel.incidents.policies import IncidentShape
from kestrel.incidents.views.form_parts import colleague


@requires("signed_in")
def staff_search(request):
    """Type-ahead results for "Alert Staff Members": active colleagues of the user's school whose
    name, job title or email address holds every word typed, ignoring case and accents (never
    the user: they cannot alert themselves). Asked for chosen colleagues by id (`id`) with the
    incident's categories (`category`) or the incident (`incident`, on Add Action), each result
    says whether they would normally be able to view it (`normally`: the red names)."""
    found = find_colleagues(
        user=request.user,
        ids=[pk for pk in request.GET.getlist("id") if is_id(pk)][:MOST_CHOSEN],
        query=request.GET.get("q", "")[:100],
    )
    incident = _incident_asked_about(request)
    if incident is None:
        return JsonResponse({"results": [colleague(user) for user in found]})
    found = selectors.with_normally(found, incident)
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
    rank = selectors.required_rank_of(ids)
    if rank is None:
        return None
    return IncidentShape(school_id=request.school.pk, required_rank=rank)
