"""The Dashboard: the page after sign-in, with the user's alerts and their own recent history."""

from django.shortcuts import render

from kestrel.access.decorators import requires
from kestrel.alerts.selectors import my_history, unread_alerts


@requires("signed_in")
def dashboard(request):
    return render(
        request,
        "alerts/dashboard.html",
        {"alerts": list(unread_alerts(request.user)), "history": my_history(request.user)},
    )
