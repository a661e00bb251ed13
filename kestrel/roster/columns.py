"""Which column of a roster file holds which of Kestrel's fields.

Columns are recognised from the header names MIS exports use; a school's own mapping, saved from
the mapping screen, comes first. Header names are compared normalised (`normalise`): case,
spaces, punctuation, accents and a byte order mark make no difference.

Where the names come from. Confirmed in public material (MIS vendors' documentation and import
templates, and code that reads their exports):
- SIMS: "Legal Surname", "Legal Forename", "Reg Group", "Sex", "FSM", "SEN Status", "Looked After",
  "Pupil Premium Indicator" (a SIMS marksheet export); "Surname", "Forename", "Preferred
  Surname", "Preferred Forename", "Middle Names", "Date of Birth", "Gender", "Year Group" (SIMS's
  applicant import format).
- Bromcom: "Last Name", "First Name" (legal names), "Admission Number", "UPN", "Gender" (Male or
  Female), "Year Group", "Tutor Group" (Bromcom's import template); "Preferred Firstname",
  "Preferred Lastname", "Date of Birth", "Student ID" (what Bromcom's API gives to integrators).
- Arbor: "Student ID" (Arbor's id for a student), first and last name with a preferred ("known
  as") name apart.
The rest ("Adno", "DOB", "Former UPN", "NC Year Actual", "Registration Group", "Registration
Form", "Admission Date", "Leaving Date", "In LA Care", "EAL", "Enrolment Start Date", ...) are
the names these systems show on screen for the same data, not confirmed as export headers; the
mapping screen covers whatever a school's export calls them.

Plain names ("Forename", "First Name", "Surname") are the legal names unless the file also has
a column that says "legal" explicitly; then they are the preferred names (Arbor exports "Legal
First Name" and "First Name", the name in everyday use, side by side).
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


def normalise(header: str) -> str:
    """The header as compared: 'Legal Forename', 'legal_forename', 'LegalForename' and
    '\\ufeffLEGAL FORENAME' are all 'legalforename'."""
    decomposed = unicodedata.normalize("NFKD", header.replace("\ufeff", ""))
    unaccented = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\W_]", "", unaccented.casefold())


@dataclass(frozen=True)
class Field:
    name: str  # our field name, e.g. "legal_first_name"
    label: str  # what the mapping screen shows, e.g. "Legal forename"
    headers: tuple[str, ...]  # header names MIS exports use for it, normalised
    required: bool = False
    # Weaker names, used only for a column no field names explicitly and only while this field
    # has no column: "Forename" is the legal forename, or the preferred one beside "Legal
    # Forename".
    also: tuple[str, ...] = ()
    # Fields this one can stand for: a staff member's full "Name" for first and last name.
    instead_of: tuple[str, ...] = ()
    hint: str = ""  # what the mapping screen says of the values, e.g. "dd/mm/yyyy"


def _names(*headers: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalise(header) for header in headers))


FIRST_NAMES = _names("Forename", "First Name", "Firstname", "Given Name", "Forenames")
LAST_NAMES = _names("Surname", "Last Name", "Lastname", "Family Name")

STUDENT_FIELDS: tuple[Field, ...] = (
    Field(
        "legal_first_name",
        "Legal forename",
        _names(
            "Legal Forename",
            "Legal First Name",
            "Legal Firstname",
            "Legal Given Name",
            "Forename (Legal)",
            "First Name (Legal)",
            "Legal Forenames",
        ),
        required=True,
        also=FIRST_NAMES,
    ),
    Field(
        "legal_last_name",
        "Legal surname",
        _names(
            "Legal Surname",
            "Legal Last Name",
            "Legal Lastname",
            "Legal Family Name",
            "Surname (Legal)",
            "Last Name (Legal)",
        ),
        required=True,
        also=LAST_NAMES,
    ),
    Field(
        "preferred_first_name",
        "Preferred forename",
        _names(
            "Preferred Forename",
            "Preferred First Name",
            "Preferred Firstname",
            "Preferred Name",
            "Known As",
            "Known As Forename",
            "Known As First Name",
            "Chosen Name",
        ),
        also=FIRST_NAMES,
    ),
    Field(
        "preferred_last_name",
        "Preferred surname",
        _names(
            "Preferred Surname",
            "Preferred Last Name",
            "Preferred Lastname",
            "Known As Surname",
            "Known As Last Name",
        ),
        also=LAST_NAMES,
    ),
    Field(
        "date_of_birth",
        "Date of birth",
        _names("Date of Birth", "DOB", "D.O.B.", "Birth Date", "Birthdate", "Date Of Birth"),
        required=True,
        hint="dd/mm/yyyy",
    ),
    Field("upn", "UPN", _names("UPN", "Unique Pupil Number", "Current UPN")),
    Field(
        "former_upns",
        "Former UPNs",
        _names("Former UPN", "Former UPNs", "Previous UPN", "Old UPN", "FormerUPN"),
    ),
    Field(
        "mis_id",
        "MIS ID",
        _names(
            "MIS ID",
            "Adno",
            "Adm No",
            "Admission No",
            "Admission Number",
            "Admissions Number",
            "Person ID",
            "Student ID",
            "Pupil ID",
            "Arbor ID",
            "Arbor Student ID",
            "External ID",
            "Student Id",
            "Learner ID",
            "ID",
        ),
    ),
    Field(
        "tutor_group",
        "Registration group",
        _names(
            "Reg Group",
            "Registration Group",
            "Reg",
            "Registration Form",
            "Reg Form",
            "Form",
            "Form Group",
            "Tutor Group",
            "Class",
            "Registration Class",
        ),
    ),
    Field(
        "year_group",
        "Year group",
        _names(
            "Year Group",
            "Year",
            "NC Year",
            "NC Year Actual",
            "National Curriculum Year",
            "Year Taught In",
            "Curriculum Year",
            "Yr",
        ),
        required=True,
        hint="Nursery, Reception, or 1 to 13",
    ),
    Field("gender", "Gender", _names("Gender", "Sex", "Legal Sex"), hint="F, M or U"),
    Field(
        "admission_date",
        "Admission date",
        _names(
            "Admission Date",
            "Date of Admission",
            "Admission",
            "Start Date",
            "Enrolment Start Date",
            "Entry Date",
            "Date of Entry",
            "Joined",
        ),
        hint="dd/mm/yyyy",
    ),
    Field(
        "left_on",
        "Leaving date",
        _names(
            "Leaving Date",
            "Date of Leaving",
            "Date Left",
            "Left",
            "End Date",
            "Enrolment End Date",
            "Leave Date",
        ),
        hint="dd/mm/yyyy",
    ),
    Field(
        "sen_status",
        "SEN status",
        _names("SEN Status", "SEN Provision", "SEN", "SEN Stage", "SEND Status", "SEN Code"),
        hint="N, K or E",
    ),
    Field(
        "pupil_premium",
        "Pupil premium",
        _names(
            "Pupil Premium Indicator",
            "Pupil Premium",
            "PP",
            "PP Eligible",
            "Pupil Premium Eligible",
            "Disadvantaged",
        ),
        hint="Yes or No",
    ),
    Field(
        "free_school_meals",
        "Free school meals",
        _names(
            "FSM Eligible",
            "FSM",
            "FSM Eligibility",
            "Free School Meals",
            "Eligible for FSM",
            "FSM Eligibility Status",
        ),
        hint="Yes or No",
    ),
    Field(
        "eal",
        "English as an additional language",
        _names("EAL", "English as an Additional Language", "EAL Status", "Is EAL"),
        hint="Yes or No",
    ),
    Field(
        "looked_after",
        "Looked after",
        _names(
            "In LA Care",
            "Looked After",
            "Looked After Child",
            "LAC",
            "CLA",
            "Child Looked After",
            "In Care",
        ),
        hint="Yes or No",
    ),
)

STAFF_FIELDS: tuple[Field, ...] = (
    Field(
        "first_name",
        "First name",
        _names("First Name", "Forename", "Firstname", "Preferred Forename", "Given Name"),
        required=True,
        also=_names("Legal Forename"),
    ),
    Field(
        "last_name",
        "Last name",
        _names("Last Name", "Surname", "Lastname", "Preferred Surname", "Family Name"),
        required=True,
        also=_names("Legal Surname"),
    ),
    # One column with the whole name, split by `values.split_name` ("Abbott, Wendy" or "Wendy
    # Abbott"): used only where the file has no first and last name columns.
    Field(
        "name",
        "Full name",
        _names("Name", "Full Name", "Staff Name", "Display Name", "Staff Member"),
        instead_of=("first_name", "last_name"),
    ),
    Field(
        "email",
        "Email address",
        _names(
            "Email",
            "Email Address",
            "E-mail",
            "Work Email",
            "School Email",
            "Work Email Address",
            "Primary Email",
        ),
        required=True,
    ),
    Field("job_title", "Job title", _names("Job Title", "Role", "Post", "Position", "Job")),
    Field(
        "access_level",
        "Access level",
        _names("Access Level", "Access", "Kestrel Access Level", "Permission Level"),
    ),
    Field(
        "key_holder",
        "Key holder",
        _names("Key Holder", "Keyholder", "Key Access"),
        hint="Yes or No",
    ),
    Field(
        "alert_groups",
        "Alert groups",
        _names("Alert Groups", "Alert Group", "Groups"),
        hint="several separated by ; or ,",
    ),
)


def recognise(
    headers: list[str], fields: Iterable[Field], remembered: dict[str, str] | None = None
) -> dict[int, str]:
    """Column index -> field name for the columns recognised: first the school's remembered
    mapping (normalised header -> field name; '' means 'ignore this column'), then the usual MIS
    header names, then the plain names ("Forename"). Never two columns for one field: the first
    column wins (`clashes` names the others)."""
    return _recognised(headers, tuple(fields), remembered)[0]


def clashes(
    headers: list[str], fields: Iterable[Field], remembered: dict[str, str] | None = None
) -> dict[str, list[int]]:
    """Field name -> the columns that name it but were left out because an earlier column has
    it ("DOB" used, "Date of Birth" left out), for the mapping screen to say so."""
    return _recognised(headers, tuple(fields), remembered)[1]


def _recognised(
    headers: list[str], fields: tuple[Field, ...], remembered: dict[str, str] | None
) -> tuple[dict[int, str], dict[str, list[int]]]:
    known = {field.name for field in fields}
    normalised = [normalise(header) for header in headers]
    mapping: dict[int, str] = {}
    settled: set[int] = set()  # columns mapped or ignored
    left_out: dict[str, list[int]] = {}

    def take(index: int, name: str) -> None:
        settled.add(index)
        if name in mapping.values():
            left_out.setdefault(name, []).append(index)
        else:
            mapping[index] = name

    for index, header in enumerate(normalised):
        if remembered and header and header in remembered:
            choice = remembered[header]
            if choice == "":
                settled.add(index)
            elif choice in known:
                take(index, choice)
    by_header = {header: field.name for field in fields for header in field.headers}
    for index, header in enumerate(normalised):
        if index not in settled and header in by_header:
            take(index, by_header[header])
    for index, header in enumerate(normalised):
        if index in settled or not header:
            continue
        for field in fields:
            if header in field.also and field.name not in mapping.values():
                take(index, field.name)
                break
    return dict(sorted(mapping.items())), left_out


def missing_required(mapping: dict[int, str], fields: Iterable[Field]) -> list[Field]:
    """The required fields no column was mapped to, in the fields' order. A field that another
    mapped field stands for (a full name for first and last name) is not missing."""
    fields = tuple(fields)
    mapped = set(mapping.values())
    covered = {name for field in fields if field.name in mapped for name in field.instead_of}
    return [
        field
        for field in fields
        if field.required and field.name not in mapped and field.name not in covered
    ]


def field_named(name: str, fields: Iterable[Field]) -> Field:
    return next(field for field in fields if field.name == name)
