"""Ids of 25 digits on Add Incident and Add Action: a form error, never a server error
(SQLite cannot hold them in an `IN (...)` list)."""

import pytest

from kestrel.incidents.models import Incident
from kestrel.incidents.tests.add_incident_post import add_action_post, add_incident_post
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import IncidentFactory, StudentFactory

BIG = "9" * 25


@pytest.mark.parametrize(
    "field", ["alert_staff", "linked_students", "files", "categories", "agencies", "alert_groups"]
)
def test_a_25_digit_id_on_add_incident_is_refused_or_ignored_not_a_server_error(
    setup, people, signed_in, field
):
    client = signed_in(people.teacher)
    response = client.post("/incidents/add/", add_incident_post(setup, people, **{field: [BIG]}))
    if field == "files":  # an upload that is not the user's own is left out, as ever
        assert response.status_code == 302
    else:
        assert response.status_code == 200
        assert "There is a problem" in response.content.decode()
        assert not Incident.objects.exists()


def test_a_25_digit_id_on_add_action_is_refused_not_a_server_error(school, people, signed_in):
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    client = signed_in(people.dsl)
    unlock_key(client)
    response = client.post(
        f"/incidents/{incident.pk}/actions/add/", add_action_post(alert_staff=[BIG], agencies=[BIG])
    )
    assert response.status_code == 200
    assert not incident.actions.exists()
