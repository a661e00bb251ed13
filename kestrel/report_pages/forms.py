"""The reports' forms: the inspection pack's date range."""

from django.utils import timezone

from kestrel.forms import DateField, KestrelForm
from kestrel.reports.terms import Period


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
