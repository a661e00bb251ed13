"""The case file's forms. They check what a form can (a date is a date); the services check the
rest (a reason for "No further action", an end after the start) and their refusals are put next
to the fields, with everything typed kept."""

from django import forms
from django.db import models
from django.utils import timezone

from kestrel.casefile.models import (
    CASE_OUTCOMES,
    CHILD_PROTECTION_PLAN,
    DECISIONS,
    PLAN_CATEGORIES,
    REFERRAL_TARGETS,
    SCHOOL_DEFINED,
    SHARING_BASES,
    STATUS_KINDS,
)
from kestrel.casefile.selectors import CaseloadFilter
from kestrel.forms import DateField, KestrelForm, text_box
from kestrel.school_calendar.days import calendar_for

FEEDBACK_SCHOOL_DAYS = 3  # the first date offered for a referral's feedback


def _text(label: str, *, rows: int = 4, required: bool = True, help_text: str = ""):
    # Not stripped: the services strip what they keep (and say when nothing is left).
    return text_box(label, rows=rows, required=required, help_text=help_text, strip=False)


def _date(label: str, *, past: bool = True, required: bool = True, help_text: str = ""):
    return DateField(
        label=label,
        latest=timezone.localdate if past else None,
        required=required,
        help_text=help_text,
    )


class StartStatusForm(KestrelForm):
    kind = forms.ChoiceField(label="Status", choices=())
    started_on = _date("Start date")
    plan_category = forms.ChoiceField(
        label="Category of the plan",
        choices=[("", "Choose the category"), *PLAN_CATEGORIES],
        required=False,
        help_text="For a Child Protection Plan.",
    )
    legal_status = forms.CharField(
        label="Legal status",
        max_length=120,
        required=False,
        help_text="For a looked-after child: for example, section 20 or a care order (section 31).",
    )
    virtual_school_head = forms.CharField(
        label="Virtual school head",
        max_length=200,
        required=False,
        help_text="For a looked-after or previously looked-after child: name and local authority.",
    )
    note = _text("Notes", rows=3, required=False)

    def __init__(self, *args, school_kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        built_in = [(code, label) for code, label in STATUS_KINDS if code != SCHOOL_DEFINED]
        own = [(f"school:{kind.pk}", kind.name) for kind in school_kinds]
        self.fields["kind"].choices = [("", "Choose a status"), *built_in, *own]
        self.school_kinds = {f"school:{kind.pk}": kind for kind in school_kinds}

    def clean(self):
        data = super().clean()
        # Said with the form's other problems rather than after them (the service says it too).
        if data.get("kind") == CHILD_PROTECTION_PLAN and not data.get("plan_category"):
            self.add_error("plan_category", "Choose the category of the plan.")
        return data

    def status(self) -> dict:
        """The service's arguments for the chosen status."""
        chosen = self.cleaned_data["kind"]
        school_kind = self.school_kinds.get(chosen)
        return {
            "kind": SCHOOL_DEFINED if school_kind else chosen,
            "school_kind": school_kind,
            "started_on": self.cleaned_data["started_on"],
            "plan_category": self.cleaned_data["plan_category"],
            "legal_status": self.cleaned_data["legal_status"],
            "virtual_school_head": self.cleaned_data["virtual_school_head"],
            "note": self.cleaned_data["note"],
        }


class EndStatusForm(KestrelForm):
    ended_on = _date("End date")
    note = _text("Why it ended", rows=3, required=False)


class RiskForm(KestrelForm):
    level = forms.ChoiceField(label="Risk level", choices=(), widget=forms.RadioSelect)
    reason = _text("Why is the risk at this level?")
    set_on = _date("Date")

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [(level, level) for level in levels]


class ReferralForm(KestrelForm):
    to = forms.ChoiceField(label="Referred to", choices=())
    made_on = _date("Date of the referral")
    reference = forms.CharField(
        label="Reference",
        max_length=80,
        required=False,
        help_text="The agency’s reference, if they gave one.",
    )
    made_by = forms.ChoiceField(label="Made by", choices=())
    reason = _text("What was referred and why")
    feedback_due_on = _date(
        "Feedback due",
        past=False,
        help_text="Until its outcome is recorded, the referral is chased on "
        "“Awaiting feedback” once this date has passed.",
    )

    def __init__(self, *args, agencies=(), colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        targets = [(code, label) for code, label in REFERRAL_TARGETS if code != "agency"]
        own = [(f"agency:{agency.pk}", agency.name) for agency in agencies]
        self.fields["to"].choices = [("", "Choose who"), *targets, *own]
        self.agencies = {f"agency:{agency.pk}": agency for agency in agencies}
        self.colleagues = {str(user.pk): user for user in colleagues}
        self.fields["made_by"].choices = [
            (
                str(user.pk),
                f"{user.full_name}, {user.job_title}" if user.job_title else user.full_name,
            )
            for user in colleagues
        ]

    @staticmethod
    def first_values(actor) -> dict:
        today = timezone.localdate()
        return {
            "made_on": today,
            "made_by": str(actor.pk),
            "feedback_due_on": calendar_for(actor.school_id).school_days_after(
                today, FEEDBACK_SCHOOL_DAYS
            ),
        }

    def referral(self) -> dict:
        """The service's arguments for the referral."""
        chosen = self.cleaned_data["to"]
        agency = self.agencies.get(chosen)
        labels = dict(REFERRAL_TARGETS)
        return {
            "target": "agency" if agency else chosen,
            "agency": agency,
            "to_label": agency.name if agency else labels.get(chosen, ""),
            "made_on": self.cleaned_data["made_on"],
            "reference": self.cleaned_data["reference"],
            "made_by": self.colleagues.get(self.cleaned_data["made_by"]),
            "reason": self.cleaned_data["reason"],
            "feedback_due_on": self.cleaned_data["feedback_due_on"],
        }


class ReferralOutcomeForm(KestrelForm):
    outcome = _text("Feedback and outcome", rows=5)
    outcome_on = _date("Date of the feedback")


class DecisionForm(KestrelForm):
    kind = forms.ChoiceField(label="Decision", choices=DECISIONS, widget=forms.RadioSelect)
    what = _text(
        "What was decided",
        rows=3,
        required=False,
        help_text="Who will do what, and by when.",
    )
    reason = _text("Why", help_text="“No further action” is a decision too: say why.")
    decided_on = _date("Date of the decision")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service says why a reason is needed (one message for each decision).
        self.fields["reason"].required = False


class SharingForm(KestrelForm):
    shared = forms.ChoiceField(
        label="Was the information shared?",
        choices=[("yes", "Yes, it was shared"), ("no", "No, it was not shared")],
        widget=forms.RadioSelect,
    )
    what = _text("What information", rows=3)
    with_whom = forms.CharField(
        label="With whom", max_length=200, help_text="Or who asked for it, if it was not shared."
    )
    why = _text("Why", rows=3)
    basis = forms.ChoiceField(
        label="Lawful basis",
        choices=[("", "Choose the basis"), *SHARING_BASES],
        required=False,
        help_text="Needed when the information was shared.",
    )
    on = _date("Date")


class ReviewForm(KestrelForm):
    reviewed_on = _date("Date of the review")
    note = _text("What the review found", rows=5)
    next_review_on = _date("Next review", past=False)


class OpenCaseForm(KestrelForm):
    opened_on = _date("Opened")
    next_review_on = _date("Next review", past=False, required=False)


class CloseCaseForm(KestrelForm):
    outcome = forms.ChoiceField(label="Outcome", choices=CASE_OUTCOMES, widget=forms.RadioSelect)
    outcome_text = _text("What happened and why the case can close", rows=5)
    closed_on = _date("Date")


class CaseloadForm(KestrelForm):
    status = forms.ChoiceField(label="Status", choices=(), required=False)
    risk = forms.ChoiceField(label="Risk level", choices=(), required=False)
    review_overdue = forms.BooleanField(label="Review overdue", required=False)
    awaiting_feedback = forms.BooleanField(label="Feedback overdue", required=False)
    sort = forms.ChoiceField(
        label="Sort by",
        choices=[
            ("review", "Next review"),
            ("risk", "Risk level, highest first"),
            ("name", "Name"),
            ("opened", "Opened, newest first"),
        ],
        required=False,
    )

    def __init__(self, *args, levels=(), school_kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        built_in = [(code, label) for code, label in STATUS_KINDS if code != SCHOOL_DEFINED]
        own = [(f"school:{kind.pk}", kind.name) for kind in school_kinds]
        self.fields["status"].choices = [("", "Any status"), *built_in, *own]
        self.fields["risk"].choices = [("", "Any risk level"), *((lvl, lvl) for lvl in levels)]

    def chosen(self) -> CaseloadFilter:
        """What the caseload is narrowed to and sorted by (all open cases by next review if the
        form was not sent or does not hold)."""
        if not (self.is_bound and self.is_valid()):
            return CaseloadFilter()
        data = self.cleaned_data
        return CaseloadFilter(
            status=data["status"],
            risk=data["risk"],
            review_overdue=data["review_overdue"],
            awaiting_feedback=data["awaiting_feedback"],
            sort=data["sort"] or "review",
        )


def correction_form(record, fields: list[str]) -> type[KestrelForm]:
    """A form for correcting `fields` of a case-file record, each as its model field asks (a
    date, a choice, a text), and the reason for the correction."""
    form_fields = {}
    for name in fields:
        model_field = record._meta.get_field(name)
        label = str(model_field.verbose_name)
        label = label[0].upper() + label[1:]
        if isinstance(model_field, models.DateField):
            form_fields[name] = _date(label, past=False, required=not model_field.null)
        elif model_field.choices:
            form_fields[name] = forms.ChoiceField(
                label=label,
                choices=[("", "Choose"), *model_field.choices],
                required=not model_field.blank,
            )
        elif isinstance(model_field, models.TextField):
            form_fields[name] = _text(label, rows=4, required=False)
        else:
            form_fields[name] = forms.CharField(
                label=label, max_length=model_field.max_length, required=False
            )
    # Not "reason": a referral, a decision and a risk level have a field of that name.
    form_fields["correction_reason"] = forms.CharField(
        label="Reason for the correction",
        max_length=500,
        help_text="What the record said before is kept, with your name, the time and this reason.",
    )
    return type("CorrectionForm", (KestrelForm,), form_fields)
