from django import forms

from kestrel.forms import KestrelForm
from kestrel.roster.models import Decision, Kind

STUDENT_FILE_HELP = (
    "A CSV or Excel (.xlsx) file exported from your MIS (SIMS, Arbor, Bromcom, ScholarPack, "
    "Pupil Asset and others), or a Common Transfer File (.xml). One row per student, with a "
    "header row."
)
STAFF_FILE_HELP = (
    "A CSV or Excel (.xlsx) file with a header row and one row per member of staff: name, email "
    "address, and if you wish job title, access level, key holder and alert groups."
)


class UploadForm(KestrelForm):
    # An empty file is let through to the reader, whose refusal says what to do about it
    # (Django's own is "The submitted file is empty.").
    file = forms.FileField(
        label="File",
        allow_empty_file=True,
        error_messages={"required": "Select the file to import."},
    )
    whole_roster = forms.BooleanField(required=False)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        students = kind == Kind.STUDENTS
        self.fields["file"].help_text = STUDENT_FILE_HELP if students else STAFF_FILE_HELP
        self.fields["whole_roster"].label = (
            "This file lists every student on roll"
            if students
            else "This file lists every member of staff"
        )
        self.fields["whole_roster"].help_text = (
            "Only then are students who are not in the file marked as left (never deleted). "
            "Leave it unticked for a file of some students, such as this term’s joiners."
            if students
            else "Only then are staff who are not in the file deactivated (never deleted)."
        )


class ColumnsForm(KestrelForm):
    """One choice per column of the file: which of Kestrel's fields it holds, or none."""

    def __init__(self, *args, headers: list[str], fields, initial_mapping: dict[int, str], **kw):
        super().__init__(*args, **kw)
        choices = [("", "Do not import"), *((f.name, f.label) for f in fields)]
        self.kestrel_fields = fields
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or f"Column {index + 1} (no heading)",
                choices=choices,
                required=False,
                initial=initial_mapping.get(index, ""),
            )

    def clean(self):
        cleaned = super().clean()
        chosen: dict[str, str] = {}
        for key, name in cleaned.items():
            if not name:
                continue
            if name in chosen:
                label = dict(self.fields[key].choices)[name]
                column = self.fields[chosen[name]].label
                self.add_error(key, f"“{label}” is already chosen for column “{column}”.")
            chosen.setdefault(name, key)
        for field in self.kestrel_fields:
            if field.required and field.name not in chosen:
                self.add_error(None, f"Choose the column that holds {field.label.lower()}.")
        return cleaned

    def mapping(self) -> dict[int, str]:
        return {
            int(key.removeprefix("column_")): name
            for key, name in self.cleaned_data.items()
            if name
        }


class ConfirmForm(KestrelForm):
    leave_out_refused = forms.BooleanField(required=False)
    confirm_leavers = forms.BooleanField(required=False)

    def __init__(
        self, *args, counts: dict, second_confirmation: bool, noun: str, plural: str, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.counts = counts
        self.second_confirmation = second_confirmation
        refused = counts.get("refused", 0)
        rows = "row" if refused == 1 else "rows"
        self.fields[
            "leave_out_refused"
        ].label = f"Import the other rows, leaving out the {refused} refused {rows}"
        leaving = counts.get("leaving", 0)
        self.fields["confirm_leavers"].label = (
            f"Yes, {leaving} {noun if leaving == 1 else plural} "
            f"{'is' if leaving == 1 else 'are'} leaving"
        )
        if not refused:
            del self.fields["leave_out_refused"]
        if not second_confirmation:
            del self.fields["confirm_leavers"]

    def clean(self):
        cleaned = super().clean()
        if "leave_out_refused" in self.fields and not cleaned.get("leave_out_refused"):
            self.add_error(
                "leave_out_refused",
                "Some rows were refused: tick the box to import the others without them, or "
                "correct the file and upload it again.",
            )
        if "confirm_leavers" in self.fields and not cleaned.get("confirm_leavers"):
            self.add_error(
                "confirm_leavers",
                "More than one in ten are leaving: tick the box to confirm, or upload the whole "
                "roster if this file is not all of it.",
            )
        return cleaned


class DecisionForm(KestrelForm):
    decision = forms.ChoiceField(
        choices=[(Decision.SAME, "The same person"), (Decision.NEW, "A different person")],
        widget=forms.RadioSelect,
    )
