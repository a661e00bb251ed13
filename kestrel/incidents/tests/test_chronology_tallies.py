"""Chronology tallies are kept at write time, by the database, for every writer (issue 19,
part 3): the chronology's total is then a sum of a few rows, not a count of every entry."""

import datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone

from kestrel.incidents import tallies
from kestrel.incidents.models import ChronologyTally, LinkedStudent
from kestrel.incidents.services import add_incident
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    AccessLevelFactory,
    CategoryFactory,
    IncidentFactory,
    LinkedStudentFactory,
    StudentFactory,
)


def kept(student) -> dict[int, int]:
    rows = ChronologyTally.objects.filter(student=student).values_list("required_rank", "entries")
    return {rank: entries for rank, entries in rows if entries}


def test_an_incident_counts_on_its_student_and_each_linked_students_chronology(people, school):
    hannah, matthew, zoe = (StudentFactory(school=school) for _ in range(3))
    category = CategoryFactory(school=school, access_level=people.dsl.access_level)
    add_incident(
        actor=people.teacher,
        student=hannah,
        text="Said something worrying.",
        categories=[category],
        occurred_at=timezone.now() - datetime.timedelta(minutes=5),
        linked_students=[{"student": matthew}, {"student": zoe}],
        alert_recipients=[],
    )
    rank = people.dsl.access_level.rank
    assert kept(hannah) == kept(matthew) == kept(zoe) == {rank: 1}
    assert tallies.differences() == []


def test_every_writer_is_counted_by_rank_and_a_removed_link_is_taken_off(school, levels):
    hannah = StudentFactory(school=school)
    low = CategoryFactory(school=school, access_level=levels.staff)
    high = CategoryFactory(school=school, access_level=levels.dsl)
    for _ in range(3):
        IncidentFactory(student=hannah, categories=[low])  # the factory: a plain INSERT
    IncidentFactory(student=hannah, categories=[high])
    link = LinkedStudentFactory(student=hannah, incident=IncidentFactory(categories=[high]))
    assert kept(hannah) == {levels.staff.rank: 3, levels.dsl.rank: 2}
    LinkedStudent.objects.filter(pk=link.pk).delete()
    assert kept(hannah) == {levels.staff.rank: 3, levels.dsl.rank: 1}
    assert tallies.differences() == []


def test_a_failed_incident_counts_nothing(school, levels):
    hannah = StudentFactory(school=school)
    with pytest.raises(RuntimeError), transaction.atomic():
        IncidentFactory(student=hannah, categories=[CategoryFactory(school=school)])
        raise RuntimeError("the request failed after the insert")
    assert kept(hannah) == {}


def test_rebuild_recounts_from_the_incidents(school, levels):
    hannah = StudentFactory(school=school)
    IncidentFactory(student=hannah, categories=[CategoryFactory(school=school)])
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {tallies.TALLY} SET entries = 40")
    assert tallies.differences() != []
    tallies.rebuild()
    assert tallies.differences() == []


def test_the_total_counts_what_the_viewer_may_open_above_their_rank_too(
    people, school, levels, signed_in
):
    """A deputy whose key opens the staff rank sees the DSL-rank incident they were alerted to:
    the tallies say 1 at their rank and 2 above it, and the 1 of those they may open is counted."""
    deputy_level = AccessLevelFactory(school=school, name="Deputy", rank=30)
    people.teacher.is_key_holder, people.teacher.access_level = True, deputy_level
    people.teacher.save()
    hannah = StudentFactory(school=school)
    IncidentFactory(student=hannah, categories=[CategoryFactory(access_level=levels.staff)])
    high = CategoryFactory(school=school, access_level=levels.dsl)
    alerted = IncidentFactory(student=hannah, categories=[high])
    IncidentFactory(student=hannah, categories=[high])  # not theirs to see
    from kestrel.testing.factories import AlertFactory

    AlertFactory(incident=alerted, recipient=people.teacher, sender=people.dsl)
    client = unlock_key(signed_in(people.teacher))
    page = client.get(f"/students/{hannah.pk}/")
    assert "2 incidents, newest first." in page.content.decode()
    assert len(page.context["entries"]) == 2
