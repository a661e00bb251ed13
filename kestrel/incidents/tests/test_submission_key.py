"""The hidden submission key: the stored key is "<user id>:<key>" in 64 characters, so a longer
key than a page gives is refused with a message (never a server error), and what was typed is
kept with a fresh key to send again with."""

import re

from kestrel.incidents.models import Action, Draft, Incident
from kestrel.incidents.tests.add_incident_post import add_action_post, add_incident_post
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import IncidentFactory, StudentFactory

LONG = "a" * 64  # what the form used to take; with "<user id>:" in front, past 64


def hidden_key(page: str) -> str:
    return re.search(r'name="submission" value="([^"]*)"', page).group(1)


def test_an_over_long_submission_key_on_add_incident_is_refused_and_the_form_kept(
    setup, people, signed_in
):
    client = signed_in(people.teacher)
    response = client.post("/incidents/add/", add_incident_post(setup, people, submission=LONG))
    page = response.content.decode()
    assert response.status_code == 200
    assert "The form could not be sent. Check it, then send it again." in page
    assert "She was upset." in page  # what was typed is still there
    assert not Incident.objects.exists()
    assert not Draft.objects.filter(submission=LONG).exists()
    fresh = hidden_key(page)
    assert fresh != LONG and len(fresh) == 32
    again = client.post("/incidents/add/", add_incident_post(setup, people, submission=fresh))
    assert again.status_code == 302
    assert Incident.objects.get().submission_key == f"{people.teacher.pk}:{fresh}"


def test_an_over_long_submission_key_on_add_action_is_refused_not_a_server_error(
    school, people, signed_in
):
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    client = signed_in(people.dsl)
    unlock_key(client)
    response = client.post(
        f"/incidents/{incident.pk}/actions/add/", add_action_post(submission=LONG)
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The form could not be sent. Check it, then send it again." in page
    assert "Phoned mum." in page
    assert not Action.objects.exists()
