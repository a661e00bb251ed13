"""The export's task. It may run twice (a worker killed mid-task is run again): a second run
makes the PDF again from the start."""

from django.tasks import task

from kestrel.exports import services
from kestrel.exports.models import ExportRequest, State
from kestrel.schools.scope import in_school_of


@task
def make_export(export_id: int) -> None:
    """Makes the PDF of a child's whole file that a key holder asked for."""
    with in_school_of(ExportRequest, export_id):
        export = (
            ExportRequest.objects.select_related("student__school", "requested_by__access_level")
            .filter(pk=export_id, state__in=[State.WAITING, State.WORKING])
            .first()
        )
        if export is not None:
            try:
                services.make(export)
            except Exception:
                # The page stops waiting and says so; the error goes to the worker's log.
                services.failed(export)
                raise
