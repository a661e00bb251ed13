"""The import's tasks. Each may run twice (a worker killed mid-task is run again by the
supervisor): checking starts its preview again, applying carries on from the rows not applied."""

from django.tasks import task

from kestrel.roster import work
from kestrel.roster.models import RosterImport, State
from kestrel.schools.scope import in_school_of


@task
def check_import(import_id: int) -> None:
    """Reads the uploaded file and writes its preview."""
    with in_school_of(RosterImport, import_id):
        roster_import = RosterImport.objects.filter(pk=import_id, state=State.CHECKING).first()
        if roster_import is not None:  # not cancelled meanwhile
            work.check(roster_import)


@task
def apply_import(import_id: int) -> None:
    """Applies the confirmed preview."""
    with in_school_of(RosterImport, import_id):
        roster_import = (
            RosterImport.objects.select_related("confirmed_by", "school")
            .filter(pk=import_id, state=State.APPLYING)
            .first()
        )
        if roster_import is not None:
            work.apply(roster_import)
