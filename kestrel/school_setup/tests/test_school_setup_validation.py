"""School set-up refuses bad input with a message that says what is wrong, shows the form again
with what was typed, and saves nothing: never a server error."""

import datetime
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from kestrel.accounts.models import User
from kestrel.alerts.models import AlertGroup
from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import Category
from kestrel.school_setup.tests.test_school_setup_sections import form_fields
from kestrel.schools.models import AccessLevel, Agency
from kestrel.students.models import Student
from kestrel.students.upn import make_upn
from kestrel.testing.factories import (
    AgencyFactory,
    AlertGroupFactory,
    CategoryFactory,
    StudentFactory,
)

UPN = make_upn(886, 3001, 21, 7)


@pytest.fixture
def admin(signed_in, people):
    return signed_in(people.admin)


def student_data(**changes) -> dict:
    data = {
        "legal_first_name": "Hannah",
        "legal_last_name": "Greenwood",
        "preferred_first_name": "Annie",
        "preferred_last_name": "",
        "date_of_birth_0": "27",
        "date_of_birth_1": "3",
        "date_of_birth_2": "2017",
        "upn": UPN,
        "year_group": "1",
        "tutor_group": "1B",
        "on_roll": "on",
        "left_on_0": "",
        "left_on_1": "",
        "left_on_2": "",
    }
    data.update(changes)
    return data


def refused(response, message: str) -> dict[str, list[str]]:
    """Asserts the form came back with `message`; returns what the re-rendered form holds."""
    assert response.status_code == 200
    text = unescape(response.text)
    assert "There is a problem" in text
    assert message in text
    return form_fields(response).data


def add_student(client, **changes):
    return client.post(reverse("schools:add", args=["students"]), student_data(**changes))


def test_a_second_student_with_the_same_upn_is_refused_and_the_form_keeps_what_was_typed(
    school, admin
):
    StudentFactory(school=school, upn=UPN)

    response = add_student(admin, upn=UPN.lower())

    shown = refused(response, "Another student at this school already has this UPN.")
    assert shown["legal_first_name"] == ["Hannah"]
    assert shown["preferred_first_name"] == ["Annie"]
    assert shown["upn"] == [UPN.lower()]
    assert shown["date_of_birth_0"] == ["27"]
    assert shown["year_group"] == ["1"]
    assert Student.objects.filter(school=school).count() == 1


def test_the_same_upn_at_another_school_is_allowed(school, other_school, admin):
    StudentFactory(school=other_school, upn=UPN)

    response = add_student(admin)

    assert response.status_code == 302
    assert Student.objects.get(school=school).upn == UPN


def test_changing_a_student_to_another_students_upn_is_refused(school, admin):
    StudentFactory(school=school, upn=UPN)
    other = StudentFactory(school=school, upn=make_upn(886, 3001, 21, 8))
    form = form_fields(admin.get(reverse("schools:edit", args=["students", other.pk])))
    form.data["upn"] = [UPN]

    response = admin.post(reverse("schools:edit", args=["students", other.pk]), form.data)

    refused(response, "Another student at this school already has this UPN.")
    other.refresh_from_db()
    assert other.upn == make_upn(886, 3001, 21, 8)


def test_a_upn_with_the_wrong_check_letter_is_refused(admin):
    wrong = ("B" if UPN[0] != "B" else "C") + UPN[1:]

    response = add_student(admin, upn=wrong)

    shown = refused(response, "This UPN's check letter does not match its digits.")
    assert shown["upn"] == [wrong]
    assert not Student.objects.exists()


def test_a_upn_of_the_wrong_shape_is_refused(admin):
    response = add_student(admin, upn="12345")

    shown = refused(response, "Enter a UPN of 13 characters")
    assert shown["upn"] == ["12345"]
    assert not Student.objects.exists()


TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("31", "2", "2015", "Date of birth must be a real date."),
        ("ab", "cd", "efgh", "Date of birth must be a real date, written in numbers."),
        ("1", "March", "2015", "Date of birth must be a real date, written in numbers."),
        ("99999", "1", "2015", "Date of birth must be a real date."),
        (
            str(TOMORROW.day),
            str(TOMORROW.month),
            str(TOMORROW.year),
            "Date of birth must be today or in the past.",
        ),
        ("1", "9", "", "Date of birth must include a year."),
        ("", "", "2015", "Date of birth must include a day and month."),
        ("1", "9", "15", "Year must include 4 numbers."),
        ("1", "9", "1850", "Date of birth must be after"),
        ("", "", "", "Enter date of birth."),
    ],
    ids=[
        "31-feb",
        "letters",
        "month-name",
        "huge-day",
        "future",
        "no-year",
        "no-day-month",
        "2-digit-year",
        "too-old",
        "empty",
    ],
)
def test_an_invalid_date_of_birth_is_refused_with_what_was_typed_kept(
    admin, day, month, year, message
):
    response = add_student(admin, date_of_birth_0=day, date_of_birth_1=month, date_of_birth_2=year)

    shown = refused(response, message)
    assert (shown["date_of_birth_0"], shown["date_of_birth_1"], shown["date_of_birth_2"]) == (
        [day],
        [month],
        [year],
    )
    assert shown["legal_last_name"] == ["Greenwood"]
    assert not Student.objects.exists()


def test_a_student_marked_not_on_roll_needs_the_date_they_left(admin):
    data = student_data()
    del data["on_roll"]

    response = admin.post(reverse("schools:add", args=["students"]), data)

    shown = refused(response, "Enter the date the student left.")
    assert "on_roll" not in shown
    assert shown["tutor_group"] == ["1B"]
    assert not Student.objects.exists()


def test_a_student_on_roll_has_no_date_left(admin):
    response = add_student(admin, left_on_0="1", left_on_1="9", left_on_2="2023")

    shown = refused(response, "A student on roll has no date left")
    assert (shown["left_on_0"], shown["left_on_1"], shown["left_on_2"]) == (["1"], ["9"], ["2023"])
    assert not Student.objects.exists()


def test_a_date_left_in_the_future_is_refused(admin):
    data = student_data(
        left_on_0=str(TOMORROW.day), left_on_1=str(TOMORROW.month), left_on_2=str(TOMORROW.year)
    )
    del data["on_roll"]

    response = admin.post(reverse("schools:add", args=["students"]), data)

    refused(response, "Date left must be today or in the past.")
    assert not Student.objects.exists()


@pytest.mark.parametrize("name", ["", "   "], ids=["blank", "spaces"])
def test_a_category_needs_a_name(admin, levels, name):
    response = admin.post(
        reverse("schools:add", args=["categories"]),
        {"name": name, "access_level": levels.dsl.pk, "position": "4", "is_active": "on"},
    )

    shown = refused(response, "Enter category name.")
    assert shown["access_level"] == [str(levels.dsl.pk)]
    assert shown["position"] == ["4"]
    assert not Category.objects.exists()


def test_renaming_a_category_to_spaces_is_refused(school, admin, levels):
    category = CategoryFactory(school=school, name="Bullying", access_level=levels.staff)
    form = form_fields(admin.get(reverse("schools:edit", args=["categories", category.pk])))
    form.data["name"] = ["   "]

    response = admin.post(reverse("schools:edit", args=["categories", category.pk]), form.data)

    refused(response, "Enter category name.")
    category.refresh_from_db()
    assert category.name == "Bullying"


def test_a_category_may_leave_its_order_empty(admin, levels):
    response = admin.post(
        reverse("schools:add", args=["categories"]),
        {"name": "Attendance", "access_level": levels.staff.pk, "position": "", "is_active": "on"},
    )

    assert response.status_code == 302
    assert Category.objects.get(name="Attendance").position == 0


def test_a_category_name_differing_only_in_case_is_refused(school, admin, levels):
    CategoryFactory(school=school, name="Bullying", access_level=levels.staff)

    response = admin.post(
        reverse("schools:add", args=["categories"]),
        {"name": "BULLYING", "access_level": levels.staff.pk, "is_active": "on"},
    )

    shown = refused(response, "A category called “BULLYING” already exists")
    assert shown["name"] == ["BULLYING"]
    assert Category.objects.count() == 1


def test_a_subcategory_name_differing_only_in_case_is_refused_under_the_same_parent(
    school, admin, levels
):
    parent = CategoryFactory(school=school, name="Child protection", access_level=levels.dsl)
    CategoryFactory(school=school, name="Neglect", parent=parent, access_level=levels.dsl)
    data = {"name": "neglect", "parent": parent.pk, "access_level": levels.dsl.pk}

    response = admin.post(reverse("schools:add", args=["categories"]), data)

    refused(response, "A category called “neglect” already exists")
    assert Category.objects.filter(name__iexact="neglect").count() == 1


def test_the_same_subcategory_name_is_allowed_under_another_parent(school, admin, levels):
    first = CategoryFactory(school=school, name="Child protection", access_level=levels.dsl)
    second = CategoryFactory(school=school, name="Behaviour", access_level=levels.staff)
    CategoryFactory(school=school, name="Online", parent=first, access_level=levels.dsl)
    data = {"name": "Online", "parent": second.pk, "access_level": levels.staff.pk}

    response = admin.post(reverse("schools:add", args=["categories"]), data)

    assert response.status_code == 302
    assert Category.objects.filter(name="Online").count() == 2


def test_a_subcategory_is_not_offered_as_a_parent_and_cannot_be_posted_as_one(
    school, admin, levels
):
    main = CategoryFactory(school=school, name="Child protection", access_level=levels.dsl)
    sub = CategoryFactory(school=school, name="Neglect", parent=main, access_level=levels.dsl)

    form = form_fields(admin.get(reverse("schools:add", args=["categories"])))
    assert str(main.pk) in form.choices["parent"]
    assert str(sub.pk) not in form.choices["parent"]

    response = admin.post(
        reverse("schools:add", args=["categories"]),
        {"name": "Physical neglect", "parent": sub.pk, "access_level": levels.dsl.pk},
    )

    shown = refused(response, "Select a valid choice.")
    assert shown["name"] == ["Physical neglect"]
    assert not Category.objects.filter(name="Physical neglect").exists()


def test_a_category_cannot_be_its_own_parent(school, admin, levels):
    category = CategoryFactory(school=school, name="Bullying", access_level=levels.staff)
    url = reverse("schools:edit", args=["categories", category.pk])
    form = form_fields(admin.get(url))
    assert str(category.pk) not in form.choices["parent"]
    form.data["parent"] = [str(category.pk)]

    response = admin.post(url, form.data)

    refused(response, "Select a valid choice.")
    category.refresh_from_db()
    assert category.parent is None


def test_a_main_category_with_subcategories_cannot_become_a_subcategory(school, admin, levels):
    main = CategoryFactory(school=school, name="Child protection", access_level=levels.dsl)
    CategoryFactory(school=school, name="Neglect", parent=main, access_level=levels.dsl)
    other = CategoryFactory(school=school, name="Behaviour", access_level=levels.staff)
    url = reverse("schools:edit", args=["categories", main.pk])
    form = form_fields(admin.get(url))
    form.data["parent"] = [str(other.pk)]

    response = admin.post(url, form.data)

    refused(response, "This category has subcategories of its own")
    main.refresh_from_db()
    assert main.parent is None


def test_a_staff_email_differing_only_in_case_is_refused(admin, people, levels):
    response = admin.post(
        reverse("schools:add", args=["staff"]),
        {
            "first_name": "Chloe",
            "last_name": "Kelan-Smith",
            "email": "CHLOE.Kelan@Example.org",
            "job_title": "Deputy DSL",
            "access_level": levels.dsl.pk,
            "is_active": "on",
        },
    )

    shown = refused(response, "A staff member with this email address already exists.")
    assert shown["email"] == ["CHLOE.Kelan@Example.org"]
    assert shown["last_name"] == ["Kelan-Smith"]
    assert not User.objects.filter(last_name="Kelan-Smith").exists()


def test_a_staff_email_used_at_another_school_is_refused(admin, people):
    response = admin.post(
        reverse("schools:add", args=["staff"]),
        {"first_name": "Olu", "last_name": "Other", "email": "Office@BrookLane.example.org"},
    )

    refused(response, "A staff member with this email address already exists.")
    assert User.objects.filter(email__iexact="office@brooklane.example.org").count() == 1


def test_a_staff_member_keeps_their_own_email_when_saved(admin, people):
    url = reverse("schools:edit", args=["staff", people.teacher.pk])
    form = form_fields(admin.get(url))
    form.data["email"] = ["James.Carter@example.org"]

    response = admin.post(url, form.data)

    assert response.status_code == 302
    people.teacher.refresh_from_db()
    assert people.teacher.email == "james.carter@example.org"


def test_a_staff_member_needs_a_valid_email(admin):
    response = admin.post(
        reverse("schools:add", args=["staff"]),
        {"first_name": "Priya", "last_name": "Shah", "email": "priya at school"},
    )

    shown = refused(response, "Enter a valid email address.")
    assert shown["email"] == ["priya at school"]
    assert shown["first_name"] == ["Priya"]


@pytest.mark.parametrize(
    ("slug", "model", "existing", "data", "message"),
    [
        (
            "agencies",
            Agency,
            lambda school: AgencyFactory(school=school, name="Police"),
            {"name": "police", "is_active": "on"},
            "An agency called “police” already exists",
        ),
        (
            "alert-groups",
            AlertGroup,
            lambda school: AlertGroupFactory(school=school, name="SLT"),
            {"name": "slt", "description": "Leaders", "is_active": "on"},
            "An alert group called “slt” already exists",
        ),
        (
            "access-levels",
            AccessLevel,
            lambda school: None,  # the school's "DSL team"
            {"name": "dsl TEAM", "rank": "90", "description": "Again", "is_active": "on"},
            "An access level called “dsl TEAM” already exists",
        ),
    ],
    ids=["agency", "alert-group", "access-level"],
)
def test_a_duplicate_name_differing_only_in_case_is_refused(
    school, levels, admin, slug, model, existing, data, message
):
    existing(school)
    before = model.objects.count()

    response = admin.post(reverse("schools:add", args=[slug]), data)

    shown = refused(response, message)
    assert shown["name"] == [data["name"]]
    assert model.objects.count() == before
    # The message sits by the name box, which is marked as wrong.
    assert 'href="#id_name"' in response.text
    assert 'class="govuk-input govuk-input--error"' in response.text
    assert 'aria-describedby="id_name-error"' in response.text


@pytest.mark.parametrize(
    ("slug", "make"),
    [
        ("agencies", lambda school: AgencyFactory(school=school, name="Police")),
        ("alert-groups", lambda school: AlertGroupFactory(school=school, name="SLT")),
    ],
    ids=["agency", "alert-group"],
)
def test_the_same_name_at_another_school_is_allowed(other_school, admin, slug, make):
    make(other_school)
    name = "Police" if slug == "agencies" else "SLT"

    response = admin.post(reverse("schools:add", args=[slug]), {"name": name, "is_active": "on"})

    assert response.status_code == 302


def test_an_access_level_rank_used_already_is_refused(admin, levels):
    response = admin.post(
        reverse("schools:add", args=["access-levels"]),
        {"name": "Pastoral", "rank": "40", "is_active": "on"},
    )

    shown = refused(response, "Another access level already has this rank")
    assert shown["rank"] == ["40"]
    assert not AccessLevel.objects.filter(name="Pastoral").exists()


@pytest.mark.parametrize(
    ("slug", "model", "message"),
    [
        ("alert-groups", AlertGroup, "Enter group name."),
        ("agencies", Agency, "Enter agency name."),
        ("access-levels", AccessLevel, "Enter name."),
    ],
    ids=["alert-group", "agency", "access-level"],
)
def test_a_name_of_only_spaces_is_refused(admin, levels, slug, model, message):
    before = model.objects.count()

    response = admin.post(
        reverse("schools:add", args=[slug]),
        {"name": "   ", "rank": "70", "description": "Kept", "is_active": "on"},
    )

    shown = refused(response, message)
    assert shown.get("description", ["Kept"]) == ["Kept"]
    assert model.objects.count() == before


def test_a_clash_found_only_by_the_database_is_explained_not_a_server_error(
    school, admin, monkeypatch
):
    # Two administrators saving "Police" at the same moment: both forms pass their checks, and
    # the database refuses the second.
    AgencyFactory(school=school, name="Police")
    monkeypatch.setattr(
        "kestrel.school_setup.forms.AgencyForm.validate_constraints", lambda form: None
    )

    response = admin.post(reverse("schools:add", args=["agencies"]), {"name": "POLICE"})

    shown = refused(response, "could not be saved because it clashes with another")
    assert shown["name"] == ["POLICE"]
    assert list(Agency.objects.values_list("name", flat=True)) == ["Police"]
    assert not AuditEvent.objects.filter(action="agency.added").exists()


def test_a_date_left_before_the_date_of_birth_is_refused(admin, school):
    response = admin.post(
        reverse("schools:add", args=["students"]),
        {
            "legal_first_name": "Leah",
            "legal_last_name": "Simpson",
            "date_of_birth_0": "4",
            "date_of_birth_1": "5",
            "date_of_birth_2": "2018",
            "year_group": "2",
            "left_on_0": "1",
            "left_on_1": "1",
            "left_on_2": "2017",
        },
    )
    refused(response, "Date left must be after the date of birth.")
