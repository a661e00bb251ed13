from django import forms
from django.contrib.auth import forms as auth_forms
from django.db.models.functions import Lower

from kestrel.accounts.models import User
from kestrel.forms import KestrelForm, SchoolModelForm, plain_messages, style_widgets


class StaffForm(SchoolModelForm):
    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "job_title",
            "access_level",
            "is_key_holder",
            "is_school_admin",
            "is_active",
        ]
        help_texts = {"email": "Their school email address. They use it to sign in."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["access_level"].empty_label = "None: sees no incidents"

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        clash = User.objects.annotate(lower=Lower("email")).filter(lower=email)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("A staff member with this email address already exists.")
        return email

    def validate_unique(self):
        # Email uniqueness is checked (case-insensitively, across schools) in clean_email.
        exclusions = self._get_validation_exclusions() | {"email"}
        try:
            self.instance.validate_unique(exclude=exclusions)
            self.instance.validate_constraints(exclude=exclusions)
        except forms.ValidationError as error:
            self._update_errors(error)


class LoginForm(auth_forms.AuthenticationForm):
    """The guide's sign-in form: "Email address", "Password", "Login"."""

    error_messages = {
        "invalid_login": "Enter a correct email address and password.",
        "inactive": "Enter a correct email address and password.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "spellcheck": "false", "type": "email"}
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        plain_messages(self)
        style_widgets(self)

    def full_clean(self):
        super().full_clean()
        style_widgets(self)


class PasswordResetRequestForm(KestrelForm):
    email = forms.EmailField(
        label="Email Address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "Confirm new password"
        self.fields[
            "new_password1"
        ].help_text = (
            "Use at least 12 characters. A few unrelated words together make a strong password."
        )
        plain_messages(self)
        style_widgets(self)

    def full_clean(self):
        super().full_clean()
        style_widgets(self)


class PasswordChangeForm(SetPasswordForm, auth_forms.PasswordChangeForm):
    field_order = ["old_password", "new_password1", "new_password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        plain_messages(self)
        style_widgets(self)
