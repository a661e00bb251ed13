"""The transfer pages (being written)."""

from django.http import Http404


def _todo(request, pk=None):
    raise Http404


transfer_log = reminders = transfer = destination = prepare = send_paper = _todo
paper_receipt = informed = cancel = mark_left = _todo
