from django.apps import AppConfig


class RosterConfig(AppConfig):
    """The school's roster from its management information system (MIS): students by CSV, Excel
    or the DfE's Common Transfer File, and staff by CSV, previewed before anything changes and
    applied as a task; joiners added, leavers marked as left, never deleted."""

    name = "kestrel.roster"
    label = "roster"
