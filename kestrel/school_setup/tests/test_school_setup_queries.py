"""School set-up lists run a fixed number of queries, however many rows the school has."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kestrel.testing.factories import (
    AccessLevelFactory,
    AlertGroupFactory,
    CategoryFactory,
    StudentFactory,
    UserFactory,
)
from kestrel.testing.queries import assert_max_queries


@pytest.fixture
def admin(signed_in, people):
    client = signed_in(people.admin)
    # The first request of a session loads what every later one finds cached.
    client.get(reverse("schools:overview"))
    return client


def queries_for(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in context.captured_queries]


def assert_same_queries(few: list[str], many: list[str]) -> None:
    listing = "\n".join(f"{i}. {sql}" for i, sql in enumerate(many, 1))
    assert len(many) == len(few), f"{len(few)} queries grew to {len(many)}:\n{listing}"


def add_students(school, count: int) -> None:
    for _ in range(count):
        StudentFactory(school=school)


def add_staff(school, levels, count: int) -> None:
    for n in range(count):
        level = levels[n % len(levels)]
        UserFactory(school=school, access_level=level, is_key_holder=n % 2 == 0)


def add_groups(school, members, count: int) -> None:
    for _ in range(count):
        group = AlertGroupFactory(school=school)
        group.members.add(*members)


def test_the_student_list_runs_the_same_queries_for_5_and_120_students(school, admin):
    url = reverse("schools:section", args=["students"])
    add_students(school, 5)
    few = queries_for(admin, url)

    add_students(school, 115)
    many = queries_for(admin, url)

    assert_same_queries(few, many)
    with assert_max_queries(len(few)):
        response = admin.get(url, {"q": "a", "status": "on_roll", "page": "2"})
    assert response.status_code == 200


def test_the_staff_list_runs_the_same_queries_for_5_and_120_staff(school, levels, admin):
    url = reverse("schools:section", args=["staff"])
    all_levels = [
        levels.staff,
        levels.dsl,
        *[AccessLevelFactory(school=school, rank=60 + n) for n in range(4)],
    ]
    add_staff(school, all_levels, 5 - 3)  # with the DSL, teacher and administrator: 5
    few = queries_for(admin, url)

    add_staff(school, all_levels, 115)
    many = queries_for(admin, url)

    assert_same_queries(few, many)


def test_the_alert_group_list_runs_the_same_queries_for_1_and_10_groups(school, people, admin):
    url = reverse("schools:section", args=["alert-groups"])
    add_groups(school, [people.dsl, people.teacher], 1)
    few = queries_for(admin, url)

    add_groups(school, [people.dsl, people.teacher, people.admin], 9)
    many = queries_for(admin, url)

    assert_same_queries(few, many)
    member_counts = [cells[2] for _, cells in admin.get(url).context["table"]]
    assert sorted(member_counts) == [2] + [3] * 9


def test_the_category_list_runs_the_same_queries_for_1_and_10_subcategories(school, levels, admin):
    url = reverse("schools:section", args=["categories"])
    main = CategoryFactory(school=school, access_level=levels.dsl)
    CategoryFactory(school=school, parent=main, access_level=levels.staff)
    few = queries_for(admin, url)

    for _ in range(9):
        parent = CategoryFactory(school=school, access_level=levels.staff)
        CategoryFactory(school=school, parent=parent, access_level=levels.dsl)
    many = queries_for(admin, url)

    assert_same_queries(few, many)


def test_the_overview_runs_the_same_queries_however_many_rows(school, admin, levels, people):
    url = reverse("schools:overview")
    few = queries_for(admin, url)

    add_students(school, 20)
    add_groups(school, [people.dsl], 5)

    assert_same_queries(few, queries_for(admin, url))
