"""The download-link route's forms: the sender's, and the receiving DSL's."""

from django import forms

from kestrel.forms import KestrelForm, style_widgets
from kestrel.transfer_pages.links import CODE_DIGITS


class SendLinkForm(KestrelForm):
    email = forms.EmailField(
        label="Their DSL's email address",
        help_text="The designated safeguarding lead at the child's new school. The link opens "
        "only with a code we email to this address.",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(label="Their name (if you know it)", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].error_messages["invalid"] = (
            "Enter an email address in the right form, like name@school.sch.uk."
        )


class CodeForm(KestrelForm):
    code = forms.CharField(
        label="Code",
        help_text=f"The {CODE_DIGITS}-digit code in the email we sent you.",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].govuk_width = 10
        self.fields["code"].error_messages["required"] = "Enter the code from the email."
        style_widgets(self)

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split()).replace("-", "")
        if not (code.isascii() and code.isdigit() and len(code) == CODE_DIGITS):
            raise forms.ValidationError(
                f"Enter the {CODE_DIGITS}-digit code from the email, in numbers."
            )
        return code


class RecipientForm(KestrelForm):
    name = forms.CharField(
        label="Full name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    role = forms.CharField(
        label="Your role",
        help_text="For example, Designated safeguarding lead.",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    school_name = forms.CharField(
        label="Your school",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = "Enter your full name."
        self.fields["role"].error_messages["required"] = "Enter your role."
        self.fields["school_name"].error_messages["required"] = "Enter the name of your school."
