"""The Dashboard: the page after sign-in, with the user's alerts and their own recent history."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from kestrel.access.decorators import requires
from kestrel.alerts import services
from kestrel.alerts.models import Alert
from kestrel.alerts.selectors import my_history, overdue_dsl_alerts, unread_alerts


@requires("signed_in")
def dashboard(request):
    overdue = list(overdue_dsl_alerts(request.school)) if request.user.is_key_holder else []
    return render(
        request,
        "alerts/dashboard.html",
        {
            "alerts": list(unread_alerts(request.user)),
            "history": my_history(request.user),
            "overdue": overdue,
        },
    )


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
    following = unread_alerts(request.user).exclude(pk=alert.pk).first()
    if following is not None and request.POST.get("then") == "next":
        return redirect("incidents:view", pk=following.incident_id)
    return redirect("dashboard")
