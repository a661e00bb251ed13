"""The reports' forms: the inspection pack's date range."""

from django import forms
from django.utils import timezone

from kestrel.forms import DateField, KestrelForm
from kestrel.reports.governors import VULNERABLE_GROUPS
from kestrel.reports.patterns import PatternFilter
from kestrel.reports.terms import Period
from kestrel.students.models import YEAR_GROUPS


class PeriodForm(KestrelForm):
    """From and to, both included; without them the school year to date."""

    starts = DateField(label="From", latest=timezone.localdate)
    ends = DateField(label="To")

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends < starts:
            self.add_error("ends", "The date to must be the same as or after the date from.")
        return data

    def period(self, default: Period) -> Period | None:
        """The range asked for, the default when none was, None when it does not hold."""
        if not self.is_bound:
            return default
        if not self.is_valid():
            return None
        return Period("Chosen dates", self.cleaned_data["starts"], self.cleaned_data["ends"])

    @classmethod
    def showing(cls, query, default: Period) -> "PeriodForm":
        """The form as sent, or (not sent) filled in with the default range."""
        if any(key.startswith(("starts", "ends")) for key in query):
            return cls(query)
        return cls(initial={"starts": default.starts_on, "ends": default.ends_on})


class PatternForm(KestrelForm):
    """The pattern report's filters; each may be left at "Any"."""

    category = forms.TypedChoiceField(label="Category", coerce=int, empty_value=None)
    year_group = forms.TypedChoiceField(
        label="Year group",
        coerce=int,
        empty_value=None,
        choices=[("", "Any year group"), *YEAR_GROUPS],
        required=False,
    )
    tutor_group = forms.ChoiceField(label="Registration group", required=False)
    group = forms.ChoiceField(
        label="Vulnerable group",
        choices=[("", "Any"), *((key, label) for key, label, _ in VULNERABLE_GROUPS)],
        required=False,
    )

    def __init__(self, *args, categories=(), tutor_groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "Any category"), *categories]
        self.fields["category"].required = False
        self.fields["tutor_group"].choices = [
            ("", "Any registration group"),
            *((group, group) for group in tutor_groups),
        ]

    def chosen(self) -> PatternFilter | None:
        """The filters chosen (none when the form was not sent), None when they do not hold."""
        if not self.is_bound:
            return PatternFilter()
        if not self.is_valid():
            return None
        return PatternFilter(**self.cleaned_data)
