from django import forms
from django.contrib.auth import forms as auth_forms

from kestrel.accounts import services
from kestrel.accounts.emails import normalise
from kestrel.accounts.models import User
from kestrel.accounts.passwords import context_token
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
        email = normalise(self.cleaned_data["email"])
        clash = User.all_schools.filter(email=email)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("A staff member with this email address already exists.")
        return email

    def clean(self):
        cleaned = super().clean()
        editing_self = self.actor is not None and self.instance.pk == self.actor.pk
        if editing_self and cleaned.get("is_active") is False:
            self.add_error(
                "is_active",
                "You cannot deactivate your own account. Ask another administrator to do it.",
            )
        if editing_self and cleaned.get("is_school_admin") is False:
            self.add_error(
                "is_school_admin",
                "You cannot remove your own administrator role. Ask another administrator.",
            )
        return cleaned

    def save(self, commit=True):
        if self.instance.pk is None:
            # New staff choose their own first password through the emailed link.
            self.instance.set_unusable_password()
        return super().save(commit=commit)

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
        "locked": "Too many attempts to sign in. For your safety, try again in 30 minutes, or "
        "ask your school’s Kestrel administrator for help.",
    }

    def clean(self):
        email = normalise(self.cleaned_data.get("username", ""))
        self.cleaned_data["username"] = email  # the spelling the lockout and the lookup share
        if email and services.sign_in_refused(email=email, request=self.request):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            services.record_failed_sign_in(email=email, request=self.request)
            raise

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
        self.fields["new_password1"].help_text = (
            "Use 12 to 128 characters. It must be rated STRONG: a few unrelated words together "
            "make a strong password. No symbols or capitals are required."
        )
        self.fields["new_password1"].widget.attrs.update(
            {"data-password-strength": context_token(self.user), "maxlength": "128"}
        )
        self.fields["new_password2"].help_text = "Type the same password again."
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


class AuthenticatorCodeForm(KestrelForm):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6-digit code your app shows for Kestrel now.",
        max_length=10,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the 6-digit code from your authenticator app.")
        return code


class BackupCodeForm(KestrelForm):
    code = forms.CharField(
        label="Backup code",
        help_text="One of the ten codes you saved when you set up your second factor, "
        "for example abcde-fghjk. Each works once.",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ConfirmPasswordForm(KestrelForm):
    """ "Confirm it is you", step one."""

    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class ConfirmCodeForm(KestrelForm):
    """ "Confirm it is you", step two: a code from the authenticator app, or a backup code."""

    code = forms.CharField(
        label="Code from your authenticator app, or a backup code",
        help_text="The 6-digit code your app shows for Kestrel now, or one of your backup codes "
        "(for example abcde-fghjk).",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autofocus": True}
        ),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split())
