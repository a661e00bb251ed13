"""The Dashboard: the page after sign-in, with the user's alerts and their own recent history."""

from django.shortcuts import render

from kestrel.access.decorators import requires


@requires("signed_in")
def dashboard(request):
    # Alerts (issue 6) and the user's own incidents and actions (issue 5) fill these sections.
    return render(request, "alerts/dashboard.html", {"alerts": [], "history": []})
