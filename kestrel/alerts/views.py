"""Alerts: the guide's "next alert" and "mark as read". (The Dashboard, where alerts are listed,
is `kestrel.incidents.views.dashboard`.)"""

from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.alerts import services
from kestrel.alerts.doors import find_alert_for_user, get_alert_for_user
from kestrel.alerts.selectors import next_unread_incident
from kestrel.ids import is_id


@requires("signed_in")
def next_alert(request):
    """The guide's "next alert": the newest unread alert other than the one being read."""
    after = request.GET.get("after", "")
    # Another person's alert tells them nothing, but asking for it is on the record (the door).
    current = find_alert_for_user(request, after) if is_id(after) else None
    following = next_unread_incident(request.user, current)
    if following is None:
        notices.info(request, "You have no other unread alerts.")
        return redirect("dashboard")
    return redirect("incidents:view", pk=following)


@requires("signed_in")
@require_POST
def mark_as_read(request, pk):
    alert = get_alert_for_user(request, pk, "mark_as_read")
    services.mark_as_read(actor=request.user, alert=alert, request=request)
    notices.success(request, "The alert has been marked as read.")
    return redirect("dashboard")
