"""A trust's view (issue 23, item 5): staff with a place at another school of their trust switch
school without signing in again, with their rights there; the trust safeguarding lead sees the
trust's schools side by side and opens a school's records only by switching there and unlocking
their key there, every step on the record in that school's chain."""

from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from kestrel.access.keys import key_unlocked_until
from kestrel.access.working_school import SCHOOL_SESSION_KEY
from kestrel.accounts import trusts
from kestrel.accounts.models import User
from kestrel.audit.models import AuditEvent
from kestrel.schools.scope import scopes_disabled
from kestrel.testing.auth import authenticator_for, next_unused_code, unlock_key
from kestrel.testing.factories import (
    AccessLevelFactory,
    SchoolFactory,
    StudentFactory,
)

SWITCH = reverse("trust_pages:switch")
TRUST = reverse("trust_pages:overview")


def chronology(student) -> str:
    return reverse("students:chronology", args=[student.pk])


def events(school, action):
    with scopes_disabled():
        return list(AuditEvent.all_schools.filter(school=school, action=action))


@pytest.fixture
def trust(school, other_school, people):
    """Ashdown and Brook Lane in one trust; a third school stands alone. The DSL of Ashdown also
    works at Brook Lane as a key holder of its DSL team; Ashdown's teacher leads the trust."""
    made = trusts.create_trust(name="Downland Trust")
    trusts.add_school(trust=made, school=school)
    trusts.add_school(trust=made, school=other_school)
    brook_dsl = AccessLevelFactory(school=other_school, name="DSL team", rank=40)
    AccessLevelFactory(school=other_school, name="Staff", rank=20)
    trusts.add_member(
        user=people.dsl, school=other_school, access_level=brook_dsl, is_key_holder=True
    )
    authenticator_for(people.teacher)
    trusts.add_lead(trust=made, user=people.teacher)
    return SimpleNamespace(
        trust=made,
        brook_student=StudentFactory(school=other_school),
        own_student=StudentFactory(school=school),
        lone_school=SchoolFactory(name="Standalone Infants"),
    )


def unlock_here(client, user):
    code = next_unused_code(authenticator_for(user))
    return client.post(reverse("key:unlock"), {"code": code})


@pytest.mark.django_db
def test_switching_school_changes_the_scope_and_the_rights(
    client, signed_in, people, other_school, trust
):
    signed_in(people.dsl)
    unlock_key(client)
    # At home: the other school's child is not there at all.
    assert client.get(chronology(trust.brook_student)).status_code == 404

    response = client.post(SWITCH, {"school": other_school.pk})

    assert response.status_code == 302
    assert client.session[SCHOOL_SESSION_KEY] == other_school.pk
    page = client.get(reverse("dashboard"))
    assert page.context["school"] == other_school
    # The key was locked by the switch: first unlocked at Brook Lane, then the child opens.
    locked = client.get(chronology(trust.brook_student))
    assert locked.status_code == 302 and locked.url.startswith(reverse("key:unlock"))
    unlock_here(client, people.dsl)
    assert client.get(chronology(trust.brook_student)).status_code == 200
    # ...and the home school's child is now the one that is not there.
    assert client.get(chronology(trust.own_student)).status_code == 404
    # Nothing of the switch reached the staff member's row: home is still home.
    with scopes_disabled():
        row = User.all_schools.get(pk=people.dsl.pk)
    assert row.school_id == people.dsl.school_id


@pytest.mark.django_db
def test_switching_locks_the_key_on_the_record_in_both_schools(
    client, signed_in, people, school, other_school, trust
):
    signed_in(people.dsl)
    unlock_key(client)

    client.post(SWITCH, {"school": other_school.pk})

    away = events(school, "school.switched_away")
    arrived = events(other_school, "school.switched_in")
    assert [e.detail for e in away] == [{"to": other_school.pk, "key_locked": True}]
    assert [e.detail for e in arrived] == [{"from": school.pk, "key_locked": True}]
    assert "kestrel_key_unlocked_until" not in client.session
    # Back home, the key stays locked: it is unlocked again at each school.
    client.post(SWITCH, {"school": school.pk})
    assert SCHOOL_SESSION_KEY not in client.session
    request = SimpleNamespace(user=people.dsl, session=client.session)
    assert key_unlocked_until(request) is None


@pytest.mark.django_db
def test_a_key_unlocked_at_one_school_does_not_open_another(
    client, signed_in, people, other_school, trust
):
    signed_in(people.dsl)
    client.post(SWITCH, {"school": other_school.pk})
    session = client.session
    # A session whose unlock was made at the home school (as if the switch had not locked it).
    session["kestrel_key_unlocked_until"] = "2999-01-01T00:00:00+00:00"
    session["kestrel_key_unlocked_at_school"] = people.dsl.school_id
    session.save()

    response = client.get(chronology(trust.brook_student))

    assert response.status_code == 302 and response.url.startswith(reverse("key:unlock"))


@pytest.mark.django_db
def test_switching_to_a_school_without_a_place_there_is_refused_and_recorded(
    client, signed_in, people, school, trust
):
    signed_in(people.dsl)

    response = client.post(SWITCH, {"school": trust.lone_school.pk})

    assert response.status_code == 403
    assert SCHOOL_SESSION_KEY not in client.session
    refused = events(school, "access.refused")
    assert [(e.detail["kind"], e.detail["id"]) for e in refused] == [
        ("school", str(trust.lone_school.pk))
    ]
    assert client.post(SWITCH, {"school": "x"}).status_code == 403


@pytest.mark.django_db
def test_a_membership_outside_the_home_schools_trust_gives_no_place(
    client, signed_in, people, other_school, trust
):
    trusts.remove_school(school=other_school)  # Brook Lane leaves the trust: its places end
    signed_in(people.dsl)

    assert client.post(SWITCH, {"school": other_school.pk}).status_code == 403
    assert not User.all_schools.get(pk=people.dsl.pk).works_at_other_schools


@pytest.mark.django_db
def test_a_place_that_ends_sends_the_session_home(client, signed_in, people, other_school, trust):
    signed_in(people.dsl)
    client.post(SWITCH, {"school": other_school.pk})
    trusts.remove_member(user=people.dsl, school=other_school)

    page = client.get(reverse("dashboard"))

    assert page.context["school"] == people.dsl.school
    assert SCHOOL_SESSION_KEY not in client.session


@pytest.mark.django_db
def test_the_header_offers_switch_school_to_those_with_several_schools(
    client, signed_in, people, trust
):
    signed_in(people.dsl)
    assert "Switch school" in client.get(reverse("dashboard")).text
    signed_in(people.admin)
    assert "Switch school" not in client.get(reverse("dashboard")).text


@pytest.mark.django_db
def test_the_trust_lead_sees_the_trusts_schools_side_by_side(
    client, signed_in, people, school, other_school, trust
):
    StudentFactory(school=other_school)
    signed_in(people.teacher)

    response = client.get(TRUST)

    assert response.status_code == 200
    (view,) = response.context["trusts"]
    assert [column.school for column in view.columns] == [school, other_school]
    assert dict(view.rows)["Pupils on roll"] == [1, 2]
    assert trust.lone_school.name not in response.text
    assert [e.detail for e in events(school, "trust.viewed")] == [{"trusts": [trust.trust.pk]}]


@pytest.mark.django_db
def test_only_the_trust_lead_opens_the_trust_page(client, signed_in, people, trust):
    signed_in(people.dsl)  # works at two schools of the trust, but does not lead it

    assert client.get(TRUST).status_code == 403


@pytest.mark.django_db
def test_the_trust_lead_opens_a_schools_record_only_with_key_access_there(
    client, signed_in, people, other_school, trust
):
    lead = people.teacher
    signed_in(lead)
    # At their own school they are a teacher: no chronology at all.
    assert client.get(chronology(trust.brook_student)).status_code == 403

    client.post(SWITCH, {"school": other_school.pk})
    locked = client.get(chronology(trust.brook_student))

    assert locked.status_code == 302 and locked.url.startswith(reverse("key:unlock"))
    refused = events(other_school, "access.refused")
    assert [(e.actor_id, e.detail["reason"]) for e in refused] == [(lead.pk, "key_locked")]
    assert unlock_here(client, lead).status_code == 302
    assert [e.actor_id for e in events(other_school, "key.unlocked")] == [lead.pk]
    assert client.get(chronology(trust.brook_student)).status_code == 200
    viewed = events(other_school, "chronology.viewed")
    assert [(e.actor_id, e.student_id) for e in viewed] == [(lead.pk, trust.brook_student.pk)]


@pytest.mark.django_db
def test_a_trust_lead_needs_a_second_factor(people, trust):
    with pytest.raises(trusts.TrustError, match="no second factor"):
        trusts.add_lead(trust=trust.trust, user=people.admin)


@pytest.mark.django_db
def test_saving_a_user_working_elsewhere_keeps_their_home(people, other_school, trust):
    user = User.all_schools.select_related("school").get(pk=people.teacher.pk)
    rights = trusts.rights_at(user, other_school.pk)
    user.work_at(
        rights.school,
        access_level=rights.access_level,
        is_key_holder=rights.is_key_holder,
        is_school_admin=rights.is_school_admin,
    )
    user.job_title = "Trust safeguarding lead"
    user.save()

    with scopes_disabled():
        row = User.all_schools.get(pk=user.pk)
    assert (row.school_id, row.is_key_holder, row.job_title) == (
        people.teacher.school_id,
        False,
        "Trust safeguarding lead",
    )
    assert user.school_id == other_school.pk  # still working there for the rest of the request


@pytest.mark.django_db
def test_the_operator_sets_up_a_trust_with_the_command(people, school, other_school, capsys):
    call_command("trust", "create", "Weald Trust")
    call_command("trust", "add-school", "weald trust", str(school.pk))
    call_command("trust", "add-school", "Weald Trust", str(other_school.pk))
    call_command("trust", "add-member", people.admin.email, str(other_school.pk), "--school-admin")
    call_command("trust", "list")

    out = capsys.readouterr().out
    assert "school " + str(other_school.pk) + ": Brook Lane Academy" in out
    membership = people.admin.memberships.get()
    assert (membership.school, membership.is_school_admin) == (other_school, True)
    with pytest.raises(CommandError, match="no second factor"):
        call_command("trust", "add-lead", "Weald Trust", people.admin.email)
    with pytest.raises(CommandError, match="in a trust already"):
        call_command("trust", "add-school", "Weald Trust", str(school.pk))
