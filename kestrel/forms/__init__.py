"""Form plumbing shared by every app: GOV.UK Frontend markup and school-scoped model forms."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting

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


def style_widgets(form: forms.BaseForm) -> None:
    """Gives each widget the GOV.UK class for its kind, error state and described-by ids."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, DateWidget):
            continue
        if not hasattr(widget, "govuk_class"):
            kind = next(
                (cls for kind, cls in WIDGET_CLASSES.items() if isinstance(widget, kind)),
                "govuk-input",
            )
            width = getattr(field, "govuk_width", None)
            widget.govuk_kind = kind
            widget.govuk_class = " ".join(
                filter(
                    None,
                    [
                        widget.attrs.get("class", ""),
                        kind,
                        f"govuk-input--width-{width}" if width and kind == "govuk-input" else "",
                    ],
                )
            )
        has_error = form.is_bound and name in form.errors
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


class KestrelForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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


class DateField(forms.MultiValueField):
    """A date typed as day, month and year, with a message that says what is wrong."""

    widget = DateWidget

    def __init__(self, *, earliest=None, latest=None, **kwargs):
        self.earliest = earliest
        self.latest = latest
        fields = (
            forms.CharField(max_length=2),
            forms.CharField(max_length=2),
            forms.CharField(max_length=4),
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
        try:
            value = datetime.date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(f"{self.label} must be a real date.") from None
        if self.latest is not None and value > self.latest():
            raise ValidationError(f"{self.label} must be today or in the past.")
        if self.earliest is not None and value < self.earliest():
            raise ValidationError(f"{self.label} must be after {self.earliest():%-d %B %Y}.")
        return value

    def clean(self, value):
        # MultiValueField reports each empty part as "required"; say it once, for the whole date.
        if self.required and (not value or not any(str(part or "").strip() for part in value)):
            raise ValidationError(f"Enter {self.label.lower()}.", code="required")
        return super().clean(value)


class SchoolModelForm(forms.ModelForm):
    """A model form for a school's own configuration: choices and uniqueness are per school."""

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.instance.school = school
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is None:
                continue
            model = queryset.model
            if any(f.name == "school" for f in model._meta.get_fields()):
                queryset = queryset.filter(school=school)
            if any(f.name == "is_active" for f in model._meta.get_fields()):
                current = self.initial.get(field_name_for(self, field))
                keep = current if isinstance(current, list) else [current]
                queryset = queryset.filter(is_active=True) | queryset.filter(
                    pk__in=[pk for pk in keep if pk]
                )
            field.queryset = queryset.distinct()
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


def field_name_for(form, field) -> str | None:
    return next((name for name, candidate in form.fields.items() if candidate is field), None)
