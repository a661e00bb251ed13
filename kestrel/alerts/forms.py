from django import forms

from kestrel.accounts.models import User
from kestrel.alerts.models import AlertGroup
from kestrel.forms import IdsChoiceField, SchoolModelForm


class StaffChoiceField(IdsChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name}, {obj.job_title}" if obj.job_title else obj.full_name


class AlertGroupForm(SchoolModelForm):
    members = StaffChoiceField(
        queryset=User.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Everyone ticked is alerted when a colleague presses this group's button.",
    )

    class Meta:
        model = AlertGroup
        fields = ["name", "description", "members", "is_active"]
        labels = {"name": "Group name"}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name for the alert group.")
        return name
