import datetime
import uuid
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import Prefetch
from django.utils import timezone

from kestrel.accounts.models import User
from kestrel.alerts.models import AlertGroup
from kestrel.forms import (
    DateField,
    IdsChoiceField,
    SchoolModelForm,
    one_line,
    style_widgets,
    text_box,
)
from kestrel.incidents.body_map import parse_markers
from kestrel.incidents.models import (
    NOTE_LENGTH,
    PREVENT_FACTS,
    SUBMISSION_LENGTH,
    Category,
    EncompassNotification,
    names_nude_images,
)
from kestrel.schools.models import Agency
from kestrel.students.models import Student
from kestrel.students.names import display_label


class CategoryForm(SchoolModelForm):
    class Meta:
        model = Category
        fields = [
            "name",
            "parent",
            "access_level",
            "position",
            "no_images",
            "is_prevent",
            "is_active",
        ]
        labels = {"name": "Category name", "position": "Order in lists"}
        help_texts = {
            "parent": "Leave empty for a main category. Subcategories appear when their main "
            "category is chosen on an incident.",
            "access_level": "Staff below this level will not normally be able to view incidents "
            "in this category.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = self.fields["parent"].queryset.filter(parent__isnull=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = "None: this is a main category"
        self.fields["access_level"].empty_label = None
        self.fields["position"].govuk_width = 3
        self.fields["position"].required = False

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name for the category.")
        return name

    def clean_position(self):
        return self.cleaned_data.get("position") or 0

    def clean_no_images(self):
        """A new category for nude or semi-nude images is "No images" whatever was ticked
        (it can be changed afterwards, deliberately)."""
        name = self.data.get(self.add_prefix("name"), "")
        if not self.instance.pk and names_nude_images(name):
            return True
        return self.cleaned_data["no_images"]

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get("parent")
        if parent and self.instance.pk and self.instance.subcategories.exists():
            self.add_error(
                "parent", "This category has subcategories of its own, so it must stay a main one."
            )
        return cleaned


def time_field(example: str, label: str = "Time") -> forms.TimeField:
    """The time of day as staff type it: 24-hour hours and minutes."""
    return forms.TimeField(
        label=label,
        input_formats=["%H:%M", "%H.%M", "%H%M"],
        help_text=f"24-hour clock, for example {example}",
        error_messages={
            "required": "Enter the time.",
            "invalid": f"Enter the time as hours and minutes, for example {example}.",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


def narrative(value: str, missing: str) -> str:
    """Free text as typed, without NUL characters, refused when only spaces."""
    text = value.replace("\x00", "")
    if not text.strip():
        raise forms.ValidationError(missing)
    return text


def child_words_field() -> forms.CharField:
    """ "The child's own words": kept exactly as typed (no spaces trimmed; see
    `services.verbatim`), apart from the account."""
    return forms.CharField(
        label="The child’s own words",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="If the child said anything, write it exactly as they said it, in their words "
        "(including their own words for people and parts of the body). Do not correct, tidy or "
        "summarise it. Leave empty if they said nothing.",
        max_length=20_000,
    )


def when(form, cleaned: dict, student=None) -> dict:
    """Combines Date and Time in the school's time zone (the earlier of an hour that happens
    twice when the clocks go back) and refuses a moment in the future, or a day before the
    student was born."""
    day, time = cleaned.get("occurred_on"), cleaned.get("occurred_time")
    born = getattr(student, "date_of_birth", None)
    if day and born and day < born:
        form.add_error(
            "occurred_on",
            "Date must be after the student’s date of birth."
            if form.hide_names
            else f"Date must be after {student.name}’s date of birth, {born:%-d %B %Y}.",
        )
        return cleaned
    if day and time:
        zone = ZoneInfo(form.school.time_zone)
        occurred = datetime.datetime.combine(day, time).replace(tzinfo=zone, fold=0)
        if occurred > timezone.now():
            form.add_error("occurred_time", "The date and time cannot be in the future.")
        cleaned["occurred_at"] = occurred
    return cleaned


def active_agencies(school):
    return Agency.objects.filter(school=school, is_active=True).order_by("name")


def alert_groups(school):
    """The school's alert groups, each with its active members (fetched with the groups)."""
    return (
        AlertGroup.objects.filter(school=school, is_active=True)
        .order_by("name")
        .prefetch_related(Prefetch("members", queryset=User.objects.filter(is_active=True)))
    )


class SubmissionKey(forms.Form):
    """The hidden key that makes a form sent twice add one record (`services._once`)."""

    submission = forms.CharField(widget=forms.HiddenInput)

    def clean_submission(self) -> str:
        submission = self.cleaned_data["submission"]
        if len(submission) > SUBMISSION_LENGTH:
            # Not a key this page gives: refused with a message, what was typed kept, and a
            # fresh key given so that sending the form again works.
            self.data = self.data.copy()
            self.data["submission"] = uuid.uuid4().hex
            self.add_error(None, "The form could not be sent. Check it, then send it again.")
        return submission


class AddIncidentForm(SubmissionKey):
    """The guide's Add Incident form, field by field, in its order."""

    student = forms.ModelChoiceField(
        queryset=Student.objects.none(),
        label="Student",
        widget=forms.HiddenInput,
        error_messages={"required": "Choose the student this incident is about."},
    )
    text = forms.CharField(
        label="Incident",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Be accurate and specific. Spell any student’s name exactly as in the school’s "
        "records, or use their initials.",
        error_messages={"required": "Describe the incident."},
        max_length=100_000,
    )
    child_words = child_words_field()
    present = forms.CharField(
        label="Who else was present",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Staff, other adults and other children who saw or heard it (children by "
        "their initials). Leave empty if no one else was there.",
        max_length=2_000,
    )
    categories = IdsChoiceField(
        queryset=Category.objects.none(),
        label="Categories",
        error_messages={"required": "Select at least one category."},
    )
    linked_students = IdsChoiceField(
        queryset=Student.objects.none(), required=False, widget=forms.MultipleHiddenInput
    )
    # Up to 40 markers, each with its description (see body_map.parse_markers).
    markers = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40_000)
    occurred_on = DateField(label="Date", latest=timezone.localdate)
    occurred_time = time_field("15:50")
    alert_staff = IdsChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.MultipleHiddenInput
    )
    alert_groups = IdsChoiceField(
        queryset=AlertGroup.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    agencies = IdsChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        label="Agency involved",
        widget=forms.CheckboxSelectMultiple,
    )
    # Operation Encompass: the police's notification of a domestic abuse incident.
    encompass = forms.BooleanField(
        label="This is an Operation Encompass notification from the police", required=False
    )
    encompass_reference = forms.CharField(label="Police reference", required=False, max_length=60)
    encompass_abuse_on = DateField(
        label="Date of the domestic abuse incident", required=False, latest=timezone.localdate
    )
    encompass_abuse_time = time_field("22:30", label="Time of the domestic abuse incident")
    encompass_received_on = DateField(
        label="Date the notification was received", required=False, latest=timezone.localdate
    )
    encompass_received_time = time_field("07:45", label="Time the notification was received")
    encompass_child_present = forms.ChoiceField(
        label="Was the child present?",
        choices=EncompassNotification.PRESENT,
        required=False,
        widget=forms.RadioSelect,
    )
    encompass_support = forms.CharField(
        label="Support offered",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the school has offered or arranged for the child, for example a quiet "
        "check-in with their key adult at the start of the day.",
        max_length=5_000,
    )

    # Prevent: asked when a Prevent category is chosen (Category.is_prevent).
    prevent_said_or_done = text_box(
        "What was said or done",
        rows=3,
        required=False,
        help_text="The words used or the behaviour seen, as exactly as you can.",
        max_length=20_000,
    )
    prevent_where_and_when = text_box(
        "Where and when",
        rows=2,
        required=False,
        help_text="For example, in the Year 6 classroom during wet play, and whether it has "
        "happened before.",
        max_length=5_000,
    )
    prevent_ideology = text_box(
        "The ideology or concern, if known",
        rows=2,
        required=False,
        help_text="For example, extreme right-wing, Islamist, a fixation on violence or school "
        "shootings, or unclear. Leave empty if you do not know.",
        max_length=5_000,
    )
    prevent_online_activity = text_box(
        "Online activity",
        rows=2,
        required=False,
        help_text="Sites, apps, games or groups mentioned, and any material seen or shared. Do "
        "not copy or forward the material.",
        max_length=5_000,
    )
    prevent_immediate_risk = text_box(
        "Any immediate risk to the child or others",
        rows=2,
        required=False,
        help_text="If there is an immediate risk, call the police on 999 now. Write “None "
        "known” if there is none.",
        max_length=5_000,
    )
    prevent_who_else_knows = text_box(
        "Who else knows",
        rows=2,
        required=False,
        help_text="Staff, parents or carers, other agencies.",
        max_length=5_000,
    )

    def __init__(self, *args, school, hide_names=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.hide_names = hide_names  # Hide Names: a message names no student
        students = Student.objects.filter(school=school)
        self.fields["student"].queryset = students
        self.fields["linked_students"].queryset = students
        self.fields["categories"].queryset = Category.objects.filter(
            school=school, is_active=True
        ).select_related("access_level", "parent")
        self.fields["alert_staff"].queryset = User.objects.filter(school=school, is_active=True)
        self.fields["alert_groups"].queryset = alert_groups(school)
        self.fields["agencies"].queryset = Agency.objects.filter(
            school=school, is_active=True
        ).order_by("name")
        self.fields["occurred_time"].govuk_width = 5
        for name in ("encompass_abuse_time", "encompass_received_time"):
            self.fields[name].required = False
            self.fields[name].govuk_width = 5
        self.fields["encompass_reference"].govuk_width = 20
        style_widgets(self)

    def full_clean(self):
        super().full_clean()
        style_widgets(self)

    def clean_text(self):
        return narrative(self.cleaned_data["text"], "Describe the incident.")

    def clean_markers(self):
        return parse_markers(self.cleaned_data.get("markers") or "")

    def clean(self):
        cleaned = super().clean()
        cleaned = when(self, cleaned, cleaned.get("student"))
        chosen = list(cleaned.get("categories") or [])
        # Choosing a subcategory files the incident under its main category as well.
        for category in list(chosen):
            if category.parent_id and category.parent not in chosen:
                chosen.append(category.parent)
        cleaned["categories"] = chosen
        student = cleaned.get("student")
        cleaned["linked_students"] = [
            linked for linked in cleaned.get("linked_students") or [] if linked != student
        ]
        cleaned["links"] = self._links(cleaned["linked_students"])
        cleaned["encompass_details"] = (
            self._encompass(cleaned) if cleaned.get("encompass") else None
        )
        prevent = any(category.is_prevent for category in chosen)
        cleaned["prevent_facts"] = self._prevent(cleaned) if prevent else None
        return cleaned

    def _links(self, linked_students) -> list[dict]:
        """Each linked student with the choices ticked beside them and the note written for
        their file (`link_note_<id>`); what is sent for a student not linked is not read."""
        ticked = {
            name: set(self.data.getlist(name)) if hasattr(self.data, "getlist") else set()
            for name in ("link_monitor", "link_share", "link_whole")
        }
        self.note_errors = {}
        links = []
        for linked in linked_students:
            pk = str(linked.pk)
            note = str(self.data.get(f"link_note_{pk}", "")).replace("\x00", "")
            if len(note) > NOTE_LENGTH:
                label = display_label(linked, hidden=self.hide_names)
                message = f"The note for {label}’s file can be at most {NOTE_LENGTH:,} characters."
                self.note_errors[pk] = message
                self.add_error(None, message)
            links.append(
                {
                    "student": linked,
                    "monitor_same_category": pk in ticked["link_monitor"],
                    "share_documents": pk in ticked["link_share"],
                    "note": note if note.strip() else "",
                    "share_whole_entry": pk in ticked["link_whole"],
                }
            )
        return links

    def _prevent(self, cleaned: dict) -> dict:
        """The Prevent facts; what was said or done, and the risk, are needed for a referral."""
        for name, message in {
            "prevent_said_or_done": "Say what was said or done.",
            "prevent_immediate_risk": "Say whether there is any immediate risk (or “None known”).",
        }.items():
            if not cleaned.get(name, "").strip() and name not in self.errors:
                self.add_error(name, message)
        return {fact: cleaned.get(f"prevent_{fact}", "") for fact in PREVENT_FACTS}

    def _encompass(self, cleaned: dict) -> dict | None:
        """The Operation Encompass notification's details, each required once it is ticked."""
        missing = {
            "encompass_reference": "Enter the police reference.",
            "encompass_abuse_on": "Enter the date of the domestic abuse incident.",
            "encompass_abuse_time": "Enter the time of the domestic abuse incident.",
            "encompass_received_on": "Enter the date the notification was received.",
            "encompass_received_time": "Enter the time the notification was received.",
            "encompass_child_present": "Say whether the child was present.",
        }
        for name, message in missing.items():
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, message)
        if any(name in self.errors for name in missing):
            return None
        zone = ZoneInfo(self.school.time_zone)

        def moment(day, time):
            return datetime.datetime.combine(day, time).replace(tzinfo=zone, fold=0)

        abuse = moment(cleaned["encompass_abuse_on"], cleaned["encompass_abuse_time"])
        received = moment(cleaned["encompass_received_on"], cleaned["encompass_received_time"])
        if received > timezone.now():
            self.add_error("encompass_received_time", "The time received cannot be in the future.")
            return None
        if abuse > received:
            self.add_error(
                "encompass_abuse_time",
                "The domestic abuse incident must be before the notification was received.",
            )
            return None
        return {
            "police_reference": cleaned["encompass_reference"].strip(),
            "abuse_occurred_at": abuse,
            "received_at": received,
            "child_present": cleaned["encompass_child_present"],
            "support_offered": cleaned.get("encompass_support", ""),
        }

    def recipients(self) -> list:
        """Everyone alerted: the colleagues chosen one by one and every member of each group."""
        people = {user.pk: user for user in self.cleaned_data.get("alert_staff") or []}
        for group in self.cleaned_data.get("alert_groups") or []:
            for member in group.members.all():  # active members only: see alert_groups
                people.setdefault(member.pk, member)
        return list(people.values())


class AddActionForm(SubmissionKey):
    """The guide's Add Action form."""

    text = forms.CharField(
        label="Action Taken",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What you did, or what you would now like a colleague to follow up.",
        error_messages={"required": "Describe the action taken."},
        max_length=100_000,
    )
    child_words = child_words_field()
    agencies = IdsChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        label="Agency Involved",
        widget=forms.CheckboxSelectMultiple,
    )
    occurred_on = DateField(label="Date", latest=timezone.localdate)
    occurred_time = time_field("14:08")
    add_to_linked_students = forms.BooleanField(
        label="Add action to linked students", required=False
    )
    share_documents = forms.BooleanField(label="Share documents?", required=False)
    alert_staff = IdsChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.MultipleHiddenInput
    )
    alert_groups = IdsChoiceField(
        queryset=AlertGroup.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, school, student=None, hide_names=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.student, self.hide_names = student, hide_names  # the incident's student
        self.fields["agencies"].queryset = Agency.objects.filter(
            school=school, is_active=True
        ).order_by("name")
        self.fields["alert_staff"].queryset = User.objects.filter(school=school, is_active=True)
        self.fields["alert_groups"].queryset = alert_groups(school)
        self.fields["occurred_time"].govuk_width = 5
        style_widgets(self)

    def full_clean(self):
        super().full_clean()
        style_widgets(self)

    def clean_text(self):
        return narrative(self.cleaned_data["text"], "Describe the action taken.")

    def clean(self):
        return when(self, super().clean(), self.student)

    recipients = AddIncidentForm.recipients


class CorrectionForm(forms.Form):
    text = forms.CharField(
        label="Corrected text",
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=100_000,
        help_text="The incident as it should read. The original is kept and stays visible.",
    )
    occurred_on = DateField(label="Date", latest=timezone.localdate)
    occurred_time = time_field("15:50")
    reason = forms.CharField(
        label="Reason for the correction",
        max_length=500,
        error_messages={"required": "Say why the incident needs correcting."},
    )

    def __init__(self, *args, school, student=None, hide_names=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.student, self.hide_names = student, hide_names  # the incident's student
        self.fields["occurred_time"].govuk_width = 5
        one_line(self)  # the reason
        style_widgets(self)

    def full_clean(self):
        super().full_clean()
        style_widgets(self)

    def clean(self):
        return when(self, super().clean(), self.student)
