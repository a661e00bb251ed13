"""The Dashboard: the page after sign-in, with the user's alerts and their own recent history."""

from django.contrib import messages
from django.db.models import Count, Window
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from kestrel.access.decorators import requires
from kestrel.alerts import services
from kestrel.alerts.models import Alert
from kestrel.alerts.selectors import my_history, overdue_dsl_alerts, unread_alerts

DASHBOARD_ROWS = 50


def _newest(alerts, limit: int = DASHBOARD_ROWS) -> tuple[list, int]:
    """The first `limit` alerts and how many there are in all, in one query."""
    rows = list(alerts.annotate(total=Window(Count("pk")))[:limit])
    return rows, rows[0].total if rows else 0


@requires("signed_in")
def dashboard(request):
    alerts, alerts_total = _newest(unread_alerts(request.user))
    overdue, overdue_total = (
        _newest(overdue_dsl_alerts(request.school)) if request.user.is_key_holder else ([], 0)
    )
    history, history_total = my_history(request.user, limit=DASHBOARD_ROWS)
    return render(
        request,
        "alerts/dashboard.html",
        {
            "alerts": alerts,
            "alerts_total": alerts_total,
            "history": history,
            "history_total": history_total,
            "overdue": overdue,
            "overdue_total": overdue_total,
        },
    )


@requires("signed_in")
def next_alert(request):
    """The guide's "next alert": the newest unread alert other than the one being read."""
    after = request.GET.get("after", "")
    following = unread_alerts(request.user)
    if after.isdigit():
        current = following.filter(pk=after).values_list("incident_id", flat=True)
        following = following.exclude(pk=after).exclude(incident_id__in=current)
    following = following.values_list("incident_id", flat=True).first()
    if following is None:
        messages.info(request, "You have no other unread alerts.")
        return redirect("dashboard")
    return redirect("incidents:view", pk=following)


@requires("signed_in")
@require_POST
def mark_as_read(request, pk):
    alert = get_object_or_404(
        Alert.objects.filter(recipient=request.user, school=request.school).select_related(
            "incident__student"
        ),
        pk=pk,
    )
    services.mark_as_read(actor=request.user, alert=alert, request=request)
    messages.success(request, "The alert has been marked as read.")
    if request.POST.get("then") == "next":
        following = unread_alerts(request.user).values_list("incident_id", flat=True).first()
        if following is not None:
            return redirect("incidents:view", pk=following)
    return redirect("dashboard")
