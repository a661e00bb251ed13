"""`has_<relation>`: whether an incident has linked students, actions and so on, in one query."""

from kestrel.incidents.models import Action, Incident
from kestrel.incidents.selectors import with_presence
from kestrel.testing.factories import (
    ActionFactory,
    IncidentFactory,
    LinkedStudentFactory,
    StudentFactory,
)


def test_each_incident_says_which_related_rows_it_has(people, school):
    bare = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    busy = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    ActionFactory(incident=busy, author=people.dsl)
    LinkedStudentFactory(incident=busy, student=StudentFactory(school=school))
    rows = with_presence(Incident.objects.filter(pk__in=[bare.pk, busy.pk]), ("links", "actions"))
    flags = {row.pk: (row.has_links, row.has_actions) for row in rows}
    assert flags == {bare.pk: (False, False), busy.pk: (True, True)}


def test_the_probes_follow_the_incident_into_a_subquery(people, school):
    """Inside another query the incidents table is renamed (U0 ...): each probe must follow it."""
    bare = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    busy = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    ActionFactory(incident=busy, author=people.dsl)
    ActionFactory(incident=busy, author=people.dsl)
    without_actions = (
        with_presence(Incident.objects.all(), ("actions",)).filter(has_actions=False).values("pk")
    )
    # Asked from the actions table, whose query names no incidents table of its own.
    assert not Action.objects.filter(incident__in=without_actions).exists()
    with_actions = (
        with_presence(Incident.objects.all(), ("actions",)).filter(has_actions=True).values("pk")
    )
    assert Action.objects.filter(incident__in=with_actions).count() == 2
    assert list(Incident.objects.filter(pk__in=without_actions)) == [bare]
