from django import forms
from django.utils import timezone

from kestrel.forms import DateField, KestrelForm, SchoolModelForm
from kestrel.training.models import AppliesTo, Requirement

OTHER = "other"


class RequirementForm(SchoolModelForm):
    """A training requirement, in School set-up."""

    class Meta:
        model = Requirement
        fields = [
            "name",
            "applies_to",
            "job_titles",
            "alert_group",
            "renewal_months",
            "induction_days",
            "due_soon_days",
            "other_names",
            "is_active",
        ]
        widgets = {
            "applies_to": forms.RadioSelect,
            "job_titles": forms.Textarea(attrs={"rows": 3}),
            "other_names": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("renewal_months", "induction_days", "due_soon_days"):
            self.fields[name].govuk_width = 3
        self.fields["alert_group"].empty_label = "Choose an alert group"
        self.fields["name"].error_messages["required"] = "Enter the name of the training."

    def clean(self):
        cleaned = super().clean()
        applies_to = cleaned.get("applies_to")
        if applies_to == AppliesTo.JOB_TITLES and not cleaned.get("job_titles", "").strip():
            self.add_error("job_titles", "Enter at least one job title, one a line.")
        if applies_to == AppliesTo.ALERT_GROUP and not cleaned.get("alert_group"):
            self.add_error("alert_group", "Choose the alert group whose members must do it.")
        return cleaned


def _today():
    return timezone.localdate()


class TrainingRecordForm(KestrelForm):
    """Training a member of staff has done."""

    training = forms.ChoiceField(label="Training")
    course = forms.CharField(
        label="Course name",
        required=False,
        max_length=200,
        help_text="With “Other training”: the course as its provider names it.",
    )
    completed_on = DateField(
        label="Date completed", help_text="For example, 14 9 2026", latest=_today
    )
    provider = forms.CharField(
        label="Provider",
        required=False,
        max_length=200,
        help_text="Who gave it: the local authority, the safeguarding partnership, an online "
        "course or the school itself.",
    )
    certificate = forms.FileField(
        label="Certificate (optional)",
        required=False,
        help_text="A PDF, or a photograph or scan (JPEG or PNG), up to 20 MB.",
    )

    def __init__(self, *args, requirements, **kwargs):
        super().__init__(*args, **kwargs)
        self.requirements = {str(r.pk): r for r in requirements}
        self.fields["training"].choices = [
            ("", "Choose the training"),
            *((pk, r.name) for pk, r in self.requirements.items()),
            (OTHER, "Other training"),
        ]
        self.fields["training"].error_messages["required"] = "Choose the training."

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("training") == OTHER and not cleaned.get("course", "").strip():
            self.add_error("course", "Enter the course name.")
        return cleaned

    @property
    def requirement(self):
        return self.requirements.get(self.cleaned_data.get("training"))


class CertificateForm(KestrelForm):
    certificate = forms.FileField(
        label="Certificate",
        help_text="A PDF, or a photograph or scan (JPEG or PNG), up to 20 MB.",
        error_messages={"required": "Choose the certificate file."},
    )


class RemoveForm(KestrelForm):
    reason = forms.CharField(
        label="Why is this record being removed?",
        max_length=300,
        help_text="For example, recorded for the wrong member of staff. The record is kept, "
        "marked as removed, and no longer counts.",
        error_messages={"required": "Enter why the record is being removed."},
    )


class JoiningDateForm(KestrelForm):
    joined_on = DateField(
        label="Joined the school on",
        help_text="Training at induction is due from this day. For example, 1 9 2025",
        latest=_today,
    )


class ImportFileForm(KestrelForm):
    # An empty file is let through to the reader, whose refusal says what to do about it.
    file = forms.FileField(
        label="File",
        allow_empty_file=True,
        help_text="A CSV or Excel (.xlsx) file with a header row and one row per course done: "
        "the member of staff's email address (or their name), the course, the date it was "
        "completed and, if you wish, the provider.",
        error_messages={"required": "Choose the file to import."},
    )
