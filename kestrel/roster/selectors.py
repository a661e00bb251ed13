"""What the import pages read."""

from django.db.models import QuerySet

from kestrel.roster.models import Outcome, RosterImport, RosterRow


def recent_imports(kind: str, count: int = 10) -> QuerySet:
    return RosterImport.objects.filter(kind=kind).select_related("uploaded_by")[:count]


def imports() -> QuerySet:
    """The school's imports (the request's scope), for the pages to find one by id."""
    return RosterImport.objects.select_related("uploaded_by", "confirmed_by")


def preview_rows(roster_import: RosterImport, outcome: str) -> QuerySet:
    """One kind of the preview's rows, in the file's order."""
    return (
        RosterRow.objects.filter(roster_import=roster_import, outcome=outcome)
        .select_related("student", "staff")
        .order_by("row", "id")
    )


def held_rows(roster_import: RosterImport) -> QuerySet:
    return RosterRow.objects.filter(roster_import=roster_import, outcome=Outcome.HELD)
