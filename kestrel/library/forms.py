from django import forms

from kestrel.files.checks import ACCEPTED_LABEL, MAX_LABEL
from kestrel.forms import KestrelForm, style_widgets
from kestrel.library.models import LibraryCategory

FILE_HELP = f"Up to {MAX_LABEL}: {ACCEPTED_LABEL}. The type is checked from the file’s content."


class PublishForm(KestrelForm):
    title = forms.CharField(label="Title", max_length=200)
    category = forms.ModelChoiceField(
        queryset=LibraryCategory.objects.none(),
        required=False,
        label="Category",
        empty_label="Choose a category",
    )
    new_category = forms.CharField(
        label="Or a new category", max_length=80, required=False, help_text="For example Policies"
    )
    summary = forms.CharField(
        label="Summary", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
    is_policy = forms.BooleanField(
        label="Staff must confirm they have read it (for policies)", required=False
    )
    file = forms.FileField(label="File", help_text=FILE_HELP)

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = LibraryCategory.objects.filter(
            school=school, is_active=True
        )
        style_widgets(self)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("category") and not (cleaned.get("new_category") or "").strip():
            self.add_error("category", "Choose a category, or name a new one.")
        return cleaned


class VersionForm(KestrelForm):
    file = forms.FileField(label="New version", help_text=FILE_HELP)
    notes = forms.CharField(label="What changed", max_length=300, required=False)
