from django import forms
from django.utils import timezone

from kestrel.forms import DateField, KestrelForm


class TrailFilterForm(KestrelForm):
    start = DateField(label="From", required=False, latest=timezone.localdate)
    end = DateField(label="To", required=False, latest=timezone.localdate)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "To must be the same as or after From.")
        return cleaned


class FindPersonForm(KestrelForm):
    q = forms.CharField(label="Name", max_length=100, required=False)
