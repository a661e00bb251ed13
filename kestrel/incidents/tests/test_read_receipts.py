"""Viewing Incident's read receipts: key holders see who was alerted and who has read it, and a
key holder whose key is locked is told how to see them rather than finding nothing."""

from kestrel.incidents.models import Incident
from kestrel.incidents.tests.add_incident_post import add_incident_post
from kestrel.testing.auth import unlock_key

ADD = "/incidents/add/"
UNLOCK_HINT = "Unlock your key to see who has been alerted to this incident and who has read it."


def test_a_key_holder_who_has_just_added_an_incident_is_told_unlocking_shows_the_receipts(
    setup, people, signed_in
):
    client = signed_in(people.dsl)  # a key holder, key locked
    response = client.post(ADD, add_incident_post(setup, people), follow=True)
    html = response.content.decode()
    incident = Incident.objects.get()
    assert "The incident has been added and 1 colleague alerted." in html
    assert UNLOCK_HINT in html
    assert f'href="/key/?next=/incidents/{incident.pk}/"' in html
    assert "Not read yet" not in html


def test_with_the_key_unlocked_the_receipts_show_and_the_hint_does_not(setup, people, signed_in):
    client = signed_in(people.dsl)
    client.post(ADD, add_incident_post(setup, people))
    unlock_key(client)
    html = client.get(f"/incidents/{Incident.objects.get().pk}/").content.decode()
    assert "Alerts and read receipts" in html
    assert "Not read yet" in html
    assert UNLOCK_HINT not in html


def test_a_colleague_without_a_key_is_not_offered_the_receipts(setup, people, signed_in):
    client = signed_in(people.teacher)
    response = client.post(ADD, add_incident_post(setup, people), follow=True)
    html = response.content.decode()
    assert "Alerts and read receipts" not in html
    assert UNLOCK_HINT not in html
