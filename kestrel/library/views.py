"""The Library: documents and guidance the DSL publishes for staff."""

from django.shortcuts import render

from kestrel.access.decorators import requires


@requires("signed_in")
def library(request):
    return render(
        request,
        "unavailable.html",
        {"title": "Library", "feature": "The Library of policies and guidance"},
    )
