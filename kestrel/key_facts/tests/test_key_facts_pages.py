"""The key facts pages with the test client: the DSL adds, changes and ends contacts and
professionals and keeps the notes; bad input and a change saved meanwhile lose nothing typed;
every look is audited; the pages' queries do not grow with the facts."""

import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from kestrel.audit.models import AuditEvent
from kestrel.key_facts import selectors, services
from kestrel.key_facts.models import ContactVersion, Role
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import StudentFactory
from kestrel.testing.queries import data_queries

FATHER = {
    "name": "Mark Greenwood",
    "relationship": "Father",
    "parental_responsibility": "on",
    "phone": "07700 900123",
    "address": "1 Mill Lane\r\nAshdown",
    "email": "",
    "do_not_contact_reason": "",
    "priority": "",
}


@pytest.fixture
def hannah(school):
    return StudentFactory(
        school=school, legal_first_name="Hannah", legal_last_name="Greenwood", tutor_group="1B"
    )


@pytest.fixture
def dsl(signed_in, people):
    return unlock_key(signed_in(people.dsl))


def base(hannah) -> str:
    return f"/students/{hannah.pk}/key-facts"


def add_father(people, hannah, **changes):
    values = {
        "name": "Mark Greenwood",
        "relationship": "Father",
        "parental_responsibility": True,
        "phone": "07700 900123",
    }
    values.update(changes)
    return services.add_contact(actor=people.dsl, student=hannah, **values)


def form_values(response) -> dict:
    """The values the page's form would send back, as typed."""
    return {field.name: field.value() for field in response.context["form"]}


def test_the_dsl_adds_a_contact_and_goes_back_where_they_came_from(dsl, hannah):
    came_from = f"/students/{hannah.pk}/"
    response = dsl.post(f"{base(hannah)}/contacts/add/?next={came_from}", FATHER)
    assert response.status_code == 302 and response["Location"] == came_from
    (contact,) = selectors.current_contacts(hannah)
    assert (contact.name, contact.parental_responsibility, contact.priority) == (
        "Mark Greenwood",
        True,
        1,
    )
    assert contact.address == "1 Mill Lane\nAshdown"


def test_without_a_safe_next_a_save_goes_to_the_history(dsl, hannah):
    response = dsl.post(f"{base(hannah)}/contacts/add/?next=https://evil.example/", FATHER)
    assert response["Location"] == f"{base(hannah)}/history/"
    page = dsl.get(response["Location"])
    assert "Contact added." in page.text
    assert "Contact: Mark Greenwood: added" in page.text


def test_do_not_contact_without_a_reason_is_refused_and_keeps_what_was_typed(dsl, hannah):
    response = dsl.post(f"{base(hannah)}/contacts/add/", {**FATHER, "do_not_contact": "on"})
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert 'href="#id_do_not_contact_reason">Enter the reason not to contact them.' in response.text
    typed = form_values(response)
    assert (typed["name"], typed["phone"], typed["do_not_contact"]) == (
        "Mark Greenwood",
        "07700 900123",
        True,
    )
    assert not ContactVersion.objects.exists()


def test_a_stale_edit_is_refused_shows_their_change_and_keeps_what_was_typed(dsl, hannah, people):
    first = add_father(people, hannah, address="1 Mill Lane")
    url = f"{base(hannah)}/contacts/{first.contact_id}/change/"
    opened = dsl.get(url)
    assert form_values(opened)["version"] == 1
    # Meanwhile a colleague changes the phone number and the address.
    values = {f: getattr(first, f) for f in first.FIELDS if f not in ("ended", "end_reason")}
    services.change_contact(
        actor=people.dsl,
        contact=first.contact,
        started_from=1,
        **{**values, "phone": "07700 900999", "address": "9 High Street"},
    )
    # The editor, from version 1, changes the address only.
    typed = {**FATHER, "address": "2 Mill Lane", "priority": "1", "version": "1"}
    refused = dsl.post(url, typed)
    assert refused.status_code == 200
    assert "saved a change on" in refused.text and "after you opened this page" in refused.text
    assert refused.context["form"].meanwhile.changes == [
        ("Phone", "07700 900123", "07700 900999"),
        ("Address", "1 Mill Lane", "9 High Street"),
    ]
    assert "9 High Street" in refused.text  # their change is shown
    kept = form_values(refused)
    # What the editor typed stays; what they left alone shows the colleague's value.
    assert (kept["address"], kept["phone"], kept["name"], kept["version"]) == (
        "2 Mill Lane",
        "07700 900999",
        "Mark Greenwood",
        "2",
    )
    assert ContactVersion.objects.filter(contact=first.contact).count() == 2
    # Saved again, having seen their change: both changes are in the third version.
    saved = dsl.post(url, {**typed, "phone": kept["phone"], "version": kept["version"]})
    assert saved.status_code == 302
    assert [(v.phone, v.address) for v in ContactVersion.objects.order_by("number")] == [
        ("07700 900123", "1 Mill Lane"),
        ("07700 900999", "9 High Street"),
        ("07700 900999", "2 Mill Lane"),
    ]


def test_ending_a_contact_asks_why_and_keeps_them_in_the_history(dsl, hannah, people):
    first = add_father(people, hannah)
    url = f"{base(hannah)}/contacts/{first.contact_id}/end/"
    refused = dsl.post(url, {"version": "1", "reason": ""})
    assert "Enter why they are no longer involved." in refused.text
    response = dsl.post(url, {"version": "1", "reason": "Moved abroad"})
    assert response.status_code == 302
    history = dsl.get(f"{base(hannah)}/history/").text
    assert "Contact: Mark Greenwood: no longer involved" in history
    assert "Moved abroad" in history
    assert "No contacts recorded." in history
    assert ContactVersion.objects.count() == 2
    assert dsl.get(f"{base(hannah)}/contacts/{first.contact_id}/change/").status_code == 404


def test_another_childs_contact_is_not_found_through_this_child(dsl, hannah, people, school):
    other = add_father(people, StudentFactory(school=school))
    assert dsl.get(f"{base(hannah)}/contacts/{other.contact_id}/change/").status_code == 404
    assert dsl.post(f"{base(hannah)}/contacts/{other.contact_id}/end/").status_code == 404


def test_the_dsl_adds_and_changes_a_professional(dsl, hannah):
    url = f"{base(hannah)}/professionals/add/"
    refused = dsl.post(url, {"role": "other", "name": "Sam Lee"})
    assert 'href="#id_other_role">Enter their role.' in refused.text
    assert form_values(refused)["name"] == "Sam Lee"
    dsl.post(url, {"role": "social_worker", "name": "Priya Shah", "organisation": "CSC"})
    (professional,) = selectors.current_professionals(hannah)
    edit = f"{base(hannah)}/professionals/{professional.professional_id}/change/"
    assert form_values(dsl.get(edit))["role"] == "social_worker"
    dsl.post(
        edit,
        {"version": "1", "role": "virtual_school_head", "name": "Priya Shah", "organisation": "VS"},
    )
    (changed,) = selectors.current_professionals(hannah)
    assert (changed.number, changed.role, changed.organisation) == (
        2,
        Role.VIRTUAL_SCHOOL_HEAD,
        "VS",
    )
    history = dsl.get(f"{base(hannah)}/history/").text
    assert "Social worker" in history and "Virtual school head" in history


def test_the_notes_are_saved_as_versions(dsl, hannah):
    url = f"{base(hannah)}/notes/"
    assert form_values(dsl.get(url))["version"] == 0
    dsl.post(url, {"version": "0", "text": "Lives with dad on weekdays."})
    dsl.post(url, {"version": "1", "text": "Lives with gran."})
    refused = dsl.post(url, {"version": "1", "text": "Lives with mum."})
    assert "Lives with mum." in refused.text and "after you opened this page" in refused.text
    page = dsl.get(f"{base(hannah)}/history/").text
    assert "Lives with dad on weekdays." in page and "Lives with gran." in page


def test_each_page_records_that_the_key_facts_were_viewed(dsl, hannah, people):
    first = add_father(people, hannah)
    for path in (
        "history/",
        "contacts/add/",
        f"contacts/{first.contact_id}/change/",
        f"contacts/{first.contact_id}/end/",
        "professionals/add/",
        "notes/",
    ):
        assert dsl.get(f"{base(hannah)}/{path}").status_code == 200
    events = AuditEvent.objects.filter(action="key_facts.viewed", student=hannah)
    assert [e.detail["page"] for e in events.order_by("id")] == [
        "history",
        "add_contact",
        "edit_contact",
        "end_contact",
        "add_professional",
        "edit_notes",
    ]
    assert all(e.actor_id == people.dsl.pk for e in events)


def test_under_hide_names_the_history_stars_out_the_childs_name_in_the_key_facts(
    dsl, hannah, people
):
    add_father(people, hannah, address="Greenwood Farm")
    services.save_notes(
        actor=people.dsl, student=hannah, started_from=0, text="Hannah lives with dad."
    )
    dsl.post("/hide-names/", {"next": "/dashboard/"})
    page = dsl.get(f"{base(hannah)}/history/").text
    assert "Greenwood" not in page and "Hannah" not in page
    assert "Mark *****" in page and "***** lives with dad." in page
    dsl.post("/hide-names/", {"next": "/dashboard/"})
    assert "Mark Greenwood" in dsl.get(f"{base(hannah)}/history/").text


def test_a_teacher_is_refused_the_key_facts(signed_in, people, hannah):
    teacher = signed_in(people.teacher)
    assert teacher.get(f"{base(hannah)}/history/").status_code == 403
    assert teacher.post(f"{base(hannah)}/contacts/add/", FATHER).status_code == 403
    assert not ContactVersion.objects.exists()


def test_the_front_sheet_puts_parental_responsibility_first_and_do_not_contact_with_its_reason(
    people, hannah, rf
):
    add_father(people, hannah, name="Aunt Jo", relationship="Aunt", parental_responsibility=False)
    add_father(people, hannah, do_not_contact=True, do_not_contact_reason="Court order 2025")
    request = rf.get(f"/students/{hannah.pk}/")
    html = render_to_string(
        "key_facts/_front_sheet.html",
        {"key_facts": selectors.front_sheet(hannah)},
        request=request,
    )
    assert html.index("Mark Greenwood") < html.index("Aunt Jo")
    assert "Do not contact. Reason not to contact: Court order 2025" in html
    assert f"/students/{hannah.pk}/key-facts/contacts/add/?next=/students/{hannah.pk}/" in html
    assert "Key facts history" in html


def test_the_front_sheet_reads_three_queries_however_many_facts(people, hannah):
    for n in range(5):
        add_father(people, hannah, name=f"Contact {n}")
        services.add_professional(
            actor=people.dsl, student=hannah, role=Role.OTHER, other_role="Nurse", name=f"P{n}"
        )
    services.save_notes(actor=people.dsl, student=hannah, started_from=0, text="Notes")
    with CaptureQueriesContext(connection) as context:
        sheet = selectors.front_sheet(hannah)
        [c.name for c in sheet.contacts] + [p.role_label for p in sheet.professionals]
    assert len(data_queries(context)) == 3


def statements(client, url: str) -> list[str]:
    client.get(url)  # the first request of a session loads what later ones find cached
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return data_queries(context)


def grow(people, hannah, size: int) -> None:
    """Gives the child `size` more contacts, professionals and note versions, each changed."""
    for n in range(size):
        contact = add_father(people, hannah, name=f"Contact {n}")
        values = {
            f: getattr(contact, f) for f in contact.FIELDS if f not in ("ended", "end_reason")
        }
        services.change_contact(
            actor=people.dsl,
            contact=contact.contact,
            started_from=1,
            **{**values, "phone": "1234567"},
        )
        services.add_professional(
            actor=people.dsl, student=hannah, role=Role.SOCIAL_WORKER, name=f"Worker {n}"
        )
        notes = selectors.current_notes(hannah)
        services.save_notes(
            actor=people.dsl,
            student=hannah,
            started_from=notes.number if notes else 0,
            text=f"Version {n}",
        )


@pytest.mark.parametrize("page", ["history/", "contacts/add/", "notes/", "contact/change/"])
def test_each_page_runs_the_same_queries_for_1_and_12_contacts(dsl, people, hannah, page):
    grow(people, hannah, 1)
    first = selectors.current_contacts(hannah)[0]
    url = f"{base(hannah)}/{page}".replace("contact/change", f"contacts/{first.contact_id}/change")
    few = statements(dsl, url)
    grow(people, hannah, 11)
    many = statements(dsl, url)
    listing = "\n".join(f"{i}. {sql}" for i, sql in enumerate(many, 1))
    assert len(many) == len(few), f"{len(few)} queries grew to {len(many)}:\n{listing}"
    assert len(many) <= 12, listing


def test_the_history_lists_every_change_newest_first(dsl, people, hannah):
    grow(people, hannah, 2)
    page = dsl.get(f"{base(hannah)}/history/")
    entries = page.context["entries"]
    assert len(entries) == 8  # 2 contacts added and changed, 2 professionals, 2 notes
    times = [entry.changed_at for entry in entries]
    assert times == sorted(times, reverse=True)
    assert re.search(r"8 changes, newest first", page.text)
