"""Nothing lost: Add Incident is kept as a draft on the server until the incident is added."""

import io

from django.core.management import call_command
from django.test import Client

from kestrel.incidents.models import Draft, Incident
from kestrel.incidents.tests.add_incident_post import add_incident_post
from kestrel.testing.auth import sign_in_fully

ADD = "/incidents/add/"
SAVE = "/incidents/drafts/save/"


def test_a_draft_saved_while_typing_is_offered_and_refills_the_form(setup, people, signed_in):
    client = signed_in(people.teacher)
    answer = client.post(SAVE, add_incident_post(setup, people, submission="d" * 32)).json()
    assert answer["saved"] is True
    page = client.get(ADD).content.decode()
    assert "You have an incident you have not added yet" in page
    refilled = client.get(ADD, {"draft": "d" * 32}).content.decode()
    assert "Hannah said her dad waited at the gate again. She was upset." in refilled
    assert "Hannah Greenwood (1B)" in refilled  # the chosen student is chosen again
    assert f'value="{setup["cause"].pk}" checked' in refilled
    assert "You have an incident you have not added yet" not in refilled  # it is this one


def test_adding_the_incident_removes_its_draft(
    setup, people, signed_in, django_capture_on_commit_callbacks
):
    client = signed_in(people.teacher)
    client.post(SAVE, add_incident_post(setup, people, submission="e" * 32))
    with django_capture_on_commit_callbacks() as after_commit:
        client.post(ADD, add_incident_post(setup, people, submission="e" * 32))
    assert Incident.objects.count() == 1
    # From the commit on, the draft is not offered, before the worker has removed it...
    assert "You have an incident you have not added yet" not in client.get(ADD).content.decode()
    assert "Hannah said her dad" not in client.get(ADD, {"draft": "e" * 32}).content.decode()
    assert Draft.objects.count() == 1
    # ... which it does with the alerts' emails, in the task the request queued.
    for callback in after_commit:
        callback()
    assert Draft.objects.count() == 0


def test_tidy_removes_a_draft_whose_incident_was_added(setup, people, signed_in):
    client = signed_in(people.teacher)
    client.post(SAVE, add_incident_post(setup, people, submission="f" * 32))
    client.post(SAVE, add_incident_post(setup, people, submission="g" * 32))
    client.post(ADD, add_incident_post(setup, people, submission="f" * 32))
    assert Draft.objects.count() == 2  # the worker has not run (the test's tasks wait)
    call_command("tidy", stdout=io.StringIO())
    assert list(Draft.objects.values_list("submission", flat=True)) == ["g" * 32]


def test_the_same_form_sent_again_removes_a_draft_saved_in_between(setup, people, signed_in):
    client = signed_in(people.teacher)
    client.post(ADD, add_incident_post(setup, people, submission="d" * 32))
    client.post(SAVE, add_incident_post(setup, people, submission="d" * 32))  # a late autosave
    assert Draft.objects.count() == 1
    client.post(ADD, add_incident_post(setup, people, submission="d" * 32))
    assert Incident.objects.count() == 1
    assert Draft.objects.count() == 0


def test_a_refused_submit_is_kept_as_a_draft(setup, people, signed_in):
    client = signed_in(people.teacher)
    client.post(ADD, add_incident_post(setup, people, categories=None, submission="f" * 32))
    draft = Draft.objects.get()
    assert draft.data["text"].startswith("Hannah said her dad")


def test_after_the_session_ends_the_draft_is_there_when_they_sign_in_again(setup, people):
    first = sign_in_fully(Client(), people.teacher)
    first.post(SAVE, add_incident_post(setup, people, submission="a1" * 16))
    first.post("/logout/")
    later = sign_in_fully(Client(), people.teacher)
    assert "You have an incident you have not added yet" in later.get(ADD).content.decode()


def test_nobody_else_sees_or_resumes_my_draft(setup, people, signed_in):
    mine = sign_in_fully(Client(), people.teacher)
    mine.post(SAVE, add_incident_post(setup, people, submission="b2" * 16))
    theirs = signed_in(people.dsl)
    assert "You have an incident" not in theirs.get(ADD).content.decode()
    page = theirs.get(ADD, {"draft": "b2" * 16}).content.decode()
    assert "Hannah said her dad" not in page


def test_an_empty_form_is_not_kept(setup, people, signed_in):
    client = signed_in(people.teacher)
    answer = client.post(SAVE, {"submission": "c" * 32, "occurred_time": "10:00"}).json()
    assert answer["saved"] is False
    assert Draft.objects.count() == 0
