"""The "Alert Staff Members" type-ahead: every word typed is found in a colleague's name, job
title or email address, whatever the case and accents; never the user themselves, a deactivated
colleague or another school's staff."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from kestrel.accounts.models import User
from kestrel.search import folded_fields
from kestrel.testing.factories import UserFactory


@pytest.fixture
def colleagues(school, other_school):
    return SimpleNamespace(
        siobhan=UserFactory(
            school=school,
            first_name="Siobhán",
            last_name="Ó Briain",
            job_title="SENCO",
            email="s.obriain@ashdown.example.org",
        ),
        pawel=UserFactory(
            school=school, first_name="Paweł", last_name="Nowak", job_title="Teacher of Music"
        ),
        gone=UserFactory(school=school, first_name="Siobhan", last_name="Left", is_active=False),
        elsewhere=UserFactory(school=other_school, first_name="Siobhan", last_name="Other"),
    )


def found(client, query: str) -> list[str]:
    return [row["name"] for row in client.get("/staff/search/", {"q": query}).json()["results"]]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("siobhan", "Siobhán Ó Briain"),
        ("O BRIAIN senco", "Siobhán Ó Briain"),
        ("s.obriain@", "Siobhán Ó Briain"),
        ("pawel", "Paweł Nowak"),
        ("music now", "Paweł Nowak"),
        ("Paweł", "Paweł Nowak"),
    ],
)
def test_a_colleague_is_found_by_name_job_title_or_email_without_typing_accents(
    signed_in, people, colleagues, query, name
):
    assert found(signed_in(people.teacher), query) == [name]


def test_every_word_must_be_found_in_the_same_colleague(signed_in, people, colleagues):
    assert found(signed_in(people.teacher), "siobhan music") == []


def test_the_user_is_never_offered_themselves(signed_in, colleagues):
    assert found(signed_in(colleagues.siobhan), "siobhan") == []


def test_a_renamed_colleague_is_found_by_the_new_name_and_not_the_old(
    signed_in, people, colleagues
):
    colleagues.pawel.last_name = "Kowalczyk"
    colleagues.pawel.save(update_fields=["last_name"])
    client = signed_in(people.teacher)

    assert found(client, "kowalczyk") == ["Paweł Kowalczyk"]
    assert found(client, "nowak") == []


def test_a_queryset_update_of_a_name_is_refused_rather_than_left_unsearchable(colleagues):
    with pytest.raises(ValueError, match="search_text stale"):
        User.objects.filter(pk=colleagues.pawel.pk).update(first_name="Piotr")


def test_staff_created_or_renamed_in_bulk_are_found(school):
    made = User.objects.bulk_create(
        [User(school=school, email="zoe@example.org", first_name="Zoë", last_name="Dvořák")]
    )
    assert User.objects.get(pk=made[0].pk).search_text == "zoe dvorak  zoe@example.org"
    made[0].job_title = "Head of Year 6"
    User.objects.bulk_update(made, ["job_title"])
    assert "head of year 6" in User.objects.get(pk=made[0].pk).search_text


def test_the_migration_fills_in_every_colleagues_search_text(colleagues):
    User.objects.update(search_text="")
    migration = importlib.import_module("kestrel.accounts.migrations.0004_staff_search_text")

    migration.fill(apps, SimpleNamespace(connection=connection))

    pawel = User.objects.get(pk=colleagues.pawel.pk)
    assert pawel.search_text == folded_fields(pawel, User.SEARCH_FIELDS)
    assert pawel.search_text == "pawel nowak teacher of music " + pawel.email
