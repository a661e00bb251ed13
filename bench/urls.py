"""Kestrel's URLs plus the floor: a bare view that `make bench` compares every page with."""

from django.http import HttpResponse
from django.urls import path

from kestrel.access.decorators import requires
from kestrel.access.policy import PUBLIC
from kestrel.urls import urlpatterns as kestrel_urlpatterns


@requires(PUBLIC)
def floor(request):
    """As little as a Django view can do: what the server, middleware and session cost alone."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *kestrel_urlpatterns]
