"""`manage.py import_roster FILE --school ID`: the nightly drop from an MIS exporting to a folder.

It does what School set-up → Import students (or Import staff) does: the file is checked and its
preview printed; nothing changes without `--apply`. The columns are matched as the school's
administrator last matched them on the web page (a file with a column Kestrel does not know stops
here, asking for that page once). Refused rows, and more than one in ten leaving, stop the import
unless `--leave-out-refused` and `--confirm-leavers` say otherwise, as the page's second
confirmation does. Rows held for a decision are never applied from here: the administrator
decides them on the import's page.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from kestrel.roster import pupils, services, work
from kestrel.roster.models import Kind, Outcome, RosterImport, RosterRow, State
from kestrel.roster.reading import Unreadable
from kestrel.schools.models import School
from kestrel.schools.scope import scope

SHOWN = 20


class Command(BaseCommand):
    help = "Check a roster file from the school's MIS, print what it would change, and --apply it."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--school", type=int, required=True, help="The school's id.")
        parser.add_argument("--kind", choices=Kind.values, default=Kind.STUDENTS)
        parser.add_argument(
            "--whole-roster",
            action="store_true",
            help="The file lists everyone on roll: those not in it are leaving.",
        )
        parser.add_argument("--apply", action="store_true", help="Apply the changes.")
        parser.add_argument(
            "--leave-out-refused",
            action="store_true",
            help="Apply the other rows when some are refused.",
        )
        parser.add_argument(
            "--confirm-leavers",
            action="store_true",
            help="Apply even when more than one in ten are leaving.",
        )

    def handle(self, *args, file: Path, school: int, kind: str, **options):
        try:
            the_school = School.objects.get(pk=school)
        except School.DoesNotExist:
            raise CommandError(f"There is no school with id {school}.") from None
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        with scope(school=the_school.pk):
            roster_import = self._checked(the_school, file, kind, options["whole_roster"])
            self._print(roster_import)
            if options["apply"]:
                self._apply(roster_import, options)
            else:
                self.stdout.write("Nothing was changed: run again with --apply to import.")

    def _checked(self, school, file: Path, kind: str, whole_roster: bool) -> RosterImport:
        try:
            with file.open("rb") as source:
                roster_import = services.start(
                    school=school,
                    actor=None,
                    source=source,
                    name=file.name,
                    kind=kind,
                    whole_roster=whole_roster,
                    enqueue=False,
                )
        except Unreadable as error:
            raise CommandError(str(error)) from None
        if roster_import.state == State.COLUMNS:
            services.cancel(roster_import=roster_import, actor=None)
            path = reverse("roster:upload", args=[kind])
            raise CommandError(
                "Kestrel does not know every column of this file. Import it once on the School "
                f"set-up page ({path}) to match its columns: Kestrel remembers them for the "
                "nightly import."
            )
        work.check(roster_import)
        roster_import.refresh_from_db()
        if roster_import.state == State.REFUSED:
            raise CommandError(roster_import.message)
        return roster_import

    def _print(self, roster_import: RosterImport) -> None:
        counts = roster_import.counts
        self.stdout.write(
            f"{roster_import.file_name} ({roster_import.file_format}): {counts['rows']} rows, "
            f"{counts['new']} new, {counts['changed']} changed, {counts['leaving']} leaving, "
            f"{counts['unchanged']} unchanged, {counts['held']} to confirm, "
            f"{counts['refused']} refused."
        )
        for outcome in (Outcome.REFUSED, Outcome.HELD, Outcome.CHANGED):
            rows = RosterRow.objects.filter(roster_import=roster_import, outcome=outcome)
            for row in rows.order_by("row")[:SHOWN]:
                if outcome == Outcome.CHANGED:
                    fields = ", ".join(sorted(row.changes))
                    self.stdout.write(f"  row {row.row}: changes {fields}")
                else:
                    self.stdout.write(f"  row {row.row} {outcome}: {row.reason}")
            if counts.get(outcome, 0) > SHOWN:
                self.stdout.write(f"  ... and {counts[outcome] - SHOWN} more {outcome}")

    def _apply(self, roster_import: RosterImport, options) -> None:
        counts = roster_import.counts
        if counts["refused"] and not options["leave_out_refused"]:
            services.cancel(roster_import=roster_import, actor=None)
            raise CommandError(
                f"{counts['refused']} rows were refused and nothing was changed: correct them in "
                "the MIS, or run again with --leave-out-refused to import the others."
            )
        if pupils.needs_second_confirmation(counts) and not options["confirm_leavers"]:
            services.cancel(roster_import=roster_import, actor=None)
            raise CommandError(
                f"{counts['leaving']} of {counts['on_roll']} would be leaving, more than one in "
                "ten, and nothing was changed: check the file is the whole roster, or run again "
                "with --confirm-leavers."
            )
        services.confirm(
            roster_import=roster_import,
            actor=None,
            leave_out_refused=bool(counts["refused"]),
            enqueue=False,
        )
        roster_import.refresh_from_db()
        work.apply(roster_import)
        roster_import.refresh_from_db()
        done = roster_import.counts
        self.stdout.write(
            f"Imported: {done['added']} added, {done['changed']} changed, {done['left']} "
            f"{'left' if roster_import.kind == Kind.STUDENTS else 'deactivated'}, "
            f"{done['not_applied']} not applied."
        )
