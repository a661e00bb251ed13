"""Form plumbing shared by every app: GOV.UK Frontend markup and school-scoped model forms."""

import datetime
import unicodedata

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import F, Func
from django.forms.renderers import TemplatesSetting

from kestrel.ids import is_id
from kestrel.schools.scope import rescoped

WIDGET_CLASSES = {
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.SelectMultiple: "govuk-select",
    forms.CheckboxInput: "govuk-checkboxes__input",
    forms.CheckboxSelectMultiple: "govuk-checkboxes__input",
    forms.RadioSelect: "govuk-radios__input",
    forms.FileInput: "govuk-file-upload",
}


class GovukFormRenderer(TemplatesSetting):
    """Renders every form and field with GOV.UK Frontend's markup (labels, hints, errors)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


def text_box(
    label: str,
    *,
    rows: int = 4,
    required: bool = True,
    help_text: str = "",
    max_length: int = 20_000,
    strip: bool = True,
) -> forms.CharField:
    """A text area of `rows` lines for writing in (an account, a reason, a note)."""
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": rows}),
        max_length=max_length,
        required=required,
        help_text=help_text,
        strip=strip,
    )


def style_widgets(form: forms.BaseForm) -> None:
    """Gives each widget the GOV.UK class for its kind, error state and described-by ids."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, DateWidget):
            continue
        if not hasattr(widget, "govuk_kind"):
            widget.govuk_kind = next(
                (cls for kind, cls in WIDGET_CLASSES.items() if isinstance(widget, kind)),
                "govuk-input",
            )
            widget.govuk_base_class = widget.attrs.get("class", "")
        # The width is read each time: forms set it after their first call to this function.
        width = getattr(field, "govuk_width", None)
        widget.govuk_class = " ".join(
            filter(
                None,
                [
                    widget.govuk_base_class,
                    widget.govuk_kind,
                    f"govuk-input--width-{width}"
                    if width and widget.govuk_kind == "govuk-input"
                    else "",
                ],
            )
        )
        # Only errors already found are shown: asking `form.errors` here would validate the form
        # from its __init__, before a subclass has set up its fields (choices, required).
        has_error = form.is_bound and form._errors is not None and name in form._errors
        css = widget.govuk_class
        if has_error and widget.govuk_kind in {"govuk-input", "govuk-select", "govuk-textarea"}:
            css += f" {widget.govuk_kind}--error"
        widget.attrs["class"] = css
        described_by = []
        if field.help_text:
            described_by.append(f"{form[name].auto_id}-hint")
        if has_error:
            described_by.append(f"{form[name].auto_id}-error")
        grouped = isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect)
        if described_by and not grouped:
            widget.attrs["aria-describedby"] = " ".join(described_by)
        else:
            widget.attrs.pop("aria-describedby", None)


def plain_messages(form: forms.BaseForm) -> None:
    """Replaces Django's "This field is required." with a message that names the field."""
    for field in form.fields.values():
        if field.error_messages.get("required") == forms.Field.default_error_messages["required"]:
            label = str(field.label or "this").lower()
            if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
                field.error_messages["required"] = f"Select {label}."
            else:
                field.error_messages["required"] = f"Enter {label}."


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """A choice of rows by id that refuses what is not an id before asking the database: a
    25-digit number in its `IN (...)` list is a server error on SQLite, not "not found"."""

    def _check_values(self, value):
        if not self.to_field_name and any(not is_id(pk) for pk in value or []):
            bad = next(pk for pk in value if not is_id(pk))
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": bad}
            )
        return super()._check_values(value)


# Characters a one-line value never holds: controls (Cc: CR, LF, tab, NUL, ...), format characters
# (Cf: zero-width spaces, bidirectional overrides, soft hyphens) and line and paragraph separators.
# A name with a line break breaks the email header it goes into (the alert is never sent) and
# hidden characters make one name look like another. The zero-width joiner and non-joiner stay:
# Persian, Hindi and other scripts need them to spell names correctly.
HIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
SPELLING_JOINERS = {"\u200c", "\u200d"}


def hidden_characters(value: str) -> list[str]:
    """The characters of `value` a one-line value may not hold, in order."""
    return [
        character
        for character in str(value)
        if unicodedata.category(character) in HIDDEN_CATEGORIES
        and character not in SPELLING_JOINERS
    ]


class OneLine:
    """Validator: a name, title or other one-line value holds no line break, tab or hidden
    character."""

    def __init__(self, label):
        self.label = str(label or "This")

    def __call__(self, value):
        if value and hidden_characters(value):
            raise ValidationError(
                f"{self.label} must be on one line, without tabs or hidden characters.",
                code="hidden_characters",
            )

    def __eq__(self, other):
        return isinstance(other, OneLine) and other.label == self.label


def one_line(form: forms.BaseForm) -> None:
    """Every one-line text box of `form` (not a text area, a password or a hidden field) refuses
    line breaks, tabs and hidden characters. Forms call it once, from __init__."""
    for field in form.fields.values():
        widget = field.widget
        if not isinstance(field, forms.CharField) or isinstance(
            widget, forms.Textarea | forms.PasswordInput | forms.HiddenInput
        ):
            continue
        validator = OneLine(field.label)
        if validator not in field.validators:
            field.validators.append(validator)


class KestrelForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        one_line(self)
        plain_messages(self)
        style_widgets(self)

    def full_clean(self):
        super().full_clean()
        style_widgets(self)


class DateWidget(forms.MultiWidget):
    """GOV.UK's date input: three boxes for day, month and year."""

    template_name = "forms/date_widget.html"

    def __init__(self, attrs=None):
        parts = [
            forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "class": "govuk-input govuk-date-input__input govuk-input--width-2",
                }
            ),
            forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "class": "govuk-input govuk-date-input__input govuk-input--width-2",
                }
            ),
            forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "class": "govuk-input govuk-date-input__input govuk-input--width-4",
                }
            ),
        ]
        super().__init__(parts, attrs)

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        return [None, None, None]


# The earliest date any form takes. Kestrel's records are about children at school now (the
# oldest learners were born after 2000) and the incidents, actions and periods in their records;
# 1 January 1990 leaves room for records copied from older files, and sits just before the
# Children Act 1989 came into force. "1900" or "0001" typed by mistake is refused instead of
# being filed at the far end of a chronology (and year 1 overflows in a time-zone conversion).
EARLIEST_DATE = datetime.date(1990, 1, 1)


class DateField(forms.MultiValueField):
    """A date typed as day, month and year, with a message that says what is wrong."""

    widget = DateWidget

    def __init__(self, *, earliest=None, latest=None, **kwargs):
        self.earliest = earliest
        self.latest = latest
        # The parts are checked together in compress(), so that a missing or overlong part gets
        # a message about the date rather than Django's "Enter a complete value."
        fields = (
            forms.CharField(required=False),
            forms.CharField(required=False),
            forms.CharField(required=False),
        )
        super().__init__(fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or not any(data_list):
            return None
        day, month, year = (str(part or "").strip() for part in data_list)
        missing = [
            name for name, part in (("day", day), ("month", month), ("year", year)) if not part
        ]
        if missing:
            raise ValidationError(f"{self.label} must include a {' and '.join(missing)}.")
        if not (day.isdigit() and month.isdigit() and year.isdigit()):
            raise ValidationError(f"{self.label} must be a real date, written in numbers.")
        if len(year) != 4:
            raise ValidationError("Year must include 4 numbers.")
        if len(day) > 2 or len(month) > 2:
            raise ValidationError(f"{self.label} must be a real date.")
        try:
            value = datetime.date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(f"{self.label} must be a real date.") from None
        if self.latest is not None and value > self.latest():
            raise ValidationError(f"{self.label} must be today or in the past.")
        earliest = max(self.earliest(), EARLIEST_DATE) if self.earliest else EARLIEST_DATE
        if value < earliest:
            raise ValidationError(f"{self.label} must be after {earliest:%-d %B %Y}.")
        return value

    def clean(self, value):
        # MultiValueField reports each empty part as "required"; say it once, for the whole date.
        if self.required and (not value or not any(str(part or "").strip() for part in value)):
            raise ValidationError(f"Enter {self.label.lower()}.", code="required")
        return super().clean(value)


class SchoolModelForm(forms.ModelForm):
    """A model form for a school's own configuration: choices and uniqueness are per school."""

    def __init__(self, *args, school, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.actor = actor  # the administrator making the change, for rules about oneself
        self.instance.school = school
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is None:
                continue
            model = queryset.model
            if any(f.name == "school" for f in model._meta.get_fields()):
                # Made with the form class, outside any scope: made again in this request's
                # (kestrel.schools.scope), and of the school being set up whatever the scope.
                queryset = rescoped(queryset).filter(school=school)
            if any(f.name == "is_active" for f in model._meta.get_fields()):
                current = self.initial.get(field_name_for(self, field))
                keep = current if isinstance(current, list | tuple) else [current]
                # A many-to-many field's initial value is a list of rows, a foreign key's a pk.
                keep = [getattr(item, "pk", item) for item in keep]
                queryset = queryset.filter(is_active=True) | queryset.filter(
                    pk__in=[pk for pk in keep if pk]
                )
            field.queryset = queryset.distinct()
        one_line(self)
        plain_messages(self)
        style_widgets(self)

    def full_clean(self):
        super().full_clean()
        style_widgets(self)

    def _get_validation_exclusions(self):
        # The school is set by the view, not the form, yet uniqueness is per school: check it.
        exclusions = super()._get_validation_exclusions()
        exclusions.discard("school")
        return exclusions

    def validate_constraints(self):
        # A constraint over an expression (a name compared without case) can only say
        # "Constraint “…” is violated": say instead which value clashes, next to its field.
        try:
            self.instance.validate_constraints(exclude=self._get_validation_exclusions())
        except ValidationError as error:
            self._update_errors(self._plain_clashes(error))

    def _plain_clashes(self, error: ValidationError) -> ValidationError:
        unclear = {}
        for constraint in self.instance._meta.constraints:
            default = getattr(constraint, "default_violation_error_message", None)
            if not getattr(constraint, "expressions", None) or (
                constraint.violation_error_message != default
            ):
                continue
            compared = [
                part.name
                for expression in constraint.expressions
                if isinstance(expression, Func)
                for part in expression.flatten()
                if isinstance(part, F) and part.name in self.fields
            ]
            if compared:
                unclear[constraint.get_violation_error_message()] = compared[0]
        errors = {}
        for field, messages in error.error_dict.items():
            for message in messages:
                name = unclear.get(message.message) if field == NON_FIELD_ERRORS else None
                if name is None:
                    errors.setdefault(field, []).append(message)
                    continue
                noun = self.instance._meta.verbose_name
                article = "An" if noun[0] in "aeiou" else "A"
                value = self.cleaned_data.get(name, "")
                errors.setdefault(name, []).append(
                    ValidationError(
                        f"{article} {noun} called “{value}” already exists "
                        "(capital letters make no difference).",
                        code="unique",
                    )
                )
        return ValidationError(errors)


def field_name_for(form, field) -> str | None:
    return next((name for name, candidate in form.fields.items() if candidate is field), None)
