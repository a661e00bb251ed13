"""Which incidents a person may open: key holders with their key unlocked, up to their access
level; whoever is alerted, until they mark the alert as read; the reporter, for 7 days. Nobody
else, and never across schools.

The rules are asked of `kestrel.incidents.policies` directly; the
tests about the key take the viewer from a real request, so that the session decides."""

import datetime

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from kestrel.access.policies import Viewer
from kestrel.incidents.policies import chronology_incidents, get_incident, visible_incidents
from kestrel.schools.scope import scope
from kestrel.testing.auth import authenticator_for, current_code, unlock_key
from kestrel.testing.factories import (
    AccessLevelFactory,
    ActionFactory,
    AlertFactory,
    CategoryFactory,
    IncidentFactory,
    LinkedStudentFactory,
    StudentFactory,
    UserFactory,
)

START = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def head_level(school):
    """A level above the DSL team's: "Headteacher only"."""
    return AccessLevelFactory(school=school, name="Headteacher only", rank=60)


@pytest.fixture
def categories(school, levels, head_level):
    return {
        20: CategoryFactory(school=school, name="Behaviour", access_level=levels.staff),
        40: CategoryFactory(school=school, name="Child protection", access_level=levels.dsl),
        60: CategoryFactory(
            school=school, name="Allegation against staff", access_level=head_level
        ),
    }


@pytest.fixture
def hannah(school):
    return StudentFactory(school=school, legal_first_name="Hannah", legal_last_name="Greenwood")


@pytest.fixture
def incidents(hannah, categories, people):
    """One incident at each rank, recorded by a colleague who is none of the personas."""
    reporter = UserFactory(school=hannah.school)
    return {
        rank: IncidentFactory(student=hannah, reporter=reporter, categories=[category])
        for rank, category in categories.items()
    }


def unlocked(user) -> Viewer:
    return Viewer(user=user, key_unlocked=True)


def locked(user) -> Viewer:
    return Viewer(user=user, key_unlocked=False)


def seen(viewer: Viewer) -> set[int]:
    # The viewer's request's scope (an anonymous visitor's has no school).
    with scope(school=getattr(viewer.user, "school_id", None)):
        return set(visible_incidents(viewer).values_list("pk", flat=True))


def opened(viewer: Viewer, pk: int):
    with scope(school=viewer.user.school_id):
        return get_incident(viewer, pk)


def viewer_of(client) -> Viewer:
    """The viewer as a page would see them: from a real request and its session."""
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert response.wsgi_request.user.is_authenticated
    return Viewer.of(response.wsgi_request)


def test_the_factory_fixes_required_rank_as_the_highest_of_the_categories(categories, hannah):
    incident = IncidentFactory(student=hannah, categories=[categories[40], categories[20]])

    assert incident.required_rank == 40


# Key holders


def test_key_holder_with_key_unlocked_sees_incidents_up_to_their_rank_and_not_above(
    people, incidents
):
    assert seen(unlocked(people.dsl)) == {incidents[20].pk, incidents[40].pk}


def test_key_holder_with_key_locked_sees_none_of_the_incidents_at_their_rank(people, incidents):
    assert seen(locked(people.dsl)) == set()


def test_key_holder_who_unlocked_their_key_in_this_session_sees_by_rank(
    signed_in, people, incidents
):
    client = signed_in(people.dsl)
    device = authenticator_for(people.dsl)
    client.post("/key/", {"code": current_code(device)})

    assert seen(viewer_of(client)) == {incidents[20].pk, incidents[40].pk}


def test_key_holder_whose_session_has_no_unlock_sees_nothing_by_rank(signed_in, people, incidents):
    viewer = viewer_of(signed_in(people.dsl))

    assert viewer.key_unlocked is False
    assert seen(viewer) == set()


def test_key_holder_sees_nothing_by_rank_once_the_unlock_has_lapsed(
    signed_in, school, people, incidents
):
    school.key_unlock_minutes = 5
    school.save()
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in(people.dsl)
        client.post("/key/", {"code": current_code(authenticator_for(people.dsl))})
        clock.shift(datetime.timedelta(minutes=4))
        before = seen(viewer_of(client))
        clock.shift(datetime.timedelta(minutes=2))
        after = seen(viewer_of(client))

    assert before == {incidents[20].pk, incidents[40].pk}
    assert after == set()


def test_a_key_holder_who_loses_the_role_loses_the_key_they_had_unlocked(
    signed_in, people, incidents
):
    client = unlock_key(signed_in(people.dsl))
    people.dsl.is_key_holder = False
    people.dsl.save()

    viewer = viewer_of(client)

    assert viewer.key_unlocked is False
    assert seen(viewer) == set()


def test_someone_who_is_not_a_key_holder_sees_nothing_by_rank_however_high(
    school, people, incidents, head_level
):
    deputy = UserFactory(school=school, access_level=head_level, is_key_holder=False)

    assert seen(unlocked(deputy)) == set()


def test_a_retired_access_level_gives_no_rank(people, levels, incidents):
    levels.dsl.is_active = False
    levels.dsl.save()

    assert seen(unlocked(people.dsl)) == set()


def test_a_key_holder_with_no_access_level_sees_nothing_by_rank(people, incidents):
    people.dsl.access_level = None
    people.dsl.save()

    assert seen(unlocked(people.dsl)) == set()


# Alerts


def test_an_alerted_teacher_sees_the_incident_while_the_alert_is_unread(people, incidents):
    AlertFactory(incident=incidents[40], recipient=people.teacher)

    assert seen(locked(people.teacher)) == {incidents[40].pk}
    assert opened(locked(people.teacher), incidents[40].pk) == incidents[40]


def test_teacher_cannot_open_the_incident_after_marking_the_alert_as_read(people, incidents):
    alert = AlertFactory(incident=incidents[40], recipient=people.teacher)
    alert.read_at = timezone.now()
    alert.save()

    assert seen(locked(people.teacher)) == set()
    with pytest.raises(Http404):
        opened(locked(people.teacher), incidents[40].pk)


def test_an_unread_alert_about_an_action_also_lets_the_teacher_see_the_incident(people, incidents):
    action = ActionFactory(incident=incidents[40])
    AlertFactory(incident=incidents[40], action=action, recipient=people.teacher)

    assert seen(locked(people.teacher)) == {incidents[40].pk}


def test_an_alert_to_someone_else_gives_the_teacher_nothing(school, people, incidents):
    AlertFactory(incident=incidents[20], recipient=UserFactory(school=school))

    assert seen(locked(people.teacher)) == set()


def test_an_incident_both_alerted_and_visible_by_rank_is_listed_once(people, incidents):
    AlertFactory(incident=incidents[20], recipient=people.dsl)
    action = ActionFactory(incident=incidents[20])
    AlertFactory(incident=incidents[20], action=action, recipient=people.dsl)

    pks = list(visible_incidents(unlocked(people.dsl)).values_list("pk", flat=True))

    assert sorted(pks) == sorted([incidents[20].pk, incidents[40].pk])
    assert visible_incidents(unlocked(people.dsl)).count() == 2


# The reporter's own history


def test_reporter_sees_their_own_incident_for_7_days_and_not_after(people, hannah, categories):
    with time_machine.travel(START, tick=False) as clock:
        mine = IncidentFactory(student=hannah, reporter=people.teacher, categories=[categories[60]])
        clock.shift(datetime.timedelta(days=7) - datetime.timedelta(minutes=1))
        on_day_7 = seen(locked(people.teacher))
        clock.shift(datetime.timedelta(minutes=2))
        after_day_7 = seen(locked(people.teacher))

    assert on_day_7 == {mine.pk}
    assert after_day_7 == set()


def test_a_colleagues_recent_incident_is_not_the_teachers_own_history(people, incidents):
    assert seen(locked(people.teacher)) == set()


# Those who get nothing


def test_the_school_administrator_sees_nothing(people, incidents):
    assert seen(unlocked(people.admin)) == set()
    with pytest.raises(Http404):
        opened(unlocked(people.admin), incidents[20].pk)


def test_a_deactivated_user_sees_nothing_by_any_rule(people, hannah, categories, incidents):
    IncidentFactory(student=hannah, reporter=people.dsl, categories=[categories[60]])
    AlertFactory(incident=incidents[60], recipient=people.dsl)
    people.dsl.is_active = False
    people.dsl.save()

    assert seen(unlocked(people.dsl)) == set()


def test_an_anonymous_visitor_sees_nothing(incidents):
    from django.contrib.auth.models import AnonymousUser

    assert seen(unlocked(AnonymousUser())) == set()


# Schools


@pytest.fixture
def other_dsl(other_school):
    """A key holder at the other school, with a higher rank than anyone at ours."""
    level = AccessLevelFactory(school=other_school, name="Everything", rank=90)
    return UserFactory(school=other_school, access_level=level, is_key_holder=True)


@pytest.fixture
def their_incident(other_school, other_dsl):
    category = CategoryFactory(school=other_school, access_level=other_dsl.access_level)
    return IncidentFactory(student=StudentFactory(school=other_school), categories=[category])


def test_a_key_holder_at_another_school_sees_none_of_ours_whatever_their_rank(
    other_dsl, incidents, their_incident
):
    assert seen(unlocked(other_dsl)) == {their_incident.pk}


def test_our_key_holder_sees_none_of_another_schools_incidents(people, incidents, their_incident):
    AlertFactory(incident=their_incident, recipient=people.dsl)

    assert their_incident.pk not in seen(unlocked(people.dsl))


def test_another_schools_incident_is_not_found_exactly_as_one_they_may_not_see(
    people, other_dsl, incidents, their_incident
):
    with pytest.raises(Http404) as theirs:
        opened(unlocked(people.dsl), their_incident.pk)
    with pytest.raises(Http404) as too_high:
        opened(unlocked(people.dsl), incidents[60].pk)
    with pytest.raises(Http404) as swapped:
        opened(unlocked(other_dsl), incidents[20].pk)

    assert str(theirs.value) == str(too_high.value) == str(swapped.value)
    assert opened(unlocked(other_dsl), their_incident.pk) == their_incident
    assert opened(unlocked(people.dsl), incidents[20].pk) == incidents[20]


def test_a_pk_that_does_not_exist_is_not_found_like_any_other(people, incidents):
    with pytest.raises(Http404) as missing:
        opened(unlocked(people.dsl), 999_999)
    with pytest.raises(Http404) as too_high:
        opened(unlocked(people.dsl), incidents[60].pk)

    assert str(missing.value) == str(too_high.value)


# Chronology


@pytest.fixture
def oliver(school):
    return StudentFactory(school=school, legal_first_name="Oliver", legal_last_name="Brennan")


def test_chronology_includes_incidents_where_the_student_is_a_linked_student(
    people, hannah, oliver, categories
):
    about_hannah = IncidentFactory(student=hannah, categories=[categories[20]])
    hannah_linked = IncidentFactory(student=oliver, categories=[categories[40]])
    LinkedStudentFactory(incident=hannah_linked, student=hannah)
    only_oliver = IncidentFactory(student=oliver, categories=[categories[20]])

    chronology = set(
        chronology_incidents(unlocked(people.dsl), hannah).values_list("pk", flat=True)
    )

    assert chronology == {about_hannah.pk, hannah_linked.pk}
    assert only_oliver.pk not in chronology


def test_chronology_lists_an_incident_with_several_linked_students_once(
    school, people, hannah, oliver, categories
):
    incident = IncidentFactory(student=hannah, categories=[categories[20]])
    LinkedStudentFactory(incident=incident, student=oliver)
    LinkedStudentFactory(incident=incident, student=StudentFactory(school=school))

    assert list(chronology_incidents(unlocked(people.dsl), hannah)) == [incident]


def test_chronology_keeps_to_the_viewers_rank(people, hannah, incidents):
    chronology = set(
        chronology_incidents(unlocked(people.dsl), hannah).values_list("pk", flat=True)
    )

    assert chronology == {incidents[20].pk, incidents[40].pk}


def test_chronology_is_empty_with_the_key_locked_even_for_incidents_they_may_open(
    people, hannah, categories
):
    mine = IncidentFactory(student=hannah, reporter=people.dsl, categories=[categories[20]])
    AlertFactory(incident=mine, recipient=people.dsl)
    assert seen(locked(people.dsl)) == {mine.pk}

    assert list(chronology_incidents(locked(people.dsl), hannah)) == []


def test_chronology_is_for_key_holders_only(people, hannah, categories):
    alerted = IncidentFactory(student=hannah, categories=[categories[20]])
    AlertFactory(incident=alerted, recipient=people.teacher)

    assert list(chronology_incidents(unlocked(people.teacher), hannah)) == []
