"""Recording an incident (the service) and reading it back: Viewing Incident and the chronology."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kestrel.alerts.models import Alert
from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import Incident
from kestrel.incidents.services import add_incident
from kestrel.students.names import mask_text
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    AgencyFactory,
    CategoryFactory,
    IncidentFactory,
    StudentFactory,
)

TEXT = (
    "Mr Greenwood was spotted outside of the school gates at the end of the school day. "
    "Mrs Simpson had seen him when she was coming to pick Leah up. She also managed to prevent "
    "both Hannah and Matthew from seeing their father."
)


@pytest.fixture
def hannah(school):
    return StudentFactory(
        school=school, legal_first_name="Hannah", legal_last_name="Greenwood", tutor_group="1B"
    )


@pytest.fixture
def matthew(school):
    return StudentFactory(
        school=school, legal_first_name="Matthew", legal_last_name="Greenwood", tutor_group="5B"
    )


@pytest.fixture
def categories(school, levels):
    return {
        "Child Protection": CategoryFactory(
            school=school, name="Child Protection", access_level=levels.dsl
        ),
        "Home Issues": CategoryFactory(
            school=school, name="Home Issues", access_level=levels.staff
        ),
    }


def record_guide_incident(people, hannah, matthew, category_map, **changes):
    agency = AgencyFactory._meta.model.objects.filter(name="Children's Social Care").first()
    arguments = {
        "actor": people.dsl,
        "student": hannah,
        "text": TEXT,
        "categories": list(category_map.values()),
        "occurred_at": timezone.now() - datetime.timedelta(hours=2),
        "linked_students": [{"student": matthew, "share_documents": True}],
        "agencies": [agency or AgencyFactory(school=hannah.school, name="Children's Social Care")],
        "alert_recipients": [people.teacher],
    }
    arguments.update(changes)
    return add_incident(**arguments)


def test_recording_saves_links_agencies_alerts_and_the_rank_in_one_go(
    people, hannah, matthew, categories
):
    incident = record_guide_incident(people, hannah, matthew, categories)
    assert incident.required_rank == 40  # the highest of Child Protection (40) and Home Issues (20)
    assert [link.student for link in incident.links.all()] == [matthew]
    assert incident.links.get().share_documents is True
    assert [agency.name for agency in incident.agencies.all()] == ["Children's Social Care"]
    alert = Alert.objects.get(incident=incident)
    assert (alert.recipient, alert.sender, alert.read_at) == (people.teacher, people.dsl, None)
    event = AuditEvent.objects.get(action="incident.added")
    assert (event.actor, event.student, event.object_label) == (people.dsl, hannah, str(incident))
    assert "Greenwood" not in event.object_label


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": "   "}, "text"),
        ({"categories": []}, "categories"),
        ({"occurred_at": timezone.now() + datetime.timedelta(hours=1)}, "occurred_at"),
    ],
)
def test_an_incident_without_its_essentials_is_refused_and_nothing_is_saved(
    people, hannah, matthew, categories, changes, field
):
    with pytest.raises(ValidationError) as refusal:
        record_guide_incident(people, hannah, matthew, categories, **changes)
    assert field in refusal.value.message_dict
    assert Incident.objects.count() == 0
    assert Alert.objects.count() == 0


def test_a_student_or_category_of_another_school_is_refused(
    people, hannah, matthew, categories, other_school
):
    stranger = StudentFactory(school=other_school)
    with pytest.raises(ValidationError):
        record_guide_incident(people, stranger, matthew, categories)
    with pytest.raises(ValidationError):
        record_guide_incident(people, hannah, matthew, {"x": CategoryFactory(school=other_school)})
    assert Incident.objects.count() == 0


def test_the_alerted_teacher_views_the_incident_as_the_guide_shows_it(
    people, hannah, matthew, categories, signed_in
):
    incident = record_guide_incident(people, hannah, matthew, categories)
    page = signed_in(people.teacher).get(f"/incidents/{incident.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Viewing Incident - Hannah Greenwood (1B)" in html
    assert "Chloe Kelan alerted you to this incident." in html
    assert "Mr Greenwood was spotted outside of the school gates" in html
    assert "Matthew Greenwood (5B)" in html
    assert "Child Protection" in html and "Home Issues" in html
    assert AuditEvent.objects.filter(action="incident.viewed", actor=people.teacher).count() == 1


def test_under_hide_names_no_student_name_reaches_the_incident_page(
    people, hannah, matthew, categories, signed_in
):
    incident = record_guide_incident(people, hannah, matthew, categories)
    client = signed_in(people.teacher)
    client.post("/hide-names/", {"next": "/dashboard/"})
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    for name in ("Hannah", "Matthew", "Greenwood"):
        assert name not in html
    assert "Viewing Incident - ***** ***** (1B)" in html
    assert "Leah" in html  # not a student of Kestrel's records here: left alone, as the guide says


def test_hide_names_blanks_names_spelled_as_in_the_records_but_leaves_initials(school):
    zoe = StudentFactory(school=school, legal_first_name="Zoë", legal_last_name="O'Brien")
    noor = StudentFactory(school=school, legal_first_name="Noor-Ul-Ain", legal_last_name="Rahman")
    text = "ZOË and zoë O'Brien met Noor-Ul-Ain; Z.O. and N.R. saw them. Zoëy is someone else."
    masked = mask_text(text, [zoe, noor])
    assert masked == (
        "***** and ***** ***** met *****; Z.O. and N.R. saw them. Zoëy is someone else."
    )


def test_hide_names_stars_out_a_name_before_a_possessive_too(school):
    hannah = StudentFactory(school=school, legal_first_name="Hannah", legal_last_name="O'Brien")
    text = "Rang Hannah's mum, then O'Brien’s aunt. Hannahs and Hannah'sy are other words."
    assert mask_text(text, [hannah]) == (
        "Rang *****'s mum, then *****’s aunt. Hannahs and Hannah'sy are other words."
    )


def test_the_chronology_lists_own_and_linked_incidents_newest_first_for_an_unlocked_dsl(
    people, hannah, matthew, categories, signed_in
):
    older = record_guide_incident(
        people, matthew, hannah, categories, occurred_at=timezone.now() - datetime.timedelta(days=3)
    )
    newer = record_guide_incident(people, hannah, matthew, categories, linked_students=[])
    client = unlock_key(signed_in(people.dsl))
    page = client.get(f"/students/{hannah.pk}/")
    assert page.status_code == 200
    assert [entry["incident"].pk for entry in page.context["entries"]] == [newer.pk, older.pk]
    assert "linked: Matthew Greenwood (5B)" in page.content.decode()
    filtered = client.get(f"/students/{hannah.pk}/", {"category": categories["Home Issues"].pk})
    assert len(filtered.context["entries"]) == 2
    assert AuditEvent.objects.filter(action="chronology.viewed", student=hannah).count() == 2


def test_a_long_chronology_says_how_long_it_is_and_pages_older_and_newer_keeping_the_filter(
    people, hannah, categories, signed_in
):
    home = categories["Home Issues"]
    now = timezone.now()
    for days in range(130):  # 6 pages of 25 (the sixth holds 5)
        IncidentFactory(
            student=hannah,
            reporter=people.teacher,
            categories=[home],
            occurred_at=now - datetime.timedelta(days=days),
        )
    client = unlock_key(signed_in(people.dsl))
    url = f"/students/{hannah.pk}/"

    def links(response) -> dict[str, str]:
        html = response.content.decode()
        if 'aria-label="Pages of the chronology"' not in html:
            return {}
        nav = html[html.index('aria-label="Pages of the chronology"') :]
        found = re.findall(r'href="\?([^"]+)" rel="(prev|next)"', nav)
        return {rel: query.replace("&amp;", "&") for query, rel in found}

    first = client.get(url, {"category": home.pk})
    assert "130 incidents in Home Issues, newest first." in first.content.decode()
    assert links(first).keys() == {"next"}  # no newer page before the first
    pages, page = [first], first
    while "next" in links(page):
        older = links(page)["next"]
        assert f"category={home.pk}" in older  # the filter is kept
        page = client.get(f"{url}?{older}")
        pages.append(page)
    assert [len(page.context["entries"]) for page in pages] == [25, 25, 25, 25, 25, 5]
    assert pages[2].context["entries"][0]["occurred_at"] == now - datetime.timedelta(days=50)
    shown = [entry["occurred_at"] for page in pages for entry in page.context["entries"]]
    assert shown == [now - datetime.timedelta(days=days) for days in range(130)]
    # Back from the third page: the second again, exactly.
    newer = client.get(f"{url}?{links(pages[2])['prev']}")
    assert [e["incident"].pk for e in newer.context["entries"]] == [
        e["incident"].pk for e in pages[1].context["entries"]
    ]
    # Unfiltered, the total is the tallies' (kept as the incidents were written).
    assert "130 incidents, newest first." in client.get(url).content.decode()
    # A position that is not one, or is past the end, shows the first page.
    for nonsense in ("older=x", "older=1.x", "newer=99999999999999999999.1", "older=0.1"):
        response = client.get(f"{url}?{nonsense}")
        assert response.status_code == 200
        assert response.context["entries"][0]["occurred_at"] == now


def test_viewing_incident_leads_key_holders_to_the_students_chronologies(
    people, hannah, matthew, categories, signed_in
):
    incident = record_guide_incident(people, hannah, matthew, categories)  # alerts the teacher
    dsl = unlock_key(signed_in(people.dsl)).get(f"/incidents/{incident.pk}/").content.decode()
    teacher = signed_in(people.teacher).get(f"/incidents/{incident.pk}/").content.decode()

    assert f'href="/students/{hannah.pk}/">View chronology' in dsl
    assert f'href="/students/{matthew.pk}/">Matthew Greenwood (5B)</a>' in dsl
    # Someone who sees the incident through their alert has no chronology to go to.
    assert "Matthew Greenwood (5B)" in teacher
    assert "View chronology" not in teacher and f'href="/students/{matthew.pk}/"' not in teacher


def test_a_locked_key_holder_is_sent_to_unlock_before_the_chronology(people, hannah, signed_in):
    response = signed_in(people.dsl).get(f"/students/{hannah.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/key/")


def test_actions_show_on_the_chronology_and_on_a_linked_students_only_when_asked(
    people, hannah, matthew, categories, signed_in
):
    from kestrel.incidents.services import add_action

    incident = record_guide_incident(people, hannah, matthew, categories)
    when = timezone.now() - datetime.timedelta(minutes=30)
    add_action(actor=people.dsl, incident=incident, text="Rang mum.", occurred_at=when)
    add_action(
        actor=people.dsl,
        incident=incident,
        text="Told both class teachers.",
        occurred_at=when,
        add_to_linked_students=True,
    )
    client = unlock_key(signed_in(people.dsl))
    own = client.get(f"/students/{hannah.pk}/").content.decode()
    linked = client.get(f"/students/{matthew.pk}/").content.decode()
    assert "Rang mum." in own and "Told both class teachers." in own
    assert "Rang mum." not in linked and "Told both class teachers." in linked


def test_the_chronology_filters_by_date_inclusively_and_refuses_unreadable_dates(
    people, hannah, matthew, categories, signed_in
):
    march = timezone.make_aware(datetime.datetime(2026, 3, 10, 9, 0))
    june = timezone.make_aware(datetime.datetime(2026, 6, 2, 15, 30))
    for moment in (march, june):
        record_guide_incident(people, hannah, matthew, categories, occurred_at=moment)
    client = unlock_key(signed_in(people.dsl))
    url = f"/students/{hannah.pk}/"
    only_march = client.get(
        url,
        {
            "start_0": "10",
            "start_1": "3",
            "start_2": "2026",
            "end_0": "10",
            "end_1": "3",
            "end_2": "2026",
        },
    )
    assert [e["incident"].occurred_at for e in only_march.context["entries"]] == [march]
    wrong = client.get(url, {"start_0": "31", "start_1": "2", "start_2": "2026"})
    assert wrong.context["entries"] == []
    assert "From must be a real date." in wrong.content.decode()


def test_under_hide_names_the_chronology_stars_out_linked_students_named_in_the_text(
    people, hannah, matthew, categories, signed_in
):
    record_guide_incident(people, hannah, matthew, categories)
    client = unlock_key(signed_in(people.dsl))
    shown = client.get(f"/students/{hannah.pk}/").content.decode()
    assert "Hannah and Matthew" in shown
    client.post("/hide-names/", {"next": "/dashboard/"})
    html = client.get(f"/students/{hannah.pk}/").content.decode()
    for name in ("Hannah", "Matthew", "Greenwood"):
        assert name not in html
    assert "***** and *****" in html


def test_the_menu_marks_add_incident_as_current_only_on_add_incident(
    people, hannah, matthew, categories, signed_in
):
    incident = record_guide_incident(people, hannah, matthew, categories)
    client = signed_in(people.teacher)
    current = 'aria-current="page"><strong class="govuk-service-navigation__active-fallback">'
    assert current + "Add Incident</strong>" in client.get("/incidents/add/").content.decode()
    viewing = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert current + "Add Incident" not in viewing
