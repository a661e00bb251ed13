"""The demo school (`manage.py seed_demo`): the people, students and set-up the user guides show."""

import datetime
import io
import re
import unicodedata
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from demo.school import seed_demo_school
from kestrel.accounts.models import User
from kestrel.alerts.models import AlertGroup
from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import Category
from kestrel.schools.models import AccessLevel, Agency, School
from kestrel.students.models import Student
from kestrel.students.upn import validate_upn

pytestmark = pytest.mark.django_db

GUIDE_CATEGORIES = [
    "Behaviour",
    "Bullying",
    "Child Protection",
    "Home Issues",
    "LAC",
    "Medical Issues",
    "Prevent",
    "SEND",
]
# After the guide's list: the category for nude and semi-nude images (UKCIS), "No images".
NUDE_IMAGES = "Sharing nudes and semi-nudes"
CHILD_PROTECTION_SUBCATEGORIES = [
    "CAF",
    "Cause for Concern",
    "Child Protection Plan",
    "CIN",
    "Early Help",
]


@pytest.fixture
def demo():
    """Seeds the demo school the way `make run` does; returns it."""
    call_command("seed_demo", stdout=io.StringIO())
    return School.objects.get()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (School, User, Student, Category, AccessLevel, AlertGroup, Agency, AuditEvent)
    }


def folded(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def test_seed_demo_creates_ashdown_primary_school_and_says_how_to_sign_in(db):
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert list(School.objects.values_list("name", flat=True)) == ["Ashdown Primary School"]
    assert "chloe.kelan@example.org" in out.getvalue()
    assert "Forgotten your password or using Kestrel for the first time?" in out.getvalue()
    assert AuditEvent.objects.filter(action="demo.seeded").count() == 1


@pytest.mark.parametrize(
    ("email", "name", "job_title", "level", "key_holder", "school_admin"),
    [
        (
            "chloe.kelan@example.org",
            "Chloe Kelan",
            "Designated Safeguarding Lead",
            "DSL team",
            True,
            False,
        ),
        ("wendy.abbott@example.org", "Wendy Abbott", "SENCO", "Pastoral", False, False),
        ("james.carter@example.org", "James Carter", "Class teacher, 1B", "Staff", False, False),
        ("priya.shah@example.org", "Priya Shah", "Class teacher, 3A", "Staff", False, False),
        ("office@example.org", "School Office", "School administrator", None, False, True),
    ],
)
def test_guides_staff_exist_with_the_guides_roles(
    demo, email, name, job_title, level, key_holder, school_admin
):
    person = User.objects.select_related("access_level").get(email=email)

    assert person.school == demo
    assert person.full_name == name
    assert person.job_title == job_title
    assert (person.access_level.name if person.access_level else None) == level
    assert person.is_key_holder is key_holder
    assert person.is_school_admin is school_admin
    assert person.is_active


def test_only_the_office_account_administers_the_school(demo):
    admins = User.objects.filter(is_school_admin=True)

    assert list(admins.values_list("email", flat=True)) == ["office@example.org"]


def test_demo_school_has_at_least_forty_staff(demo):
    assert User.objects.filter(school=demo).count() >= 40


def test_no_demo_account_has_a_usable_password(demo):
    staff = list(User.objects.all())

    assert staff
    assert [user.email for user in staff if user.has_usable_password()] == []


def test_every_demo_email_is_ascii_lowercase_and_unique(demo):
    emails = list(User.objects.values_list("email", flat=True))

    assert all(email.isascii() for email in emails), [e for e in emails if not e.isascii()]
    assert all(email == email.lower() for email in emails)
    assert all(re.fullmatch(r"[a-z]+(\.[a-z-]+)?@example\.org", email) for email in emails), emails
    assert len(set(emails)) == len(emails)


def test_staff_with_accented_or_apostrophe_names_get_plain_email_addresses(demo):
    assert User.objects.get(email="siobhan.oneill@example.org").last_name == "O'Neill"
    assert User.objects.get(email="zoe.clarke@example.org").first_name == "Zoë"
    assert User.objects.get(email="lucy.fernandez@example.org").last_name == "Fernández"


def test_alert_groups_include_slt_teachers_and_the_dsl_team(demo):
    groups = {group.name: group for group in AlertGroup.objects.filter(school=demo)}
    members = {
        name: set(group.members.values_list("email", flat=True)) for name, group in groups.items()
    }

    assert {"SLT", "Teachers", "DSL team"} <= set(groups)
    assert "chloe.kelan@example.org" in members["SLT"]
    assert "chloe.kelan@example.org" in members["DSL team"]
    assert "wendy.abbott@example.org" in members["SLT"]
    assert {"james.carter@example.org", "priya.shah@example.org"} <= members["Teachers"]
    assert "james.carter@example.org" not in members["DSL team"]
    assert "office@example.org" not in members["DSL team"]


def test_every_class_teacher_is_in_the_teachers_alert_group(demo):
    teachers = set(
        User.objects.filter(job_title__startswith="Class teacher").values_list("email", flat=True)
    )
    group = set(AlertGroup.objects.get(name="Teachers").members.values_list("email", flat=True))

    assert len(teachers) >= 12
    assert teachers <= group


def test_dsl_team_alert_group_holds_only_staff_at_the_dsl_level(demo):
    members = AlertGroup.objects.get(name="DSL team").members.select_related("access_level")

    assert members.exists()
    assert {member.access_level.name for member in members} == {"DSL team"}


def test_every_class_has_exactly_one_class_teacher(demo):
    titles = User.objects.filter(job_title__startswith="Class teacher, ").values_list(
        "job_title", flat=True
    )
    classes_taught = Counter(title.removeprefix("Class teacher, ") for title in titles)
    classes = set(Student.objects.filter(on_roll=True).values_list("tutor_group", flat=True))

    assert set(classes_taught) == classes
    assert {name for name, teachers in classes_taught.items() if teachers > 1} == set()


@pytest.mark.parametrize(
    ("first", "last", "year_group", "tutor_group"),
    [
        ("Hannah", "Greenwood", 1, "1B"),
        ("Matthew", "Greenwood", 5, "5B"),
        ("Danielle", "Bradshaw", 4, "4A"),
        ("Asif", "Hussain", 3, "3A"),
        ("Leah", "Simpson", 1, "1B"),
    ],
)
def test_guides_students_are_on_roll_in_their_groups(demo, first, last, year_group, tutor_group):
    child = Student.objects.get(school=demo, legal_first_name=first, legal_last_name=last)

    assert child.on_roll
    assert child.year_group == year_group
    assert child.tutor_group == tutor_group
    assert str(child) == f"{first} {last} ({tutor_group})"


def test_at_least_four_hundred_students_are_on_roll_from_reception_to_year_six(demo):
    on_roll = Student.objects.filter(school=demo, on_roll=True)

    assert on_roll.count() >= 400
    per_year = Counter(on_roll.values_list("year_group", flat=True))
    assert set(per_year) == {0, 1, 2, 3, 4, 5, 6}
    assert min(per_year.values()) >= 50


def test_each_students_registration_group_matches_their_year_group(demo):
    for year_group, tutor_group in Student.objects.filter(on_roll=True).values_list(
        "year_group", "tutor_group"
    ):
        expected_prefix = "R" if year_group == 0 else str(year_group)
        assert re.fullmatch(rf"{expected_prefix}[AB]", tutor_group), (year_group, tutor_group)


def test_students_who_left_are_kept_with_a_leaving_date_and_no_group(demo):
    leavers = Student.objects.filter(on_roll=False)

    assert leavers.exists()
    assert all(child.left_on is not None and child.tutor_group == "" for child in leavers)


def test_students_birth_dates_fit_their_year_group(db):
    today = datetime.date(2025, 11, 3)  # academic year 2025-26
    seed_demo_school(today=today)

    for child in Student.objects.filter(on_roll=True):
        # Reception children turn 5 during 2025-26: born 1 Sep 2020 to 31 Aug 2021.
        born_from = datetime.date(2020 - child.year_group, 9, 1)
        born_to = datetime.date(2021 - child.year_group, 8, 31)
        assert born_from <= child.date_of_birth <= born_to, (child, child.date_of_birth)


def test_student_names_include_an_apostrophe_a_hyphen_and_an_accent(demo):
    names = [
        f"{first} {last}"
        for first, last in Student.objects.values_list("legal_first_name", "legal_last_name")
    ]

    assert any("'" in name for name in names)
    assert any("-" in name for name in names)
    assert any(folded(name) != name for name in names)


def test_every_students_upn_is_valid_and_unique(demo):
    upns = list(Student.objects.filter(school=demo).values_list("upn", flat=True))

    assert len(upns) >= 400
    for upn in upns:
        validate_upn(upn)
    assert len(set(upns)) == len(upns)


def test_every_student_passes_model_validation(demo):
    for child in Student.objects.filter(school=demo):
        child.full_clean()


def test_categories_are_the_guides_main_list_in_order(demo):
    top_level = Category.objects.filter(school=demo, parent=None).order_by("position")

    assert list(top_level.values_list("name", flat=True)) == [*GUIDE_CATEGORIES, NUDE_IMAGES]


def test_the_category_for_nude_and_semi_nude_images_refuses_pictures_and_no_other_does(demo):
    no_images = Category.objects.filter(school=demo, no_images=True)

    assert list(no_images.values_list("name", flat=True)) == [NUDE_IMAGES]


def test_the_prevent_category_asks_for_the_prevent_facts_and_no_other_does(demo):
    prevent = Category.objects.filter(school=demo, is_prevent=True)

    assert list(prevent.values_list("name", flat=True)) == ["Prevent"]


def test_child_protection_has_the_guides_subcategories_in_order(demo):
    child_protection = Category.objects.get(school=demo, name="Child Protection", parent=None)

    subcategories = child_protection.subcategories.order_by("position")

    assert list(subcategories.values_list("name", flat=True)) == CHILD_PROTECTION_SUBCATEGORIES
    assert (
        Category.objects.filter(parent__isnull=False).exclude(parent=child_protection).count() == 0
    )


def test_every_category_has_an_access_level_of_its_own_school(demo):
    categories = Category.objects.filter(school=demo).select_related("access_level", "parent")

    assert categories.count() == len(GUIDE_CATEGORIES) + 1 + len(CHILD_PROTECTION_SUBCATEGORIES)
    for category in categories:
        assert category.access_level is not None
        assert category.access_level.school_id == demo.pk
        if category.parent:
            assert category.access_level == category.parent.access_level


def test_child_protection_needs_the_dsl_team_level(demo):
    child_protection = Category.objects.get(name="Child Protection", parent=None)

    assert child_protection.access_level.name == "DSL team"
    assert child_protection.access_level.rank == AccessLevel.objects.order_by("-rank")[0].rank


def test_seed_demo_if_empty_on_a_seeded_database_adds_nothing_and_says_so(demo):
    before = counts()
    out = io.StringIO()

    call_command("seed_demo", "--if-empty", stdout=out)

    assert counts() == before
    assert "already" in out.getvalue()
    assert "not added" in out.getvalue()


def test_seed_demo_if_empty_on_an_empty_database_seeds_the_school(db):
    call_command("seed_demo", "--if-empty", stdout=io.StringIO())

    assert School.objects.get().name == "Ashdown Primary School"
    assert Student.objects.count() >= 400


def test_seed_demo_refuses_to_seed_a_database_that_already_has_a_school(demo):
    before = counts()

    with pytest.raises(CommandError, match="already has a school"):
        call_command("seed_demo", stdout=io.StringIO())

    assert counts() == before


def test_seed_demo_if_empty_leaves_a_real_school_alone(db):
    School.objects.create(name="St Mary's Church of England Primary")

    call_command("seed_demo", "--if-empty", stdout=io.StringIO())

    assert list(School.objects.values_list("name", flat=True)) == [
        "St Mary's Church of England Primary"
    ]
    assert User.objects.count() == 0
