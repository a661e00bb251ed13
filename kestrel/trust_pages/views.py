"""The trust's pages: "Switch school" for those who work at several schools of a trust, and the
trust safeguarding lead's page of the trust's schools side by side (no child's data)."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kestrel import notices
from kestrel.access import working_school
from kestrel.access.decorators import requires
from kestrel.access.policy import allows
from kestrel.accounts import trusts
from kestrel.audit.services import record
from kestrel.trust_pages import selectors


@requires("signed_in")
@require_http_methods(["GET", "POST"])
def switch_school(request):
    """The schools the user may work at; choosing one moves the session there (key locked)."""
    if request.method == "POST":
        school = working_school.switch(request, request.POST.get("school", ""))
        notices.success(request, f"You are working at {school}.")
        return redirect("dashboard")
    return render(
        request,
        "trust_pages/switch.html",
        {
            "schools": trusts.workplaces(request.user),
            "leads_trust": allows(request, "view_trust"),
        },
    )


@requires("view_trust")
def overview(request):
    """The trusts the user leads, each with its schools side by side."""
    views = selectors.trust_views(request.user)
    record(
        action="trust.viewed",
        request=request,
        detail={"trusts": [view.trust.pk for view in views]},
    )
    return render(request, "trust_pages/overview.html", {"trusts": views})
