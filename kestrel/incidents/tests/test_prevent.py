"""Prevent: an incident in the school's Prevent category asks for the facts a Channel referral
needs, keeps them with the incident and shows them on Viewing Incident."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.incidents.forms import CategoryForm
from kestrel.incidents.models import Incident, PreventConcern
from kestrel.incidents.services import add_incident
from kestrel.incidents.tests.add_incident_post import add_incident_post
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import CategoryFactory

FACTS = {
    "prevent_said_or_done": "Said that people like them “deserve what is coming”.",
    "prevent_where_and_when": "Year 6 classroom, wet play, Tuesday.",
    "prevent_ideology": "Extreme right-wing, it seems.",
    "prevent_online_activity": "Watches a channel on a video app; named a chat group.",
    "prevent_immediate_risk": "None known.",
    "prevent_who_else_knows": "Mr Carter (class teacher).",
}


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def prevent(school, levels):
    return CategoryFactory(school=school, name="Prevent", access_level=levels.dsl, is_prevent=True)


def test_add_incident_offers_the_prevent_questions_with_the_prevent_category(
    setup, people, signed_in, prevent
):
    page = html(signed_in(people.teacher).get("/incidents/add/"))
    assert f'value="{prevent.pk}" data-prevent' in page
    assert "Prevent: the facts a referral needs" in page
    assert "data-prevent-facts hidden" in page  # until the category is ticked
    for label in (
        "What was said or done",
        "Where and when",
        "The ideology or concern, if known",
        "Online activity",
        "Any immediate risk to the child or others",
        "Who else knows",
    ):
        assert label in page


def test_a_school_without_a_prevent_category_is_not_asked(setup, people, signed_in):
    assert "Prevent: the facts" not in html(signed_in(people.teacher).get("/incidents/add/"))


def test_the_prevent_facts_are_saved_with_the_incident_and_shown(setup, people, signed_in, prevent):
    client = signed_in(people.dsl)
    response = client.post(
        "/incidents/add/", add_incident_post(setup, people, categories=[prevent.pk], **FACTS)
    )
    assert response.status_code == 302, html(response)
    concern = PreventConcern.objects.get()
    assert concern.incident == Incident.objects.get()
    assert concern.said_or_done == FACTS["prevent_said_or_done"]
    assert concern.online_activity == FACTS["prevent_online_activity"]
    assert AuditEvent.objects.get(action="incident.added").detail["prevent"] is True
    page = html(unlock_key(client).get(response["Location"]))
    assert "Prevent: the facts for a referral" in page
    for answer in FACTS.values():
        assert answer.replace("“", "&ldquo;") in page or answer in page
    # The place where the case file's Channel status goes.
    assert 'id="channel-status"' in page


def test_the_prevent_facts_a_referral_needs_are_asked_for_and_typing_kept(
    setup, people, signed_in, prevent
):
    response = signed_in(people.teacher).post(
        "/incidents/add/",
        add_incident_post(
            setup,
            people,
            categories=[prevent.pk],
            prevent_said_or_done="",
            prevent_immediate_risk=" ",
            prevent_online_activity="A chat group",
        ),
    )
    page = html(response)
    assert "Say what was said or done." in page
    assert "Say whether there is any immediate risk (or “None known”)." in page
    assert "A chat group" in page
    assert "data-prevent-facts hidden" not in page  # shown again, the category ticked
    assert Incident.objects.count() == 0


def test_the_service_asks_for_the_facts_too(setup, people, prevent):
    with pytest.raises(ValidationError) as refusal:
        add_incident(
            actor=people.dsl,
            student=setup["hannah"],
            text="Concern about radicalisation.",
            categories=[prevent],
            occurred_at=timezone.now(),
        )
    assert set(refusal.value.message_dict) == {"prevent_said_or_done", "prevent_immediate_risk"}


def test_other_categories_keep_no_prevent_facts(setup, people):
    add_incident(
        actor=people.dsl,
        student=setup["hannah"],
        text="At the gate.",
        categories=[setup["home"]],
        occurred_at=timezone.now(),
        prevent={"said_or_done": "ignored", "immediate_risk": "ignored"},
    )
    assert PreventConcern.objects.count() == 0


def test_the_draft_keeps_the_prevent_facts(setup, people, signed_in, prevent):
    client = signed_in(people.teacher)
    client.post(
        "/incidents/drafts/save/",
        {"submission": "f" * 32, "categories": [prevent.pk], **FACTS},
    )
    page = html(client.get(f"/incidents/add/?draft={'f' * 32}"))
    assert "Watches a channel on a video app; named a chat group." in page


def test_school_set_up_marks_the_prevent_category(school, levels):
    form = CategoryForm(
        {"name": "Radicalisation", "access_level": levels.dsl.pk, "is_prevent": "on"},
        school=school,
    )
    assert form.is_valid(), form.errors
    assert form.save().is_prevent is True
