"""Corrections: an incident is never edited; a key holder's correction keeps the original."""

import datetime

from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import Incident
from kestrel.templatetags.kestrel import when
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import CategoryFactory, IncidentFactory, StudentFactory

ORIGINAL = "Leah said Hannah had a bruise on her left arm."
CORRECTED = "Leah said Hannah had a bruise on her right arm."


def incident_for(school, people):
    return IncidentFactory(
        student=StudentFactory(school=school, legal_first_name="Hannah", tutor_group="1B"),
        reporter=people.teacher,
        text=ORIGINAL,
        categories=[CategoryFactory(school=school, access_level=people.dsl.access_level)],
    )


def correction_post(incident, **changes):
    local = timezone.localtime(incident.occurred_at)  # the school's time, as the form reads it
    data = {
        "text": CORRECTED,
        "occurred_on_0": local.day,
        "occurred_on_1": local.month,
        "occurred_on_2": local.year,
        "occurred_time": local.strftime("%H:%M"),
        "reason": "The teacher told me it was the right arm.",
    }
    data.update(changes)
    return data


def test_a_correction_keeps_the_original_and_shows_who_changed_what_and_why(
    people, school, signed_in
):
    incident = incident_for(school, people)
    client = unlock_key(signed_in(people.dsl))
    response = client.post(f"/incidents/{incident.pk}/correct/", correction_post(incident))
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert Incident.objects.get(pk=incident.pk).text == ORIGINAL  # never edited in place
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert CORRECTED in page and ORIGINAL in page
    assert "This incident was corrected 1 time" in page
    assert "Chloe Kelan</strong>" in page and "The teacher told me it was the right arm." in page
    assert AuditEvent.objects.filter(action="incident.corrected", actor=people.dsl).count() == 1


def test_a_correction_that_changes_nothing_or_gives_no_reason_is_refused(people, school, signed_in):
    incident = incident_for(school, people)
    client = unlock_key(signed_in(people.dsl))
    same = client.post(
        f"/incidents/{incident.pk}/correct/", correction_post(incident, text=ORIGINAL)
    )
    assert "nothing was corrected" in same.content.decode()
    no_reason = client.post(
        f"/incidents/{incident.pk}/correct/", correction_post(incident, reason="")
    )
    assert "Say why the incident needs correcting." in no_reason.content.decode()
    assert incident.corrections.count() == 0


def test_only_key_holders_with_their_key_unlocked_may_correct(people, school, signed_in):
    incident = incident_for(school, people)
    assert (
        signed_in(people.teacher)
        .post(f"/incidents/{incident.pk}/correct/", correction_post(incident))
        .status_code
        == 403
    )
    locked = signed_in(people.dsl).post(
        f"/incidents/{incident.pk}/correct/", correction_post(incident)
    )
    assert locked["Location"].startswith("/key/")
    assert incident.corrections.count() == 0


def test_the_chronology_shows_the_incident_as_corrected(people, school, signed_in):
    incident = incident_for(school, people)
    client = unlock_key(signed_in(people.dsl))
    moved = timezone.localtime(incident.occurred_at - datetime.timedelta(days=3))
    client.post(f"/incidents/{incident.pk}/correct/", correction_post(incident))  # the text
    client.post(  # then the date only (the text as it stands): the corrected text stays
        f"/incidents/{incident.pk}/correct/",
        correction_post(
            incident,
            occurred_on_0=moved.day,
            occurred_on_1=moved.month,
            occurred_on_2=moved.year,
            reason="It happened on the Monday.",
        ),
    )
    assert incident.corrections.count() == 2
    page = client.get(f"/students/{incident.student_id}/")
    html = page.content.decode()
    assert CORRECTED in html and ORIGINAL not in html
    assert when(moved) in html
    [entry] = page.context["entries"]
    assert entry["occurred_at"].date() == moved.date()
    assert html.count(">Corrected</strong>") == 1  # the entry says it was corrected


def test_the_chronology_marks_only_corrected_incidents(people, school, signed_in):
    corrected = incident_for(school, people)
    untouched = IncidentFactory(
        student=corrected.student,
        reporter=people.teacher,
        text="Hannah was quiet all day.",
        categories=list(corrected.categories.all()),
    )
    client = unlock_key(signed_in(people.dsl))
    client.post(f"/incidents/{corrected.pk}/correct/", correction_post(corrected))
    html = client.get(f"/students/{corrected.student_id}/").content.decode()
    assert untouched.text in html and CORRECTED in html
    assert html.count(">Corrected</strong>") == 1
