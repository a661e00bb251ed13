"""A child's file arriving from another school on Kestrel: matched by UPN or a former UPN, never
by name alone; held when no single student matches; the key holders told."""

import pytest
from django.core import mail

from kestrel.audit.models import AuditEvent
from kestrel.students.upn import make_upn
from kestrel.testing.factories import StudentFactory
from kestrel.transfer_pages.tests.packages import INCIDENT, deliver
from kestrel.transfers.models import Received, ReceivedState

pytestmark = pytest.mark.django_db

UPN = make_upn(886, 2417, 21, 901)
OLD_UPN = make_upn(886, 2417, 19, 902)
OTHER_UPN = make_upn(886, 2417, 21, 903)


def test_a_package_is_matched_to_the_student_with_its_upn(school):
    hannah = StudentFactory(school=school, upn=UPN)
    StudentFactory(school=school)

    received = deliver(school, upn=UPN)

    assert received.state == ReceivedState.WAITING
    assert received.student == hannah
    assert received.from_school_name == "Oakfield Primary School"
    assert received.child_name == "Hannah Fenton"
    assert received.records == 2
    assert received.stored_name


def test_a_package_is_matched_by_a_former_upn_the_package_gives(school):
    hannah = StudentFactory(school=school, upn=UPN)

    received = deliver(school, upn=OTHER_UPN, former_upns=[OLD_UPN, UPN])

    assert received.student == hannah


def test_a_package_is_matched_by_a_former_upn_the_school_holds(school):
    hannah = StudentFactory(school=school, upn=OTHER_UPN, former_upns=f"{OLD_UPN} {UPN}")

    received = deliver(school, upn=UPN)

    assert received.student == hannah
    assert received.state == ReceivedState.WAITING


def test_a_package_for_an_unknown_upn_is_held(school):
    StudentFactory(school=school, upn=OTHER_UPN)

    received = deliver(school, upn=UPN)

    assert received.state == ReceivedState.HELD
    assert received.student is None


def test_a_package_is_never_matched_by_name_alone(school):
    StudentFactory(
        school=school,
        legal_first_name="Hannah",
        legal_last_name="Fenton",
        upn=OTHER_UPN,
    )

    received = deliver(school, upn=UPN)
    no_upn = deliver(school, upn="", reference="42")

    assert (received.state, received.student) == (ReceivedState.HELD, None)
    assert (no_upn.state, no_upn.student) == (ReceivedState.HELD, None)


def test_a_package_matching_two_students_is_held(school):
    StudentFactory(school=school, upn=UPN)
    StudentFactory(school=school, upn=OTHER_UPN, former_upns=OLD_UPN)

    received = deliver(school, upn=UPN, former_upns=[OLD_UPN])

    assert (received.state, received.student) == (ReceivedState.HELD, None)


def test_a_former_upn_matches_only_whole(school):
    # A UPN inside a longer word of the former UPNs is not that UPN.
    StudentFactory(school=school, upn=OTHER_UPN, former_upns=f"X{UPN}")

    assert deliver(school, upn=UPN).state == ReceivedState.HELD


def test_a_student_of_another_school_is_never_matched(school, other_school):
    StudentFactory(school=other_school, upn=UPN)

    assert deliver(school, upn=UPN).state == ReceivedState.HELD


def test_a_second_delivery_of_the_same_transfer_makes_no_second_file(school):
    StudentFactory(school=school, upn=UPN)

    first = deliver(school, upn=UPN)
    again = deliver(school, upn=UPN)
    other_transfer = deliver(school, upn=UPN, reference="99")

    assert again.pk == first.pk
    assert other_transfer.pk != first.pk
    assert Received.objects.filter(school=school).count() == 2


def test_the_key_holders_are_emailed_without_the_childs_name(
    school, people, django_capture_on_commit_callbacks
):
    StudentFactory(school=school, upn=UPN)

    with django_capture_on_commit_callbacks(execute=True):
        received = deliver(school, upn=UPN)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [people.dsl.email]
    assert "Oakfield Primary School" in email.subject
    assert f"/transfers/received/{received.pk}/" in email.body
    for text in ("Hannah", "Fenton", UPN, "2017"):
        assert text not in email.subject
        assert text not in email.body


def test_receiving_is_audited_without_child_data_or_record_text(school):
    StudentFactory(school=school, upn=UPN)

    received = deliver(school, upn=UPN)

    event = AuditEvent.objects.get(action="transfer.file_received")
    assert event.object_id == str(received.pk)
    assert event.school_id == school.pk
    written = str(event.detail) + event.object_label
    for text in ("Hannah", "Fenton", UPN, INCIDENT["text"], INCIDENT["child_words"]):
        assert text not in written


def test_the_file_keeps_the_childs_legal_name_and_the_name_they_are_known_by(school):
    received = deliver(school, upn=UPN, preferred_first_name="Annie")

    assert received.child_name == "Hannah Fenton (known as Annie Fenton)"
