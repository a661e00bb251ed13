"""Preparing the file to send: the whole-file export made for the transfer (its cover says so,
its last page is the receipt slip), and downloading it to print. Shared by the three routes."""

from collections.abc import Iterator

from django.db import transaction

from kestrel.audit.services import record
from kestrel.exports import storage
from kestrel.exports.models import ExportRequest
from kestrel.exports.tasks import make_export
from kestrel.tasks import enqueue_with_transaction
from kestrel.transfers import services
from kestrel.transfers.models import Transfer


def prepare_file(*, actor, transfer: Transfer, request=None) -> ExportRequest:
    """Asks for the file to send (the whole file, never redacted), made by a task. Refused
    (NotLeft, NotOpen) before the child has left or once sent."""
    services.check_can_send(transfer)
    with transaction.atomic():
        export = ExportRequest.objects.create(
            school=transfer.school, student=transfer.student, requested_by=actor, redacted=False
        )
        Transfer.objects.filter(pk=transfer.pk).update(export=export)
        transfer.export = export
        record(
            action="export.requested",
            actor=actor,
            request=request,
            obj=export,
            student=transfer.student,
            detail={"redacted": False, "transfer": transfer.pk},
        )
        enqueue_with_transaction(make_export, export.pk)
    return export


def open_to_print(*, actor, transfer: Transfer, request=None) -> Iterator[bytes]:
    """The prepared file's PDF, decrypted a piece at a time; the download is audited."""
    export = transfer.export
    with transaction.atomic():
        record(
            action="export.downloaded",
            actor=actor,
            request=request,
            obj=export,
            student=transfer.student,
            detail={"redacted": False, "sha256": export.sha256, "transfer": transfer.pk},
        )
    return storage.pieces(export.stored_name)
