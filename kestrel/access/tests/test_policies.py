"""The policies' three questions agree with each other, for every persona.

`users_who_can("open", incident)` is who would normally see the incident: everyone for whom
`visible` holds it, a key holder counted with their key unlocked (their key, once unlocked,
opens it). The red names on Add Incident and Add Action come from the same rule, through the
staff type-ahead. An unknown action or kind of record raises."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from kestrel.access.policies import (
    POLICIES,
    UnknownAction,
    UnknownKind,
    Viewer,
    check,
    policy_for,
)
from kestrel.alerts.services import mark_as_read
from kestrel.incidents.policies import INCIDENTS, IncidentShape
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    AccessLevelFactory,
    AlertFactory,
    CategoryFactory,
    IncidentFactory,
    StudentFactory,
    UserFactory,
)


@pytest.fixture
def cast(school, other_school, levels, people):
    """Every persona the issue names, around incidents at three ranks."""
    head = AccessLevelFactory(school=school, name="Headteacher only", rank=60)
    categories = {
        20: CategoryFactory(school=school, name="Behaviour", access_level=levels.staff),
        40: CategoryFactory(school=school, name="Child protection", access_level=levels.dsl),
        60: CategoryFactory(school=school, name="Allegation", access_level=head),
    }
    cast = SimpleNamespace(
        dsl=people.dsl,
        deputy=UserFactory(school=school, access_level=levels.dsl, is_key_holder=True),
        head=UserFactory(school=school, access_level=head, is_key_holder=True),
        recorder=UserFactory(school=school, access_level=levels.staff),
        old_recorder=UserFactory(school=school, access_level=levels.staff),
        teacher=people.teacher,
        alerted=UserFactory(school=school, access_level=levels.staff),
        alerted_read=UserFactory(school=school, access_level=levels.staff),
        other_teacher=UserFactory(school=other_school, access_level=None),
        other_dsl=UserFactory(school=other_school, is_key_holder=True),
        admin=people.admin,
        left=UserFactory(
            school=school, access_level=levels.dsl, is_key_holder=True, is_active=False
        ),
    )
    student = StudentFactory(school=school)
    cast.incidents = {}
    for rank, category in categories.items():
        incident = IncidentFactory(student=student, reporter=cast.recorder, categories=[category])
        for user in (cast.alerted, cast.alerted_read):
            AlertFactory(incident=incident, recipient=user, sender=cast.recorder)
        mark_as_read(
            actor=cast.alerted_read, alert=incident.alerts.get(recipient=cast.alerted_read)
        )
        cast.incidents[rank] = incident
    week_ago = timezone.now() - datetime.timedelta(days=8)
    cast.incidents["old"] = IncidentFactory(
        student=student,
        reporter=cast.old_recorder,
        categories=[categories[20]],
        recorded_at=week_ago,
    )
    cast.categories = categories
    return cast


def everyone(cast) -> list:
    return [user for name, user in vars(cast).items() if name not in ("incidents", "categories")]


def sees(user, incident, *, key_unlocked) -> bool:
    viewer = Viewer(user=user, key_unlocked=key_unlocked)
    return INCIDENTS.visible(viewer).filter(pk=incident.pk).exists()


def test_users_who_can_open_an_incident_are_those_it_is_visible_to_with_their_key_unlocked(cast):
    for incident in cast.incidents.values():
        expected = {
            user.pk
            for user in everyone(cast)
            if sees(user, incident, key_unlocked=user.is_key_holder)
        }
        assert set(INCIDENTS.users_who_can("open", incident).values_list("pk", flat=True)) == (
            expected
        )


def test_each_persona_is_among_users_who_can_open_as_the_rules_say(cast):
    who = {
        rank: set(INCIDENTS.users_who_can("open", incident))
        for rank, incident in cast.incidents.items()
    }
    # Key holders up to their level; the head's key opens every rank.
    assert cast.dsl in who[40] and cast.deputy in who[40] and cast.dsl not in who[60]
    assert cast.head in who[60]
    # The teacher who recorded it (for 7 days), the alerted teacher until they mark it as read.
    assert all(cast.recorder in who[rank] for rank in (20, 40, 60))
    assert cast.old_recorder not in who["old"]
    assert all(cast.alerted in who[rank] for rank in (20, 40, 60))
    assert not any(cast.alerted_read in who[rank] for rank in (20, 40, 60))
    # Nobody else: a teacher who did not record it, the administrator, another school, leavers.
    for user in (cast.teacher, cast.admin, cast.other_teacher, cast.other_dsl, cast.left):
        assert not any(user in people for people in who.values())


def test_a_key_holder_with_the_key_locked_would_normally_see_what_their_key_opens(cast):
    incident = cast.incidents[40]
    assert not sees(cast.deputy, incident, key_unlocked=False)  # locked: not now
    assert sees(cast.deputy, incident, key_unlocked=True)
    assert cast.deputy in INCIDENTS.users_who_can("open", incident)  # but normally, yes


def test_can_open_agrees_with_visible_for_every_persona_and_key_state(cast):
    for incident in cast.incidents.values():
        for user in everyone(cast):
            for unlocked in (False, True):
                viewer = Viewer(user=user, key_unlocked=unlocked)
                assert INCIDENTS.can(viewer, "open", incident) == sees(
                    user, incident, key_unlocked=unlocked
                ), (user, incident.required_rank, unlocked)


def test_only_unlocked_key_holders_who_may_open_it_may_correct_an_incident(cast):
    incident = cast.incidents[40]
    assert INCIDENTS.can(Viewer(cast.dsl, key_unlocked=True), "correct", incident)
    assert not INCIDENTS.can(Viewer(cast.dsl, key_unlocked=False), "correct", incident)
    assert not INCIDENTS.can(Viewer(cast.recorder, key_unlocked=True), "correct", incident)
    assert not INCIDENTS.can(Viewer(cast.dsl, key_unlocked=True), "correct", cast.incidents[60])


@pytest.mark.parametrize("kind", sorted(POLICIES))
def test_an_unknown_action_raises_for_every_kind(kind, cast):
    policy = policy_for(kind)
    viewer = Viewer(cast.dsl, key_unlocked=True)
    with pytest.raises(UnknownAction):
        policy.can(viewer, "delete_everything", cast.incidents[20])
    with pytest.raises(UnknownAction):
        policy.users_who_can("delete_everything", cast.incidents[20])


def test_an_unknown_kind_of_record_raises():
    with pytest.raises(UnknownKind):
        policy_for("referral")


def test_a_service_check_refuses_what_the_policy_refuses(cast):
    with pytest.raises(PermissionDenied):
        check(
            Viewer(cast.teacher, key_unlocked=False), "incident", "add_action", cast.incidents[20]
        )
    check(Viewer(cast.alerted, key_unlocked=False), "incident", "add_action", cast.incidents[20])


def red_names(client, **asked) -> set[int]:
    """Whom the staff type-ahead says would not normally be able to view the incident."""
    response = client.get("/staff/search/", asked)
    assert response.status_code == 200
    return {
        person["id"] for person in response.json()["results"] if person.get("normally") is False
    }


def test_the_red_names_on_add_incident_are_those_users_who_can_open_leaves_out(
    cast, signed_in, school
):
    client = signed_in(cast.recorder)
    colleagues = [user for user in everyone(cast) if user.school_id == school.pk and user.is_active]
    ids = [user.pk for user in colleagues if user != cast.recorder]
    for rank, category in cast.categories.items():
        chosen = [category.pk, cast.categories[20].pk]  # the highest category decides
        unsaved = IncidentShape(school_id=school.pk, required_rank=rank)
        normally = set(INCIDENTS.users_who_can("open", unsaved).values_list("pk", flat=True))
        assert red_names(client, id=ids, category=chosen) == set(ids) - normally
    assert red_names(client, id=ids, category=[cast.categories[40].pk]) == {
        cast.teacher.pk,
        cast.alerted.pk,
        cast.alerted_read.pk,
        cast.old_recorder.pk,
        cast.admin.pk,
    }
    # No category ticked yet: nobody is red.
    assert red_names(client, id=ids) == set()


def test_the_red_names_on_add_action_come_from_the_incidents_categories(cast, signed_in):
    client = unlock_key(signed_in(cast.dsl))
    incident = cast.incidents[40]
    ids = [cast.deputy.pk, cast.head.pk, cast.teacher.pk, cast.admin.pk]
    assert red_names(client, id=ids, incident=incident.pk) == {cast.teacher.pk, cast.admin.pk}
    # An incident the asker may not open is refused, as its page is.
    teacher = signed_in(cast.teacher)
    assert teacher.get("/staff/search/", {"id": ids, "incident": incident.pk}).status_code == 404


def test_services_check_the_policy_themselves_and_never_trust_the_view(cast, rf):
    from kestrel.incidents.services import add_action, add_correction

    incident = cast.incidents[40]
    now = timezone.now() - datetime.timedelta(minutes=1)
    with pytest.raises(PermissionDenied):
        add_action(actor=cast.teacher, incident=incident, text="Rang mum.", occurred_at=now)
    with pytest.raises(PermissionDenied):
        add_correction(
            actor=cast.recorder, incident=incident, text="x", occurred_at=None, reason="r"
        )
    with pytest.raises(PermissionDenied):
        mark_as_read(actor=cast.teacher, alert=incident.alerts.get(recipient=cast.alerted))
    # A key holder in a browser session with the key locked may not correct it either.
    request = rf.post("/")
    request.user = cast.dsl
    request.session = {}
    with pytest.raises(PermissionDenied):
        add_correction(
            actor=cast.dsl,
            incident=incident,
            text="x",
            occurred_at=None,
            reason="r",
            request=request,
        )
    assert add_action(actor=cast.alerted, incident=incident, text="Rang mum.", occurred_at=now)
