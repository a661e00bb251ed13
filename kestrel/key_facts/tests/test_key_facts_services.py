"""Recording key facts: every change is a new version, nothing is overwritten unseen, and each
change is on the audit trail without its content."""

import pytest
from django.core.exceptions import ValidationError

from kestrel.audit.models import AuditEvent
from kestrel.key_facts import selectors, services
from kestrel.key_facts.models import (
    Contact,
    ContactVersion,
    NotesVersion,
    Professional,
    ProfessionalVersion,
    Role,
)
from kestrel.testing.factories import StudentFactory


@pytest.fixture
def hannah(school):
    return StudentFactory(school=school, legal_first_name="Hannah", legal_last_name="Greenwood")


def add_father(people, hannah, **changes):
    values = {
        "actor": people.dsl,
        "student": hannah,
        "name": "Mark Greenwood",
        "relationship": "Father",
        "parental_responsibility": True,
        "phone": "07700 900123",
        "address": "1 Mill Lane\nAshdown",
    }
    values.update(changes)
    return services.add_contact(**values)


def contact_values(version, **changes):
    values = {
        field: getattr(version, field)
        for field in version.FIELDS
        if field not in ("ended", "end_reason")
    }
    values.update(changes)
    return values


def test_a_change_to_a_contact_is_a_new_version_and_the_old_one_is_kept(people, hannah):
    first = add_father(people, hannah)
    second = services.change_contact(
        actor=people.dsl,
        contact=first.contact,
        started_from=1,
        **contact_values(first, phone="07700 900456"),
    )
    assert second.number == 2 and second.pk != first.pk
    versions = list(ContactVersion.objects.filter(contact=first.contact).order_by("number"))
    assert [v.phone for v in versions] == ["07700 900123", "07700 900456"]
    assert versions[1].changed_by == people.dsl
    assert versions[1].changed_by_label == "Chloe Kelan (Designated Safeguarding Lead)"
    assert [c.phone for c in selectors.current_contacts(hannah)] == ["07700 900456"]


def test_the_history_shows_the_old_and_new_values_side_by_side(people, hannah):
    first = add_father(people, hannah)
    services.change_contact(
        actor=people.dsl,
        contact=first.contact,
        started_from=1,
        **contact_values(first, phone="07700 900456"),
    )
    newest, added = selectors.history(hannah)
    assert (newest.what, newest.subject) == ("Changed", "Contact: Mark Greenwood")
    assert newest.changes == [("Phone", "07700 900123", "07700 900456")]
    assert newest.changed_by == "Chloe Kelan (Designated Safeguarding Lead)"
    assert added.what == "Added"
    assert ("Has parental responsibility", "", "Yes") in added.changes


def test_do_not_contact_needs_a_reason(people, hannah):
    with pytest.raises(ValidationError) as refused:
        add_father(people, hannah, do_not_contact=True, do_not_contact_reason="  ")
    assert "do_not_contact_reason" in refused.value.error_dict
    assert not Contact.objects.exists()
    kept = add_father(people, hannah, do_not_contact=True, do_not_contact_reason="Court order")
    assert kept.do_not_contact_reason == "Court order"


def test_a_stale_edit_is_refused_with_the_change_saved_meanwhile(people, hannah, levels):
    first = add_father(people, hannah)
    services.change_contact(
        actor=people.dsl,
        contact=first.contact,
        started_from=1,
        **contact_values(first, phone="07700 900456"),
    )
    with pytest.raises(services.ChangedMeanwhile) as refused:
        services.change_contact(
            actor=people.dsl,
            contact=first.contact,
            started_from=1,  # opened before the change above
            **contact_values(first, address="2 Mill Lane"),
        )
    assert refused.value.current.number == 2
    assert refused.value.changes == [("Phone", "07700 900123", "07700 900456")]
    assert ContactVersion.objects.filter(contact=first.contact).count() == 2


def test_saving_again_from_the_newer_version_keeps_both_changes(people, hannah):
    first = add_father(people, hannah)
    second = services.change_contact(
        actor=people.dsl,
        contact=first.contact,
        started_from=1,
        **contact_values(first, phone="07700 900456"),
    )
    third = services.change_contact(
        actor=people.dsl,
        contact=first.contact,
        started_from=2,
        **contact_values(second, address="2 Mill Lane"),
    )
    assert (third.number, third.phone, third.address) == (3, "07700 900456", "2 Mill Lane")


def test_ending_a_contact_keeps_every_row_and_leaves_the_front_sheet(people, hannah):
    first = add_father(people, hannah)
    ended = services.end_contact(
        actor=people.dsl, contact=first.contact, started_from=1, reason="Moved abroad"
    )
    assert (ended.ended, ended.end_reason, ended.name) == (True, "Moved abroad", "Mark Greenwood")
    assert ContactVersion.objects.filter(contact=first.contact).count() == 2
    assert list(selectors.current_contacts(hannah)) == []
    assert selectors.history(hannah)[0].what == "No longer involved"
    with pytest.raises(ValidationError):
        services.change_contact(
            actor=people.dsl, contact=first.contact, started_from=2, **contact_values(first)
        )


def test_ending_needs_a_reason(people, hannah):
    first = add_father(people, hannah)
    with pytest.raises(ValidationError):
        services.end_contact(actor=people.dsl, contact=first.contact, started_from=1, reason="")
    assert ContactVersion.objects.count() == 1


def test_a_change_that_changes_nothing_writes_nothing(people, hannah):
    first = add_father(people, hannah)
    same = services.change_contact(
        actor=people.dsl, contact=first.contact, started_from=1, **contact_values(first)
    )
    assert same.pk == first.pk
    assert AuditEvent.objects.filter(action="key_facts.contact_changed").count() == 0


def test_parental_responsibility_comes_first_then_the_order_to_contact(people, hannah):
    add_father(people, hannah, name="Aunt Jo", priority=3, parental_responsibility=False)
    add_father(people, hannah, name="Gran", priority=1, parental_responsibility=False)
    father = add_father(people, hannah)
    assert father.priority == 4  # without an order: after the others
    names = [c.name for c in selectors.current_contacts(hannah)]
    assert names == ["Mark Greenwood", "Gran", "Aunt Jo"]


def test_professionals_are_versioned_and_ended_like_contacts(people, hannah):
    first = services.add_professional(
        actor=people.dsl,
        student=hannah,
        role=Role.SOCIAL_WORKER,
        name="Priya Shah",
        organisation="Ashdown Children's Services",
        phone="01632 960001",
    )
    changed = services.change_professional(
        actor=people.dsl,
        professional=first.professional,
        started_from=1,
        role=Role.OTHER,
        other_role="School nurse",
        name="Priya Shah",
        organisation="Ashdown NHS Trust",
        phone="01632 960001",
        email="",
    )
    assert changed.role_label == "School nurse"
    assert changed.number == 2
    services.end_professional(
        actor=people.dsl, professional=first.professional, started_from=2, reason="Case closed"
    )
    assert ProfessionalVersion.objects.filter(professional=first.professional).count() == 3
    assert Professional.objects.count() == 1
    assert list(selectors.current_professionals(hannah)) == []


def test_an_other_role_must_be_named(people, hannah):
    with pytest.raises(ValidationError) as refused:
        services.add_professional(actor=people.dsl, student=hannah, role=Role.OTHER, name="Sam")
    assert "other_role" in refused.value.error_dict


def test_notes_keep_each_version_and_refuse_a_stale_save(people, hannah):
    first = services.save_notes(
        actor=people.dsl, student=hannah, started_from=0, text="Lives with dad."
    )
    services.save_notes(actor=people.dsl, student=hannah, started_from=1, text="Lives with gran.")
    with pytest.raises(services.ChangedMeanwhile) as refused:
        services.save_notes(
            actor=people.dsl, student=hannah, started_from=1, text="Lives with mum."
        )
    assert refused.value.changes == [("Notes", "Lives with dad.", "Lives with gran.")]
    with pytest.raises(services.ChangedMeanwhile):
        services.save_notes(actor=people.dsl, student=hannah, started_from=0, text="New.")
    assert [v.text for v in NotesVersion.objects.order_by("number")] == [
        first.text,
        "Lives with gran.",
    ]
    assert selectors.current_notes(hannah).text == "Lives with gran."


def test_each_change_is_audited_with_the_student_and_no_content(people, hannah):
    first = add_father(people, hannah)
    services.change_contact(
        actor=people.dsl,
        contact=first.contact,
        started_from=1,
        **contact_values(first, phone="07700 900456"),
    )
    services.end_contact(actor=people.dsl, contact=first.contact, started_from=2, reason="Moved")
    services.save_notes(actor=people.dsl, student=hannah, started_from=0, text="Private words")
    events = list(AuditEvent.objects.filter(action__startswith="key_facts.").order_by("id"))
    assert [e.action for e in events] == [
        "key_facts.contact_added",
        "key_facts.contact_changed",
        "key_facts.contact_ended",
        "key_facts.notes_changed",
    ]
    assert all(e.student_id == hannah.pk and e.actor_id == people.dsl.pk for e in events)
    assert events[1].detail == {"version": 2, "fields": ["phone"], "contact": first.contact_id}
    assert events[2].detail["fields"] == ["ended", "end_reason"]
    written = repr([(e.detail, e.object_label) for e in events])
    for content in ("Mark", "07700", "Mill Lane", "Moved", "Private words"):
        assert content not in written
