"""The demo school: a realistic, fictional primary school that matches the user guides.

Seeded by `manage.py seed_demo` (and by `make run` on an empty database). Deterministic: the same
people every time, so the guides can be followed against it. No demo account has a password: staff
set one through "Forgotten your password or using Kestrel for the first time?", as the guide says.
"""

import csv
import datetime
import random
import unicodedata
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from demo.casefile import seed_case_files
from demo.reports import seed_report_history
from demo.training import seed_training
from demo.transfers import seed_transfers
from kestrel.accounts.models import User
from kestrel.alerts.models import AlertGroup
from kestrel.audit.services import record
from kestrel.incidents.models import Category
from kestrel.schools.models import AccessLevel, Agency, School
from kestrel.students.models import Student
from kestrel.students.upn import make_upn

DEMO_SCHOOL_NAME = "Ashdown Primary School"
DEMO_DOMAIN = "example.org"
LA_CODE, ESTABLISHMENT = 886, 2417  # a made-up establishment number in Kent's LA code

ACCESS_LEVELS = [
    ("Reporter", 10, "Records concerns; sees only what they are alerted to."),
    ("Staff", 20, "Teachers and support staff."),
    ("Pastoral", 30, "Pastoral and SEND team."),
    ("DSL team", 40, "Designated Safeguarding Leads and deputies."),
]

# (name, access level, subcategories): the list in the user guide, in its order.
CATEGORIES = [
    ("Behaviour", "Staff", []),
    ("Bullying", "Staff", []),
    (
        "Child Protection",
        "DSL team",
        ["CAF", "Cause for Concern", "Child Protection Plan", "CIN", "Early Help"],
    ),
    ("Home Issues", "Pastoral", []),
    ("LAC", "DSL team", []),
    ("Medical Issues", "Staff", []),
    ("Prevent", "DSL team", []),
    ("SEND", "Pastoral", []),
    # Not in the guide: the category UKCIS's advice on nude and semi-nude images needs, marked
    # "No images" (pictures are refused on its incidents: staff describe the image instead).
    ("Sharing nudes and semi-nudes", "DSL team", []),
]
# Flags of the categories that have them (Category fields).
CATEGORY_FLAGS = {
    "Prevent": {"is_prevent": True},
    "Sharing nudes and semi-nudes": {"no_images": True},
}

AGENCIES = [
    "Children's Social Care",
    "Police",
    "CAMHS",
    "Early Help",
    "School Nurse",
    "GP",
    "Education Welfare Service",
    "Local Authority Designated Officer (LADO)",
    "Young Carers",
    "Virtual School",
]

# (first, last, job title, access level, key holder, school administrator, alert groups)
NAMED_STAFF = [
    (
        "Chloe",
        "Kelan",
        "Designated Safeguarding Lead",
        "DSL team",
        True,
        False,
        ["SLT", "DSL team"],
    ),
    ("Wendy", "Abbott", "SENCO", "Pastoral", False, False, ["SLT", "Pastoral team"]),
    ("James", "Carter", "Class teacher, 1B", "Staff", False, False, ["Teachers"]),
    ("Priya", "Shah", "Class teacher, 3A", "Staff", False, False, ["Teachers"]),
    ("Margaret", "Osei", "Headteacher", "DSL team", True, False, ["SLT", "DSL team"]),
    ("Daniel", "Fitzgerald", "Deputy Headteacher", "DSL team", True, False, ["SLT", "DSL team"]),
    ("Siobhan", "O'Neill", "Family Liaison Officer", "Pastoral", False, False, ["Pastoral team"]),
]

OFFICE = ("School", "Office", "School administrator")

TEACHER_NAMES = [
    ("Hannah", "Whitfield"),
    ("Tom", "Nakamura"),
    ("Grace", "Adeyemi"),
    ("Rhys", "Morgan"),
    ("Sophie", "Kowalczyk"),
    ("Ben", "Hargreaves"),
    ("Aisha", "Rahman"),
    ("Oliver", "Brennan"),
    ("Lucy", "Fernández"),
    ("Marcus", "Campbell"),
    ("Ellie", "Thompson"),
    ("Kwame", "Mensah"),
]
SUPPORT_NAMES = [
    ("Julie", "Baxter", "Teaching assistant"),
    ("Samira", "Begum", "Teaching assistant"),
    ("Karen", "Lloyd", "Teaching assistant"),
    ("Paul", "Dixon", "Teaching assistant"),
    ("Zoë", "Clarke", "Teaching assistant"),
    ("Agnieszka", "Nowak", "Teaching assistant"),
    ("Fiona", "McAllister", "Teaching assistant"),
    ("Ravi", "Patel", "Teaching assistant"),
    ("Tracey", "Hughes", "Teaching assistant"),
    ("Megan", "Price", "Teaching assistant"),
    ("Deborah", "Ward", "Lunchtime supervisor"),
    ("Linda", "Shaw", "Lunchtime supervisor"),
    ("Gary", "Holt", "Site manager"),
    ("Renée", "Dubois", "Breakfast club lead"),
    ("Stephen", "Walsh", "School business manager"),
    ("Nadia", "Haddad", "Learning mentor"),
    ("Chris", "Evans", "PE coach"),
    ("Imogen", "Ashworth", "Music teacher"),
    ("Yusuf", "Ali", "Teaching assistant"),
    ("Helen", "Parry", "Office assistant"),
    ("Joanne", "Fletcher", "Teaching assistant"),
    ("Mark", "Simmons", "ICT technician"),
    ("Bethan", "Rees", "Teaching assistant"),
    ("Olu", "Babatunde", "Teaching assistant"),
]

SURNAMES = [
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hunt",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Murray",
    "Dixon",
    "Harvey",
    "Graham",
    "Pearson",
    "Ahmed",
    "Fletcher",
    "Walsh",
    "Kaur",
    "Gibson",
    "Howard",
    "Andrews",
    "Stewart",
    "Elliott",
    "Reynolds",
    "Saunders",
    "Payne",
    "Fox",
    "Ford",
    "Pearce",
    "Day",
    "Brooks",
    "West",
    "Lawrence",
    "O'Brien",
    "O'Connor",
    "O'Sullivan",
    "McCarthy",
    "MacDonald",
    "McKenzie",
    "Nowak",
    "Kowalski",
    "Wiśniewska",
    "Okafor",
    "Adebayo",
    "Mensah",
    "Nguyen",
    "Chen",
    "Wong",
    "Yilmaz",
    "Popescu",
    "Silva",
    "Santos",
    "Fernández",
    "Müller",
    "Brontë",
    "Rahman",
    "Chowdhury",
    "Mahmood",
    "Iqbal",
    "Akhtar",
    "Smith-Jones",
    "Lewis-Brown",
    "Ashton-Hayes",
    "D'Souza",
    "De Souza",
    "Van der Berg",
    "Ó Briain",
    "Ní Bhriain",
    "Osei",
    "Abubakar",
    "Haddad",
]
EXTRA_FIRST_NAMES = [
    ("F", "Zoë"),
    ("F", "Chloé"),
    ("F", "Renée"),
    ("M", "José"),
    ("F", "Anaïs"),
    ("M", "Łukasz"),
    ("F", "Siân"),
    ("M", "Rhodri"),
    ("F", "Aoife"),
    ("M", "Eoin"),
]

# The guide's students, in the groups its screenshots show.
GUIDE_STUDENTS = [
    ("Hannah", "Greenwood", 1, "1B"),
    ("Matthew", "Greenwood", 5, "5B"),
    ("Danielle", "Bradshaw", 4, "4A"),
    ("Asif", "Hussain", 3, "3A"),
    ("Leah", "Simpson", 1, "1B"),
    ("Zoë", "O'Brien", 2, "2A"),
    ("Noor-Ul-Ain", "Rahman", 6, "6B"),
]
GUIDE_SURNAMES = ["Greenwood", "Bradshaw", "Hussain"]
GROUPS = [
    (year, f"{'R' if year == 0 else year}{letter}") for year in range(0, 7) for letter in "AB"
]
STUDENTS_PER_GROUP = 29
LEAVERS = 12


def _email(first: str, last: str) -> str:
    """A school-style address: "Zoë O'Neill" becomes zoe.oneill@example.org."""
    plain = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
    return f"{plain.replace(chr(39), '').replace(' ', '')}@{DEMO_DOMAIN}".lower()


def demo_school_exists() -> bool:
    return School.objects.exists()


def first_names() -> list[tuple[str, str]]:
    path = Path(__file__).parent / "data" / "first_names.csv"
    with path.open(encoding="utf-8") as handle:
        names = [(row["sex"], row["name"]) for row in csv.DictReader(handle)]
    return names + EXTRA_FIRST_NAMES


def birth_date(rng: random.Random, year_group: int, today: datetime.date) -> datetime.date:
    # A child in year N on 1 September of this academic year was born between
    # 1 September and 31 August, N + 5 years earlier.
    academic_start = today.year if today.month >= 9 else today.year - 1
    born_from = datetime.date(academic_start - year_group - 5, 9, 1)
    return born_from + datetime.timedelta(days=rng.randrange(365))


@transaction.atomic
def seed_demo_school(*, today: datetime.date | None = None) -> School:
    """Creates the demo school with its staff, students and configuration."""
    today = today or datetime.date.today()
    rng = random.Random(2018)  # noqa: S311 - repeatable demo data, not a secret
    # Help links (website, user guide, support, FAQ) are each school's own: set them in School
    # details. The demo has none rather than links that lead nowhere.
    school = School.objects.create(name=DEMO_SCHOOL_NAME)
    levels = {
        name: AccessLevel.objects.create(school=school, name=name, rank=rank, description=about)
        for name, rank, about in ACCESS_LEVELS
    }
    for position, (name, level, subcategories) in enumerate(CATEGORIES, start=1):
        parent = Category.objects.create(
            school=school,
            name=name,
            access_level=levels[level],
            position=position,
            **CATEGORY_FLAGS.get(name, {}),
        )
        for sub_position, sub in enumerate(subcategories, start=1):
            Category.objects.create(
                school=school,
                name=sub,
                parent=parent,
                access_level=levels[level],
                position=sub_position,
            )
    Agency.objects.bulk_create(Agency(school=school, name=name) for name in AGENCIES)

    groups = {
        name: AlertGroup.objects.create(school=school, name=name, description=about)
        for name, about in [
            ("SLT", "Senior leadership team"),
            ("Teachers", "Every class teacher"),
            ("DSL team", "Designated Safeguarding Lead and deputies"),
            ("Pastoral team", "SENCO and family liaison"),
            ("Support staff", "Teaching assistants and support staff"),
        ]
    }

    def add_staff(first, last, title, level, key=False, admin=False, email=None):
        return User.objects.create_user(
            email=email or _email(first, last),
            school=school,
            first_name=first,
            last_name=last,
            job_title=title,
            access_level=levels.get(level),
            is_key_holder=key,
            is_school_admin=admin,
        )

    memberships: dict[str, list[User]] = {name: [] for name in groups}
    for first, last, title, level, key, admin, in_groups in NAMED_STAFF:
        user = add_staff(first, last, title, level, key, admin)
        for group in in_groups:
            memberships[group].append(user)
    add_staff(*OFFICE, level=None, admin=True, email=f"office@{DEMO_DOMAIN}")
    # One class teacher per class: the named staff already teach 1B and 3A.
    taught = {title.removeprefix("Class teacher, ") for _, _, title, *_ in NAMED_STAFF}
    untaught = [group for _, group in GROUPS if group not in taught]
    for (first, last), group_name in zip(TEACHER_NAMES, untaught, strict=True):
        memberships["Teachers"].append(
            add_staff(first, last, f"Class teacher, {group_name}", "Staff")
        )
    for first, last, title in SUPPORT_NAMES:
        level = (
            "Reporter"
            if title in {"Lunchtime supervisor", "Site manager", "ICT technician"}
            else "Staff"
        )
        if title == "Learning mentor":
            level = "Pastoral"
        user = add_staff(first, last, title, level)
        memberships["Support staff"].append(user)
        if level == "Pastoral":
            memberships["Pastoral team"].append(user)
    for name, members in memberships.items():
        groups[name].members.set(members)

    _seed_students(school, rng, today)
    _seed_guide_incidents(school, groups)
    seed_case_files(school, today)
    seed_transfers(school, today)
    seed_training(school, today)
    seed_report_history(school, today)
    record(action="demo.seeded", school=school, obj=school)
    return school


GUIDE_INCIDENT_TEXT = (
    "Mr Greenwood was spotted outside of the school gates at the end of the school day. "
    "Mrs Simpson had seen him when she was coming to pick Leah up, and informed me that she was "
    "aware of the situation with the Greenwood family and that she had just seen him on her way "
    "in. She also managed to prevent both Hannah and Matthew from seeing their father and "
    "causing any distress."
)


def _seed_guide_incidents(school: School, groups: dict[str, AlertGroup]) -> None:
    """The three alerts on the guide's Dashboard screenshot, recorded 2, 4 and 6 days ago."""
    from kestrel.incidents.services import add_incident

    now = timezone.now()
    staff = {user.email.split("@")[0]: user for user in User.objects.filter(school=school)}
    students = {
        f"{s.legal_first_name} {s.legal_last_name}": s
        for s in Student.objects.filter(school=school, legal_last_name__in=GUIDE_SURNAMES)
    }
    category = {c.name: c for c in Category.objects.filter(school=school, parent__isnull=True)}
    agency = {a.name: a for a in Agency.objects.filter(school=school)}
    slt = list(groups["SLT"].members.all())
    james = staff["james.carter"]
    add_incident(
        actor=staff["chloe.kelan"],
        student=students["Hannah Greenwood"],
        text=GUIDE_INCIDENT_TEXT,
        categories=[category["Child Protection"], category["Home Issues"]],
        occurred_at=now - datetime.timedelta(days=2, hours=1),
        recorded_at=now - datetime.timedelta(days=2),
        linked_students=[{"student": students["Matthew Greenwood"], "share_documents": True}],
        agencies=[agency["Children's Social Care"]],
        alert_recipients=[james, *slt],
    )
    add_incident(
        actor=staff["chloe.kelan"],
        student=students["Danielle Bradshaw"],
        text="Danielle said that she had not had breakfast for the last three mornings and that "
        "there was no food at home at the weekend. Spoke to her gently; she was keen to go back "
        "to class. Breakfast club place offered.",
        categories=[category["Home Issues"]],
        occurred_at=now - datetime.timedelta(days=4, hours=3),
        recorded_at=now - datetime.timedelta(days=4),
        alert_recipients=[james],
    )
    add_incident(
        actor=staff["wendy.abbott"],
        student=students["Asif Hussain"],
        text="Asif became very distressed during the fire drill and hid under the table in the "
        "library. Calmed with his ear defenders and a quiet space. Review of his support plan "
        "needed before the next drill.",
        categories=[category["SEND"]],
        occurred_at=now - datetime.timedelta(days=6, hours=2),
        recorded_at=now - datetime.timedelta(days=6),
        alert_recipients=[james],
    )


def _seed_students(school: School, rng: random.Random, today: datetime.date) -> None:
    names = first_names()
    students: list[Student] = []
    serial = 0

    def next_upn(year_of_entry: int) -> str:
        nonlocal serial
        serial += 1
        return make_upn(LA_CODE, ESTABLISHMENT, year_of_entry, serial)

    guide_by_group: dict[str, list[tuple[str, str]]] = {}
    for first, last, _, group in GUIDE_STUDENTS:
        guide_by_group.setdefault(group, []).append((first, last))
    seen: set[tuple[str, str]] = set()
    for year, group in GROUPS:
        named = guide_by_group.get(group, [])
        for index in range(STUDENTS_PER_GROUP):
            if index < len(named):
                first, last = named[index]
            else:
                while True:
                    first = rng.choice(names)[1]
                    last = rng.choice(SURNAMES)
                    if (first, last) not in seen:
                        break
            seen.add((first, last))
            born = birth_date(rng, year, today)
            preferred = ""
            if rng.random() < 0.04 and "-" in first:
                preferred = first.split("-")[0]
            students.append(
                Student(
                    school=school,
                    legal_first_name=first,
                    legal_last_name=last,
                    preferred_first_name=preferred,
                    date_of_birth=born,
                    upn=next_upn(born.year + 4),
                    year_group=year,
                    tutor_group=group,
                )
            )
    for _ in range(LEAVERS):
        year = rng.randrange(0, 7)
        born = birth_date(rng, year, today)
        students.append(
            Student(
                school=school,
                legal_first_name=rng.choice(names)[1],
                legal_last_name=rng.choice(SURNAMES),
                date_of_birth=born,
                upn=next_upn(born.year + 4),
                year_group=year,
                tutor_group="",
                on_roll=False,
                left_on=today - datetime.timedelta(days=rng.randrange(30, 700)),
            )
        )
    Student.objects.bulk_create(students)
