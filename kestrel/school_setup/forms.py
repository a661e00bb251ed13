from django import forms

from kestrel.casefile.models import RiskLevel, StatusKind
from kestrel.forms import DateField, SchoolModelForm, one_line, style_widgets
from kestrel.school_calendar.models import Closure, Term
from kestrel.schools.models import AccessLevel, Agency, School


class SchoolDetailsForm(forms.ModelForm):
    class Meta:
        model = School
        fields = [
            "name",
            "urn",
            "require_two_factor",
            "key_unlock_minutes",
            "escalation_school_days",
            "bank_holidays",
            "transfer_copy_policy",
            "transfer_copy_years",
            "website_url",
            "user_guide_url",
            "support_url",
            "faq_url",
        ]
        labels = {"name": "School name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key_unlock_minutes"].govuk_width = 3
        self.fields["escalation_school_days"].govuk_width = 3
        self.fields["transfer_copy_years"].govuk_width = 3
        self.fields["urn"].govuk_width = 10
        # A blank (or all-spaces) name never reaches clean_name: say the same thing here.
        self.fields["name"].error_messages["required"] = "Enter the school's name."
        one_line(self)
        style_widgets(self)

    def full_clean(self):
        super().full_clean()
        style_widgets(self)

    def clean_urn(self):
        urn = self.cleaned_data["urn"].strip()
        if urn and not (urn.isdigit() and 6 <= len(urn) <= 8):
            raise forms.ValidationError("A URN is 6 digits, for example 100000.")
        if urn and School.objects.filter(urn=urn).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another school on this Kestrel has this URN.")
        return urn

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter the school's name.")
        return name


class AccessLevelForm(SchoolModelForm):
    class Meta:
        model = AccessLevel
        fields = ["name", "rank", "description", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rank"].govuk_width = 3
        style_widgets(self)


class AgencyForm(SchoolModelForm):
    class Meta:
        model = Agency
        fields = ["name", "is_active"]
        labels = {"name": "Agency name"}


class StatusKindForm(SchoolModelForm):
    class Meta:
        model = StatusKind
        fields = ["name", "position", "is_active"]
        labels = {"name": "Status", "position": "Order in the list"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].govuk_width = 3
        style_widgets(self)


class RiskLevelForm(SchoolModelForm):
    class Meta:
        model = RiskLevel
        fields = ["name", "position", "is_active"]
        labels = {"name": "Risk level", "position": "Order, lowest risk first"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].govuk_width = 3
        style_widgets(self)


class TermForm(SchoolModelForm):
    starts_on = DateField(label="First day", help_text="For example, 2 9 2026")
    ends_on = DateField(label="Last day", help_text="For example, 18 12 2026")

    class Meta:
        model = Term
        fields = ["name", "starts_on", "ends_on"]


class ClosureForm(SchoolModelForm):
    starts_on = DateField(label="First day", help_text="For example, 26 10 2026")
    ends_on = DateField(label="Last day", help_text="The same as the first for a single day.")

    class Meta:
        model = Closure
        fields = ["name", "kind", "starts_on", "ends_on"]


class TermDatesFileForm(forms.Form):
    file = forms.FileField(
        label="Term dates file (CSV)",
        error_messages={"required": "Choose the CSV file of your term dates."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)
