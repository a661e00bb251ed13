import datetime

from django import forms
from django.utils import timezone

from kestrel.forms import DateField, KestrelForm, SchoolModelForm
from kestrel.students.models import DETAIL_FIELDS, Student
from kestrel.students.upn import validate_upn


def _oldest_birth_date() -> datetime.date:
    return timezone.localdate().replace(year=timezone.localdate().year - 25, month=1, day=1)


class StudentForm(SchoolModelForm):
    date_of_birth = DateField(
        label="Date of birth",
        help_text="For example, 27 3 2017",
        latest=timezone.localdate,
        earliest=_oldest_birth_date,
    )
    left_on = DateField(
        label="Date left",
        required=False,
        help_text="Only for a student who is no longer on roll.",
        latest=timezone.localdate,
    )

    admission_date = DateField(
        label="Admission date",
        required=False,
        help_text="For example, 3 9 2024",
        latest=timezone.localdate,
    )

    class Meta:
        model = Student
        fields = DETAIL_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["upn"].govuk_width = 20
        self.fields["tutor_group"].govuk_width = 5
        self.fields["year_group"].choices = [("", "Select a year group"), *Student.YEAR_GROUPS]
        self.fields["mis_id"].govuk_width = 10
        self.fields["former_upns"].govuk_width = 30
        self.fields["gender"].choices = [("", "Not recorded"), *Student.GENDERS]
        self.fields["sen_status"].choices = [("", "Not recorded"), *Student.SEN_STATUSES]

    def clean_upn(self):
        return self.cleaned_data["upn"].strip().upper()

    def clean_former_upns(self):
        upns = self.cleaned_data["former_upns"].replace(",", " ").upper().split()
        for upn in upns:
            try:
                validate_upn(upn)
            except forms.ValidationError as error:
                raise forms.ValidationError(f"{upn}: {error.messages[0]}") from None
        return " ".join(dict.fromkeys(upns))

    def clean(self):
        cleaned = super().clean()
        on_roll, left_on = cleaned.get("on_roll"), cleaned.get("left_on")
        if on_roll and left_on:
            self.add_error(
                "left_on", "A student on roll has no date left: clear it, or untick On roll."
            )
        if on_roll is False and not left_on and "left_on" not in self.errors:
            self.add_error("left_on", "Enter the date the student left.")
        born = cleaned.get("date_of_birth")
        if born and left_on and left_on < born:
            self.add_error("left_on", "Date left must be after the date of birth.")
        return cleaned


class FindStudentForm(KestrelForm):
    q = forms.CharField(
        label="Name, UPN or registration group",
        max_length=100,
        required=False,
        help_text="Accents are not needed: “zoe” finds Zoë.",
    )
