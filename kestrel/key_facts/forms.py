from django import forms
from django.core.validators import RegexValidator

from kestrel.forms import KestrelForm, style_widgets
from kestrel.key_facts.models import Role
from kestrel.templatetags.kestrel import when

PHONE = RegexValidator(
    r"^\+?[0-9][0-9 ()-]{4,38}$",
    "Enter a phone number, like 01632 960 001 or +44 7700 900 982.",
)

# A phone number box: the phone keypad on a phone, and no sideways scrolling at 320 px.
TEL = forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})


class KeyFactsForm(KestrelForm):
    """A key facts form. An edit carries the version it started from (`version`), so that a
    change someone else saved meanwhile is shown, not overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    meanwhile = None  # the change someone else saved first, when a save was refused for it

    def values(self) -> dict:
        """The cleaned values for the service, without the version. Line breaks are kept as
        "\n" whatever the browser sent, so that saving a text again changes nothing."""
        return {
            name: value.replace("\r\n", "\n") if isinstance(value, str) else value
            for name, value in self.cleaned_data.items()
            if name != "version"
        }

    @property
    def started_from(self) -> int:
        return self.cleaned_data.get("version") or 0

    def changed_meanwhile(self, changed) -> None:
        """Someone else saved a change first: says so, and makes the form start from their
        version. What the editor changed stays as they typed it; a field they left as it was
        and the other person changed shows the other person's value, so that saving again
        does not undo their change unseen."""
        self.meanwhile = changed
        self.data = self.data.copy()
        self.data["version"] = str(changed.current.number)
        typed = self.values()
        for name in changed.current.FIELDS:
            if name not in typed or changed.started is None:
                continue
            theirs = getattr(changed.current, name)
            if typed[name] == getattr(changed.started, name) and theirs != typed[name]:
                self._show(name, theirs)
        at = when(changed.current.changed_at)
        self.add_error(
            None,
            f"{changed.current.changed_by_label} saved a change on {at}, after you opened this "
            "page. Their change is shown below, and in the form where you had not changed "
            "the same thing. Nothing you typed has been saved yet: check the form, then save "
            "again.",
        )

    def _show(self, name: str, value) -> None:
        """Puts `value` in the form's field `name`, as the browser would have sent it."""
        if isinstance(value, bool):
            if value:
                self.data[name] = "on"
            else:
                self.data.pop(name, None)
        else:
            self.data[name] = "" if value is None else str(value)


class ContactForm(KeyFactsForm):
    name = forms.CharField(label="Name", max_length=200)
    relationship = forms.CharField(
        label="Relationship to the child",
        max_length=100,
        help_text="For example mother, father, grandparent, foster carer, family friend.",
    )
    parental_responsibility = forms.BooleanField(
        label="Has parental responsibility", required=False
    )
    phone = forms.CharField(
        label="Phone", max_length=40, required=False, validators=[PHONE], widget=TEL
    )
    address = forms.CharField(
        label="Address", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    email = forms.EmailField(label="Email (optional)", required=False)
    do_not_contact = forms.BooleanField(label="Do not contact", required=False)
    do_not_contact_reason = forms.CharField(
        label="Reason not to contact",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when Do not contact is ticked: for example, a court order.",
    )
    priority = forms.IntegerField(
        label="Order to contact",
        required=False,
        min_value=1,
        max_value=99,
        help_text="1 is contacted first. Leave it blank to put them after the others.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].govuk_width = 2
        self.fields["phone"].govuk_width = 20
        style_widgets(self)

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("do_not_contact")
            and not (cleaned.get("do_not_contact_reason") or "").strip()
        ):
            self.add_error("do_not_contact_reason", "Enter the reason not to contact them.")
        return cleaned


class ChangeContactForm(ContactForm):
    priority = forms.IntegerField(
        label="Order to contact",
        min_value=1,
        max_value=99,
        help_text="1 is contacted first.",
        error_messages={"required": "Enter the order to contact them."},
    )


class ProfessionalForm(KeyFactsForm):
    role = forms.ChoiceField(label="Role", choices=Role.choices, widget=forms.RadioSelect)
    other_role = forms.CharField(
        label="Their role, if Other",
        max_length=100,
        required=False,
        help_text="For example school nurse, youth offending worker, CAMHS practitioner.",
    )
    name = forms.CharField(label="Name", max_length=200)
    organisation = forms.CharField(
        label="Organisation",
        max_length=200,
        required=False,
        help_text="For example the local authority's children's social care team.",
    )
    phone = forms.CharField(
        label="Phone", max_length=40, required=False, validators=[PHONE], widget=TEL
    )
    email = forms.EmailField(label="Email (optional)", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].govuk_width = 20
        self.fields["role"].error_messages["required"] = "Select their role."
        style_widgets(self)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == Role.OTHER and not (cleaned.get("other_role") or "").strip():
            self.add_error("other_role", "Enter their role.")
        return cleaned


class EndForm(KeyFactsForm):
    reason = forms.CharField(
        label="Why are they no longer involved?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: case closed by children's social care on 3 March.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = "Enter why they are no longer involved."


class NotesForm(KeyFactsForm):
    text = forms.CharField(
        label="Notes",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Anything staff keeping this child's file should know at a glance.",
    )
