"""The training lists run a fixed number of queries, however many staff, requirements and
records the school has."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kestrel.testing.factories import (
    AlertGroupFactory,
    RequirementFactory,
    TrainingRecordFactory,
    UserFactory,
)
from kestrel.testing.queries import data_queries
from kestrel.training.models import AppliesTo, JoiningDate


@pytest.fixture
def requirements(school):
    group = AlertGroupFactory(school=school, name="Pastoral")
    return [
        RequirementFactory(school=school, name="Safeguarding update"),
        RequirementFactory(school=school, name="DSL training", applies_to=AppliesTo.DSL_TEAM),
        RequirementFactory(
            school=school, name="Pastoral", applies_to=AppliesTo.ALERT_GROUP, alert_group=group
        ),
    ]


def add_staff(school, requirements, count: int) -> None:
    group = requirements[2].alert_group
    for n in range(count):
        person = UserFactory(school=school, is_key_holder=n % 3 == 0)
        group.members.add(person)
        JoiningDate.objects.create(school=school, staff=person, joined_on=datetime.date(2020, 1, 1))
        for requirement in requirements:
            TrainingRecordFactory(
                requirement=requirement,
                staff=person,
                completed_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=n * 7),
            )


def queries_for(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return data_queries(context)


@pytest.mark.parametrize(
    "url",
    [
        reverse("training_pages:overview"),
        reverse("training_pages:staff_list"),
        reverse("training_pages:compliance_csv"),
        reverse("accounts:settings"),
    ],
)
def test_the_lists_run_the_same_queries_for_1_and_40_staff(
    url, school, people, signed_in, requirements
):
    client = signed_in(people.dsl)
    client.get(reverse("training_pages:overview"))  # the session's first request warms it
    add_staff(school, requirements, 1)
    few = queries_for(client, url)
    add_staff(school, requirements, 39)
    many = queries_for(client, url)
    listing = "\n".join(f"{i}. {sql}" for i, sql in enumerate(many, 1))
    assert len(many) == len(few), f"{len(few)} queries grew to {len(many)}:\n{listing}"


def test_a_staff_members_page_runs_the_same_queries_for_1_and_20_records(
    school, people, signed_in, requirements
):
    client = signed_in(people.admin)
    client.get(reverse("training_pages:overview"))
    url = reverse("training_pages:staff", args=[people.teacher.pk])
    TrainingRecordFactory(requirement=requirements[0], staff=people.teacher)
    few = queries_for(client, url)
    for n in range(19):
        TrainingRecordFactory(
            requirement=requirements[n % 3],
            staff=people.teacher,
            completed_on=datetime.date(2024, 1, 1) + datetime.timedelta(days=n),
        )
    many = queries_for(client, url)
    assert len(many) == len(few)
