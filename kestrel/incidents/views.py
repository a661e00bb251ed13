"""Incident pages."""

from django.shortcuts import render

from kestrel.access.decorators import requires


@requires("signed_in")
def add_incident(request):
    return render(
        request,
        "unavailable.html",
        {"title": "Add Incident", "feature": "Recording incidents"},
    )
