"""The school is a tenant: an administrator sees and changes only their own school's set-up, and
every choice a form offers (access levels, parents, members) comes from their own school."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from kestrel.accounts.models import User
from kestrel.alerts.models import AlertGroup
from kestrel.incidents.models import Category
from kestrel.school_setup.tests.test_school_setup_sections import form_fields
from kestrel.schools.models import Agency
from kestrel.testing.factories import (
    AccessLevelFactory,
    AgencyFactory,
    AlertGroupFactory,
    CategoryFactory,
    StudentFactory,
    UserFactory,
)

# Each section's row at the first school, how the list shows it, and a field an edit would change.
ROWS = {
    "staff": (lambda s, people: people.teacher, "James Carter", "job_title"),
    "students": (
        lambda s, people: StudentFactory(
            school=s, legal_first_name="Hannah", legal_last_name="Greenwood"
        ),
        "Greenwood",
        "legal_last_name",
    ),
    "categories": (
        lambda s, people: CategoryFactory(school=s, name="Ashdown bullying"),
        "Ashdown bullying",
        "name",
    ),
    "alert-groups": (
        lambda s, people: AlertGroupFactory(school=s, name="Ashdown SLT"),
        "Ashdown SLT",
        "name",
    ),
    "agencies": (
        lambda s, people: AgencyFactory(school=s, name="Ashdown police"),
        "Ashdown police",
        "name",
    ),
    "access-levels": (
        lambda s, people: AccessLevelFactory(school=s, name="Ashdown pastoral", rank=33),
        "Ashdown pastoral",
        "name",
    ),
}


@pytest.fixture
def other_admin(signed_in, people):
    return signed_in(people.other_admin)


@pytest.fixture
def admin(signed_in, people):
    return signed_in(people.admin)


@pytest.fixture
def foreign(other_school):
    """Rows of the other school that must never be offered to the first school's administrator."""
    level = AccessLevelFactory(school=other_school, name="Brook Lane level", rank=20)
    return SimpleNamespace(
        level=level,
        category=CategoryFactory(
            school=other_school, name="Brook Lane category", access_level=level
        ),
        staff=UserFactory(
            school=other_school,
            first_name="Bea",
            last_name="Brook",
            email="bea.brook@brooklane.example.org",
        ),
    )


@pytest.mark.parametrize("slug", ROWS)
def test_another_schools_administrator_gets_404_for_this_schools_edit_pages(
    slug, school, people, other_admin
):
    make, _, _ = ROWS[slug]
    obj = make(school, people)

    response = other_admin.get(reverse("schools:edit", args=[slug, obj.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("slug", ROWS)
def test_another_schools_administrator_never_sees_this_schools_rows_in_lists(
    slug, school, people, other_admin
):
    make, shown, _ = ROWS[slug]
    obj = make(school, people)

    listing = other_admin.get(reverse("schools:section", args=[slug]))
    searched = other_admin.get(reverse("schools:section", args=[slug]), {"q": shown})

    assert listing.status_code == searched.status_code == 200
    assert shown not in listing.text
    assert reverse("schools:edit", args=[slug, obj.pk]) not in listing.text
    assert reverse("schools:edit", args=[slug, obj.pk]) not in searched.text
    assert obj not in [row for row, _ in listing.context["table"]]
    assert obj not in [row for row, _ in searched.context["table"]]


@pytest.mark.parametrize("slug", ROWS)
def test_posting_to_another_schools_row_changes_nothing(slug, school, people, admin, other_admin):
    make, _, field = ROWS[slug]
    obj = make(school, people)
    url = reverse("schools:edit", args=[slug, obj.pk])
    # What the row's own administrator would post, with one field changed.
    data = form_fields(admin.get(url)).data
    data[field] = ["Changed by another school"]
    before = type(obj).objects.filter(pk=obj.pk).values().get()

    response = other_admin.post(url, data)

    assert response.status_code == 404
    assert type(obj).objects.filter(pk=obj.pk).values().get() == before


def test_the_overview_counts_only_the_schools_own_rows(school, other_school, people, other_admin):
    for n in range(3):
        AgencyFactory(school=school, name=f"Ashdown agency {n}")
    AgencyFactory(school=other_school, name="Brook Lane agency")

    response = other_admin.get(reverse("schools:overview"))

    counts = {section.slug: count for section, count in response.context["sections"]}
    assert counts["agencies"] == 1
    assert counts["staff"] == 1
    assert "Ashdown Primary School" not in response.text


def test_a_posted_school_is_ignored_and_the_row_joins_the_administrators_school(
    school, other_school, admin
):
    response = admin.post(
        reverse("schools:add", args=["agencies"]),
        {"name": "Police", "is_active": "on", "school": other_school.pk},
    )

    assert response.status_code == 302
    assert Agency.objects.get(name="Police").school == school


def test_another_schools_administrator_details_page_shows_their_own_school(other_admin):
    response = other_admin.get(reverse("schools:details"))

    assert form_fields(response).data["name"] == ["Brook Lane Academy"]


def test_a_category_is_offered_only_this_schools_access_levels_and_parents(
    school, levels, admin, foreign
):
    main = CategoryFactory(school=school, name="Child protection", access_level=levels.dsl)

    form = form_fields(admin.get(reverse("schools:add", args=["categories"])))

    assert set(form.choices["access_level"]) == {str(levels.staff.pk), str(levels.dsl.pk)}
    assert set(form.choices["parent"]) == {"", str(main.pk)}


@pytest.mark.parametrize("field", ["access_level", "parent"])
def test_a_category_posted_with_another_schools_choice_is_refused(levels, admin, foreign, field):
    data = {"name": "Online safety", "access_level": levels.staff.pk, "is_active": "on"}
    data[field] = foreign.level.pk if field == "access_level" else foreign.category.pk

    response = admin.post(reverse("schools:add", args=["categories"]), data)

    assert response.status_code == 200
    assert "Select a valid choice." in response.text
    assert not Category.objects.filter(name="Online safety").exists()


def test_a_category_cannot_be_moved_to_another_schools_access_level(school, levels, admin, foreign):
    category = CategoryFactory(school=school, name="Bullying", access_level=levels.staff)
    url = reverse("schools:edit", args=["categories", category.pk])
    data = form_fields(admin.get(url)).data
    data["access_level"] = [str(foreign.level.pk)]

    response = admin.post(url, data)

    assert response.status_code == 200
    category.refresh_from_db()
    assert category.access_level == levels.staff


def test_staff_are_offered_only_this_schools_access_levels(levels, admin, people, foreign):
    form = form_fields(admin.get(reverse("schools:edit", args=["staff", people.teacher.pk])))

    assert set(form.choices["access_level"]) == {"", str(levels.staff.pk), str(levels.dsl.pk)}
    assert "Brook Lane level" not in admin.get(reverse("schools:add", args=["staff"])).text


def test_a_staff_member_posted_with_another_schools_access_level_is_refused(
    levels, admin, people, foreign
):
    url = reverse("schools:edit", args=["staff", people.teacher.pk])
    data = form_fields(admin.get(url)).data
    data["access_level"] = [str(foreign.level.pk)]

    response = admin.post(url, data)

    assert response.status_code == 200
    assert "Select a valid choice." in response.text
    people.teacher.refresh_from_db()
    assert people.teacher.access_level == levels.staff

    response = admin.post(
        reverse("schools:add", args=["staff"]),
        {
            "first_name": "Priya",
            "last_name": "Shah",
            "email": "priya.shah@example.org",
            "access_level": foreign.level.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="priya.shah@example.org").exists()


def test_alert_groups_are_offered_only_this_schools_staff(admin, people, foreign):
    form = form_fields(admin.get(reverse("schools:add", args=["alert-groups"])))

    assert set(form.choices["members"]) == {
        str(people.dsl.pk),
        str(people.teacher.pk),
        str(people.admin.pk),
    }
    assert "Bea Brook" not in admin.get(reverse("schools:add", args=["alert-groups"])).text


def test_an_alert_group_posted_with_another_schools_staff_is_refused(
    school, admin, people, foreign
):
    response = admin.post(
        reverse("schools:add", args=["alert-groups"]),
        {"name": "Pastoral", "members": [people.dsl.pk, foreign.staff.pk], "is_active": "on"},
    )

    assert response.status_code == 200
    assert "Select a valid choice." in response.text
    assert not AlertGroup.objects.filter(name="Pastoral").exists()

    group = AlertGroupFactory(school=school, name="SLT")
    group.members.add(people.dsl)
    url = reverse("schools:edit", args=["alert-groups", group.pk])
    data = form_fields(admin.get(url)).data
    data["members"] = [str(people.dsl.pk), str(foreign.staff.pk)]

    response = admin.post(url, data)

    assert response.status_code == 200
    assert list(group.members.all()) == [people.dsl]


def test_retired_rows_of_this_school_are_not_offered_for_new_rows(school, levels, admin, people):
    retired_level = AccessLevelFactory(school=school, name="Old level", rank=5, is_active=False)
    retired_main = CategoryFactory(
        school=school, name="Old category", access_level=levels.staff, is_active=False
    )
    people.teacher.is_active = False
    people.teacher.save()

    category_form = form_fields(admin.get(reverse("schools:add", args=["categories"])))
    group_form = form_fields(admin.get(reverse("schools:add", args=["alert-groups"])))

    assert str(retired_level.pk) not in category_form.choices["access_level"]
    assert str(retired_main.pk) not in category_form.choices["parent"]
    assert str(people.teacher.pk) not in group_form.choices["members"]


@pytest.mark.parametrize(
    ("query", "shown", "left_out"),
    [
        ("Zara", "Zara Ashdown", "Zara Brook"),  # another school's student never matches
        ("zoe ostergard", "Zoë Østergård", "Zoe Marsh"),  # found without typing the accents
    ],
)
def test_a_search_finds_this_schools_students_ignoring_accents(
    school, other_school, admin, query, shown, left_out
):
    StudentFactory(school=other_school, legal_first_name="Zara", legal_last_name="Brook")
    StudentFactory(school=school, legal_first_name="Zara", legal_last_name="Ashdown")
    StudentFactory(school=school, legal_first_name="Zoë", legal_last_name="Østergård")
    StudentFactory(school=school, legal_first_name="Zoe", legal_last_name="Marsh")

    response = admin.get(reverse("schools:section", args=["students"]), {"q": query})

    assert shown in response.text
    assert left_out not in response.text
    assert response.context["page"].paginator.count == 1
