"""The Add Incident page: recording through the form, refusals that keep everything typed."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kestrel.alerts.models import Alert
from kestrel.incidents.models import Incident
from kestrel.incidents.tests.add_incident_post import add_incident_post
from kestrel.testing.factories import (
    StudentFactory,
)

ADD = "/incidents/add/"


def test_a_teacher_records_an_incident_with_everything_the_guide_lists(setup, people, signed_in):
    client = signed_in(people.teacher)
    assert client.get(ADD).status_code == 200
    response = client.post(ADD, add_incident_post(setup, people))
    incident = Incident.objects.get()
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert incident.reporter == people.teacher
    assert incident.student == setup["hannah"]
    # Choosing a subcategory files it under its main category too.
    assert set(incident.categories.all()) == {
        setup["cause"],
        setup["child_protection"],
        setup["home"],
    }
    assert incident.required_rank == 40
    assert [link.student for link in incident.links.all()] == [setup["matthew"]]
    assert list(incident.agencies.all()) == [setup["agency"]]
    alerted = set(Alert.objects.filter(incident=incident).values_list("recipient", flat=True))
    assert alerted == {people.admin.pk, people.dsl.pk}  # one by name, one through SLT
    page = client.get(response["Location"])
    assert "The incident has been added and 2 colleagues alerted." in page.content.decode()


def test_pressing_add_incident_twice_records_one_incident(setup, people, signed_in):
    client = signed_in(people.teacher)
    first = client.post(ADD, add_incident_post(setup, people))
    second = client.post(ADD, add_incident_post(setup, people))
    assert Incident.objects.count() == 1
    assert first["Location"] == second["Location"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"student": None}, "Choose the student this incident is about."),
        ({"categories": None}, "Select at least one category."),
        ({"text": "   "}, "Describe the incident."),
        ({"occurred_time": "25:99"}, "Enter the time as hours and minutes, for example 15:50."),
        ({"occurred_on_0": "31", "occurred_on_1": "2"}, "Date must be a real date."),
    ],
)
def test_a_refused_incident_says_why_and_keeps_everything_typed(
    setup, people, signed_in, changes, message
):
    client = signed_in(people.teacher)
    response = client.post(ADD, add_incident_post(setup, people, **changes))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert Incident.objects.count() == 0
    assert "Hannah said her dad waited at the gate again. She was upset." in html or (
        changes.get("text") == "   "
    )
    if "student" not in changes:
        assert "Hannah Greenwood (1B)" in html  # the chosen student is still chosen
    assert "Matthew Greenwood (5B)" in html  # and the linked student
    assert f'name="alert_staff" value="{people.admin.pk}"' in html


def test_a_time_in_the_future_is_refused(setup, people, signed_in):
    later = timezone.localtime() + datetime.timedelta(hours=2)
    if later.date() != timezone.localdate():
        later = timezone.localtime().replace(hour=23, minute=59)
    response = signed_in(people.teacher).post(
        ADD, add_incident_post(setup, people, occurred_time=later.strftime("%H:%M"))
    )
    assert "The date and time cannot be in the future." in response.content.decode()
    assert Incident.objects.count() == 0


def test_another_schools_student_cannot_be_recorded_against(setup, people, signed_in, other_school):
    stranger = StudentFactory(school=other_school)
    response = signed_in(people.teacher).post(
        ADD, add_incident_post(setup, people, student=stranger.pk)
    )
    assert response.status_code == 200
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("digits", ["²", "٣", "１２", "⁴²"])
def test_ids_in_digits_that_are_not_ascii_get_the_page_again_not_a_server_error(
    setup, people, signed_in, digits
):
    # str.isdigit() passes all of these; int() refuses "²" and "⁴²" (a hypothesis find).
    response = signed_in(people.teacher).post(
        ADD,
        add_incident_post(
            setup,
            people,
            student=digits,
            linked_students=[digits],
            link_monitor=[digits],
            alert_staff=[digits],
            files=[digits],
        ),
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert Incident.objects.count() == 0


def test_the_student_type_ahead_finds_by_name_upn_and_group_and_hides_names_on_request(
    setup, people, signed_in
):
    client = signed_in(people.teacher)
    found = client.get("/students/search/", {"q": "green 1b"}).json()["results"]
    assert [row["label"] for row in found] == ["Hannah Greenwood (1B)"]
    by_upn = client.get("/students/search/", {"q": setup["matthew"].upn}).json()["results"]
    assert [row["id"] for row in by_upn] == [setup["matthew"].pk]
    assert client.get("/students/search/", {"q": "h"}).json()["results"] == []
    client.post("/hide-names/", {"next": "/dashboard/"})
    hidden = client.get("/students/search/", {"q": "green"}).content.decode()
    assert "Greenwood" not in hidden and "***** ***** (1B)" in hidden


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.text(max_size=300),
    student=st.one_of(st.text(max_size=12), st.integers(min_value=-5, max_value=10**12)),
    time=st.text(max_size=8),
    day=st.text(max_size=4),
    category=st.one_of(st.text(max_size=5), st.integers(min_value=-5, max_value=10**12)),
)
def test_random_input_never_breaks_add_incident(
    setup, people, signed_in, text, student, time, day, category
):
    response = signed_in(people.teacher).post(
        ADD,
        add_incident_post(
            setup,
            people,
            text=text,
            student=student,
            occurred_time=time,
            occurred_on_0=day,
            categories=[category],
            submission="f" * 32,
        ),
    )
    assert response.status_code in (200, 302)


def test_a_linked_students_choices_are_kept(setup, people, signed_in):
    matthew = setup["matthew"].pk
    response = signed_in(people.teacher).post(
        ADD, add_incident_post(setup, people, link_monitor=[matthew], link_share=[matthew])
    )
    link = Incident.objects.get().links.get()
    assert (link.monitor_same_category, link.share_documents) == (True, True)
    page = signed_in(people.teacher).get(response["Location"]).content.decode()
    assert "monitored under the same category; documents shared" in page


def test_times_across_the_clock_changes_are_read_in_london_time(setup, people, signed_in):
    client = signed_in(people.teacher)
    # 29 March 2026 01:30 does not exist in London (clocks go forward): read as 02:30 BST.
    client.post(
        ADD,
        add_incident_post(
            setup,
            people,
            occurred_on_0="29",
            occurred_on_1="3",
            occurred_on_2="2026",
            occurred_time="01:30",
            submission="1" * 32,
        ),
    )
    # 25 October 2026 01:30 happens twice: the first (BST, 00:30 UTC) is taken.
    client.post(
        ADD,
        add_incident_post(
            setup,
            people,
            occurred_on_0="25",
            occurred_on_1="10",
            occurred_on_2="2026",
            occurred_time="01:30",
            submission="2" * 32,
        ),
    )
    spring, autumn = (
        incident.occurred_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M")
        for incident in Incident.objects.order_by("occurred_at")
    )
    assert spring == "2026-03-29 01:30"  # 01:30 GMT, the moment the clocks showed 02:30 BST
    assert autumn == "2026-10-25 00:30"
