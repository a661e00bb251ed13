"""Dates on incidents, actions and corrections: nothing before the records could begin, nothing
before the child was born, and the form keeps what was typed."""

import datetime

import pytest

from kestrel.incidents.models import Action, Incident
from kestrel.incidents.tests.add_incident_post import add_incident_post
from kestrel.incidents.tests.test_corrections import correction_post, incident_for
from kestrel.testing.auth import unlock_key

ADD = "/incidents/add/"


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("1", "1", "1900", "Date must be after 1 January 1990."),
        ("1", "1", "0001", "Date must be after 1 January 1990."),
        ("31", "12", "1989", "Date must be after 1 January 1990."),
        ("2", "3", "2019", "Date must be after Hannah Greenwood’s date of birth, 3 March 2019."),
    ],
)
def test_an_incident_dated_before_records_begin_or_before_the_child_was_born_is_refused(
    setup, people, signed_in, day, month, year, message
):
    setup["hannah"].date_of_birth = datetime.date(2019, 3, 3)
    setup["hannah"].save()
    response = signed_in(people.teacher).post(
        ADD,
        add_incident_post(
            setup, people, occurred_on_0=day, occurred_on_1=month, occurred_on_2=year
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert Incident.objects.count() == 0
    assert f'value="{year}"' in html  # what was typed is kept
    assert "Hannah said her dad waited at the gate again." in html


def test_an_incident_on_the_childs_birthday_is_accepted(setup, people, signed_in):
    setup["hannah"].date_of_birth = datetime.date(2019, 3, 3)
    setup["hannah"].save()
    response = signed_in(people.teacher).post(
        ADD,
        add_incident_post(
            setup, people, occurred_on_0="3", occurred_on_1="3", occurred_on_2="2019"
        ),
    )
    assert response.status_code == 302
    assert Incident.objects.count() == 1


def test_under_hide_names_the_birthday_message_names_nobody(setup, people, signed_in):
    setup["hannah"].date_of_birth = datetime.date(2019, 3, 3)
    setup["hannah"].save()
    client = signed_in(people.teacher)
    client.post("/hide-names/", {"next": "/dashboard/"})
    response = client.post(
        ADD,
        add_incident_post(
            setup, people, occurred_on_0="1", occurred_on_1="1", occurred_on_2="2019"
        ),
    )
    html = response.content.decode()
    assert "Date must be after the student’s date of birth." in html
    assert "3 March 2019" not in html


def test_an_action_dated_before_the_child_was_born_is_refused(school, people, signed_in):
    incident = incident_for(school, people)
    incident.student.date_of_birth = datetime.date(2017, 3, 27)
    incident.student.save()
    client = signed_in(people.dsl)
    unlock_key(client)
    response = client.post(
        f"/incidents/{incident.pk}/actions/add/",
        {
            "text": "Phoned mum.",
            "occurred_on_0": "1",
            "occurred_on_1": "1",
            "occurred_on_2": "2016",
            "occurred_time": "10:00",
            "submission": "b" * 32,
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "date of birth, 27 March 2017." in html
    assert "Phoned mum." in html
    assert Action.objects.count() == 0


@pytest.mark.parametrize("year", ["1900", "0001"])
def test_a_correction_dated_before_records_begin_is_refused(school, people, signed_in, year):
    incident = incident_for(school, people)
    client = signed_in(people.dsl)
    unlock_key(client)
    response = client.post(
        f"/incidents/{incident.pk}/correct/", correction_post(incident, occurred_on_2=year)
    )
    assert response.status_code == 200
    assert "Date must be after 1 January 1990." in response.content.decode()
    assert not incident.corrections.exists()


def test_a_chronology_from_year_one_says_what_to_correct(school, people, signed_in):
    incident = incident_for(school, people)
    client = signed_in(people.dsl)
    unlock_key(client)
    response = client.get(
        f"/students/{incident.student.pk}/",
        {"start_0": "1", "start_1": "1", "start_2": "0001"},
    )
    assert response.status_code == 200
    assert "From must be after 1 January 1990." in response.content.decode()
