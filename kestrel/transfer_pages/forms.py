"""The transfer pages' forms: marking a child as left with where they went, the paper route's
receipt, telling the local authority. What a form cannot check (the child has left) the services
do, and their refusals are shown beside the fields, with everything typed kept."""

from django import forms
from django.utils import timezone

from kestrel.forms import DateField, KestrelForm, text_box
from kestrel.schools.models import School
from kestrel.transfers.models import Destination


def _today():
    return timezone.localdate()


class DestinationForm(KestrelForm):
    """Where the child has gone: another school (on Kestrel or not), or nowhere known."""

    destination = forms.ChoiceField(
        label="Where has the child gone?",
        choices=Destination.choices,
        widget=forms.RadioSelect,
        help_text="Choose “Not known yet” only while you find out: the file is due 5 school days "
        "after the child left either way.",
    )
    destination_name = forms.CharField(label="New school's name", max_length=200, required=False)
    destination_urn = forms.CharField(
        label="New school's URN",
        max_length=8,
        required=False,
        help_text="6 digits, on Get Information about Schools. Needed to send through Kestrel.",
    )
    destination_email = forms.EmailField(
        label="New school's DSL email address",
        required=False,
        help_text="For the download link, and to tell them the file is coming.",
    )
    destination_school = forms.ModelChoiceField(
        label="The new school on this Kestrel",
        queryset=School.objects.none(),
        required=False,
        empty_label="Not on this Kestrel",
        help_text="If the new school uses this same Kestrel (a school of your trust).",
    )
    destination_address = forms.URLField(
        label="The new school's Kestrel address",
        required=False,
        assume_scheme="https",
        help_text="If the new school uses Kestrel elsewhere, for example https://kestrel.example.org",
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["destination_school"].queryset = School.objects.exclude(pk=school.pk)
        if not self.fields["destination_school"].queryset.exists():
            del self.fields["destination_school"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("destination") != Destination.SCHOOL:
            return cleaned
        here = cleaned.get("destination_school")
        if here is not None:
            cleaned["destination_name"] = cleaned.get("destination_name") or here.name
            cleaned["destination_urn"] = cleaned.get("destination_urn") or here.urn
            cleaned["destination_address"] = ""
        if not cleaned.get("destination_name"):
            self.add_error("destination_name", "Enter the new school's name.")
        urn = (cleaned.get("destination_urn") or "").strip()
        if urn and not (urn.isdigit() and 6 <= len(urn) <= 8):
            self.add_error("destination_urn", "A URN is 6 digits, for example 100000.")
        if cleaned.get("destination_address") and not urn:
            self.add_error(
                "destination_urn", "Enter the new school's URN: their Kestrel finds them by it."
            )
        return cleaned

    def details(self) -> dict:
        return {
            name: self.cleaned_data.get(name)
            for name in (
                "destination_name",
                "destination_urn",
                "destination_email",
                "destination_school",
                "destination_address",
            )
        }


class MarkLeftForm(DestinationForm):
    left_on = DateField(label="Date left", latest=_today)

    field_order = ["left_on", "destination"]


class SentOnPaperForm(KestrelForm):
    how = forms.ChoiceField(
        label="How was it sent?",
        choices=[
            ("By hand to the new school's DSL", "By hand to the new school's DSL"),
            ("By recorded or special delivery post", "By recorded or special delivery post"),
            ("By secure courier", "By secure courier"),
        ],
        widget=forms.RadioSelect,
    )


class PaperReceiptForm(KestrelForm):
    name = forms.CharField(label="Name of the person who signed the slip", max_length=200)
    role = forms.CharField(
        label="Their role", max_length=200, help_text="For example Designated Safeguarding Lead."
    )
    signed_on = DateField(label="Date on the slip", latest=_today)


class InformedForm(KestrelForm):
    informed_on = DateField(label="Date told", latest=_today)
    whom = text_box(
        "Who was told, and how",
        rows=4,
        help_text="For example the local authority's children missing education officer by "
        "phone, and the child's social worker by email.",
    )


class CancelForm(KestrelForm):
    reason = forms.CharField(
        label="Why is there no file to send?",
        max_length=300,
        help_text="For example: the child did not leave after all.",
    )


class CopyForm(KestrelForm):
    done_on = DateField(label="Date", latest=_today)
    note = text_box(
        "What was done with this school's copy",
        rows=3,
        help_text="For example: paper copies shredded; the chronology kept in Kestrel until the "
        "date the policy sets.",
    )
