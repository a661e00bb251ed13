"""The Dashboard: the page after sign-in, with the user's alerts and their own recent history."""

from django.shortcuts import render

from kestrel.access.decorators import requires
from kestrel.access.policies import Viewer
from kestrel.alerts import services
from kestrel.alerts.selectors import overdue_dsl_alerts, unread_alerts
from kestrel.casefile.selectors import team_reminders
from kestrel.incidents.dashboard import dashboard_rows, late_encompass, my_history
from kestrel.paging import page_number

# Rows per list: a page of unread alerts at a time (older ones a link away), the oldest overdue
# alerts of the DSL team, and the newest of the user's own week.
ALERTS_PER_PAGE = 25
OVERDUE_SHOWN = 10
HISTORY_SHOWN = 25
ENCOMPASS_SHOWN = 10


@requires("signed_in")
def dashboard(request):
    number = page_number(request.GET.get("page"))
    unread = unread_alerts(request.user)
    offset = (number - 1) * ALERTS_PER_PAGE
    alerts, more_alerts = dashboard_rows(unread, limit=ALERTS_PER_PAGE, offset=offset)
    if not alerts and number > 1:  # past the end (alerts read since): the first page instead
        number = 1
        alerts, more_alerts = dashboard_rows(unread, limit=ALERTS_PER_PAGE)
    overdue, more_overdue = _overdue(request)
    encompass, more_encompass = _late_encompass(request)
    history, more_history = my_history(request.user, limit=HISTORY_SHOWN)
    if alerts or overdue or history or encompass:  # children's names and concerns were shown
        services.record_dashboard_viewed(
            request=request,
            page=number,
            alerts=alerts,
            overdue=overdue,
            history=history,
            encompass=[late.incident_id for late, _ in encompass],
        )
    return render(
        request,
        "alerts/dashboard.html",
        {
            "alerts": alerts,
            "alerts_page": number,
            "more_alerts": more_alerts,
            "history": history,
            "more_history": more_history,
            "overdue": overdue,
            "more_overdue": more_overdue,
            "encompass": encompass,
            "more_encompass": more_encompass,
            "reminders": _reminders(request),
        },
    )


def _overdue(request) -> tuple[list, bool]:
    """The DSL team's oldest overdue alerts (for key holders), each with whether the viewer may
    open its incident (their own unread alert or their key opens it): only then is it a link."""
    if not request.user.is_key_holder:
        return [], False
    overdue_alerts = overdue_dsl_alerts(request.school, oldest=OVERDUE_SHOWN + 1)
    overdue, more = dashboard_rows(overdue_alerts, limit=OVERDUE_SHOWN)
    viewer = Viewer.of(request)
    return [
        (alert, alert.recipient_id == request.user.pk or viewer.key_opens(alert.required_rank))
        for alert in overdue
    ], more


def _late_encompass(request) -> tuple[list, bool]:
    """For the DSL team (key holders): Operation Encompass notifications not acknowledged
    before the next school day, each with whether the viewer's key opens its incident."""
    if not request.user.is_key_holder:
        return [], False
    late, more = late_encompass(request.school, limit=ENCOMPASS_SHOWN)
    viewer = Viewer.of(request)
    return [
        (notification, viewer.key_opens(notification.required_rank)) for notification in late
    ], more


def _reminders(request):
    """For the DSL team (key holders): how many referrals await overdue feedback and how many
    case reviews are overdue (counts, no child named)."""
    if not request.user.is_key_holder:
        return None
    return team_reminders(Viewer.of(request))
