"""The pages of files received from another school on Kestrel (being written)."""

from django.http import Http404


def _todo(request, pk=None):
    raise Http404


received_list = received = received_match = received_accept = _todo
received_review = received_refuse = received_download = _todo
