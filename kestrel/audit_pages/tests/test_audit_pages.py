"""The DSL's audit pages: find a student or a colleague, then see who has viewed the student's
records or what the colleague has done, filtered by day (in the school's time), 50 to a page.
Reading the audit trail is itself audited."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kestrel.audit.models import AuditEvent
from kestrel.audit.services import record
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import StudentFactory, UserFactory

# Summer, so that the school's days (British Summer Time) start an hour before UTC's.
NOW = datetime.datetime(2025, 6, 20, 11, 0, tzinfo=datetime.UTC)


def utc(day: int, hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime(2025, 6, day, hour, minute, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dsl(signed_in, people, clock):
    return unlock_key(signed_in(people.dsl))


@pytest.fixture
def hannah(school):
    return StudentFactory(
        school=school, legal_first_name="Hannah", legal_last_name="Greenwood", tutor_group="1B"
    )


@pytest.fixture
def oliver(school):
    return StudentFactory(
        school=school, legal_first_name="Oliver", legal_last_name="Brennan", tutor_group="4C"
    )


@pytest.fixture
def priya(school, levels):
    return UserFactory(
        school=school, first_name="Priya", last_name="Shah", access_level=levels.staff
    )


def viewed(student, by, at: datetime.datetime | None = None) -> AuditEvent:
    """`by` opened `student`'s details (at `at`, or now)."""
    if at is None:
        return record(action="students.viewed", actor=by, student=student, school=student.school)
    with time_machine.travel(at, tick=False):
        return record(action="students.viewed", actor=by, student=student, school=student.school)


def shown(response) -> set[int]:
    assert response.status_code == 200
    return {row["event"].pk for row in response.context["rows"]}


def dates(start: datetime.date | None, end: datetime.date | None) -> dict[str, str]:
    query = {}
    for name, day in (("start", start), ("end", end)):
        if day is not None:
            query |= {f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year}
    return query


def student_page(pk: int) -> str:
    return f"/audit/students/{pk}/"


def staff_page(pk: int) -> str:
    return f"/audit/staff/{pk}/"


# Who viewed a student


def test_student_page_lists_who_viewed_that_student_and_not_other_students(
    dsl, people, priya, hannah, oliver
):
    mine = viewed(hannah, by=people.teacher)
    not_mine = viewed(oliver, by=priya)

    response = dsl.get(student_page(hannah.pk))

    assert shown(response) == {mine.pk}
    assert not_mine.pk not in shown(response)
    assert "James Carter" in response.text
    assert f'href="/audit/staff/{people.teacher.pk}/"' in response.text
    assert "Opened a student’s details" in response.text
    assert "Priya Shah" not in response.text
    assert '<h1 class="govuk-heading-l">Hannah Greenwood (1B)</h1>' in response.text


def test_student_page_says_so_when_nothing_is_recorded(dsl, hannah):
    response = dsl.get(student_page(hannah.pk))

    assert shown(response) == set()
    assert "Nothing recorded." in response.text


def test_opening_a_students_audit_trail_is_itself_audited(dsl, people, hannah):
    dsl.get(student_page(hannah.pk))

    event = AuditEvent.objects.get(action="audit.student_viewed")
    assert (event.actor, event.student, event.school) == (people.dsl, hannah, hannah.school)
    assert event.object_id == str(hannah.pk)


def test_the_next_look_at_a_student_shows_the_last_look_at_their_audit_trail(dsl, hannah):
    dsl.get(student_page(hannah.pk))

    response = dsl.get(student_page(hannah.pk))

    assert "Read a student’s audit trail" in response.text
    assert "Chloe Kelan" in response.text


# What a colleague did


def test_staff_page_lists_what_that_colleague_did_and_not_what_others_did(
    dsl, people, priya, hannah, oliver
):
    theirs = viewed(hannah, by=people.teacher)
    others = viewed(oliver, by=priya)

    response = dsl.get(staff_page(people.teacher.pk))

    assert shown(response) == {theirs.pk}
    assert others.pk not in shown(response)
    assert '<h1 class="govuk-heading-l">James Carter</h1>' in response.text
    assert "Hannah Greenwood (1B)" in response.text
    assert f'href="/audit/students/{hannah.pk}/"' in response.text
    assert "Oliver Brennan" not in response.text


def test_opening_a_colleagues_audit_trail_is_itself_audited(dsl, people):
    dsl.get(staff_page(people.teacher.pk))

    event = AuditEvent.objects.get(action="audit.staff_viewed")
    assert (event.actor, event.student) == (people.dsl, None)
    assert (event.object_type, event.object_id) == ("accounts.user", str(people.teacher.pk))


# Dates


@pytest.fixture
def around_10_to_12_june(people, hannah):
    """Events on the edges of 10 to 12 June, by the school's clock (BST): midnight starts a day."""
    return {
        "9 June 23:59": viewed(hannah, people.teacher, at=utc(9, 22, 59)),
        "10 June 00:00": viewed(hannah, people.teacher, at=utc(9, 23, 0)),
        "12 June 23:59": viewed(hannah, people.teacher, at=utc(12, 22, 59)),
        "13 June 00:00": viewed(hannah, people.teacher, at=utc(12, 23, 0)),
    }


def test_the_date_filter_includes_whole_school_days_from_and_to(dsl, hannah, around_10_to_12_june):
    events = around_10_to_12_june
    june = dates(datetime.date(2025, 6, 10), datetime.date(2025, 6, 12))

    response = dsl.get(student_page(hannah.pk), june)

    assert shown(response) == {events["10 June 00:00"].pk, events["12 June 23:59"].pk}


def test_the_date_filter_works_the_same_on_a_colleagues_page(
    dsl, people, hannah, around_10_to_12_june
):
    events = around_10_to_12_june
    june = dates(datetime.date(2025, 6, 10), datetime.date(2025, 6, 12))

    response = dsl.get(staff_page(people.teacher.pk), june)

    assert shown(response) == {events["10 June 00:00"].pk, events["12 June 23:59"].pk}


def test_from_alone_and_to_alone_each_bound_one_end(dsl, hannah, around_10_to_12_june):
    events = around_10_to_12_june

    from_13th = dsl.get(student_page(hannah.pk), dates(datetime.date(2025, 6, 13), None))
    to_9th = dsl.get(student_page(hannah.pk), dates(None, datetime.date(2025, 6, 9)))

    assert shown(from_13th) >= {events["13 June 00:00"].pk}
    assert shown(from_13th).isdisjoint({events["12 June 23:59"].pk, events["10 June 00:00"].pk})
    assert shown(to_9th) == {events["9 June 23:59"].pk}


def test_one_day_from_and_to_shows_that_day_only(dsl, hannah, around_10_to_12_june):
    events = around_10_to_12_june
    the_13th = datetime.date(2025, 6, 13)

    response = dsl.get(student_page(hannah.pk), dates(the_13th, the_13th))

    assert shown(response) == {events["13 June 00:00"].pk}


def test_to_before_from_is_a_clear_error(dsl, hannah):
    response = dsl.get(
        student_page(hannah.pk), dates(datetime.date(2025, 6, 12), datetime.date(2025, 6, 10))
    )

    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert '<a href="#id_end_0">To must be the same as or after From.</a>' in response.text
    assert "<title>Error: " in response.text


def test_a_date_in_the_future_is_an_error(dsl, hannah):
    response = dsl.get(student_page(hannah.pk), dates(datetime.date(2025, 6, 21), None))

    assert "From must be today or in the past." in response.text


def test_nothing_between_the_dates_says_so(dsl, hannah, around_10_to_12_june):
    the_1st = datetime.date(2025, 6, 1)

    response = dsl.get(student_page(hannah.pk), dates(the_1st, the_1st))

    assert shown(response) == set()
    assert "Nothing recorded between these dates." in response.text


# Pages of 50


def test_the_audit_trail_comes_50_events_to_a_page_newest_first(dsl, people, hannah, clock):
    events = []
    for _ in range(51):
        clock.shift(datetime.timedelta(seconds=1))
        events.append(viewed(hannah, by=people.teacher))
    clock.shift(datetime.timedelta(seconds=1))

    first = dsl.get(student_page(hannah.pk))
    second = dsl.get(student_page(hannah.pk), {"page": 2})

    assert shown(first) == {event.pk for event in events[1:]}
    assert 'aria-label="Page 1" aria-current="page">1<' in first.text
    assert 'href="?page=2" rel="next"' in first.text
    # Opening the first page was audited too, so the second now holds the two oldest events.
    assert events[0].pk in shown(second)
    assert len(shown(second)) == 2


def test_page_links_keep_the_date_filter(dsl, people, hannah, clock):
    for _ in range(51):
        viewed(hannah, by=people.teacher)
    today = datetime.date(2025, 6, 20)

    response = dsl.get(student_page(hannah.pk), dates(today, today))

    assert 'href="?start_0=20&amp;start_1=6&amp;start_2=2025&amp;end_0=20&amp;' in response.text
    assert "page=2" in response.text


# Schools


def test_another_schools_student_is_not_found(dsl, other_school):
    theirs = StudentFactory(school=other_school)

    assert dsl.get(student_page(theirs.pk)).status_code == 404
    assert not AuditEvent.objects.filter(action="audit.student_viewed").exists()


def test_another_schools_colleague_is_not_found(dsl, people):
    assert dsl.get(staff_page(people.other_admin.pk)).status_code == 404
    assert not AuditEvent.objects.filter(action="audit.staff_viewed").exists()


def test_another_schools_events_about_a_shared_colleague_never_show(
    dsl, people, hannah, other_school
):
    theirs = record(
        action="students.viewed",
        actor=people.other_admin,
        student=StudentFactory(school=other_school),
        school=other_school,
    )

    assert theirs.pk not in shown(dsl.get(student_page(hannah.pk)))


# Finding people


def test_finding_by_name_lists_matching_students_and_colleagues_of_this_school_only(
    dsl, school, other_school, hannah, oliver, people
):
    ruth = UserFactory(school=school, first_name="Ruth", last_name="Greene")
    StudentFactory(school=other_school, legal_first_name="Gregory", legal_last_name="Greenfield")
    UserFactory(school=other_school, first_name="Gwen", last_name="Greenhalgh")

    response = dsl.get("/audit/", {"q": "green"})

    assert response.status_code == 200
    students = {int(pk) for pk in re.findall(r'href="/audit/students/(\d+)/"', response.text)}
    staff = {int(pk) for pk in re.findall(r'href="/audit/staff/(\d+)/"', response.text)}
    assert students == {hannah.pk}
    assert staff == {ruth.pk}
    assert "Hannah Greenwood (1B)" in response.text
    assert "Greenfield" not in response.text
    assert "Greenhalgh" not in response.text


def test_the_audit_pages_lead_to_the_students_chronology(dsl, hannah):
    found = dsl.get("/audit/", {"q": "hannah"}).text
    trail = dsl.get(student_page(hannah.pk)).text

    assert f'href="/students/{hannah.pk}/">chronology' in found
    assert f'href="/students/{hannah.pk}/">View chronology</a>' in trail


def test_finding_students_is_itself_recorded_and_finding_nobody_is_not(dsl, people, hannah):
    dsl.get("/audit/", {"q": "hannah"})
    dsl.get("/audit/", {"q": "nobody-by-this-name"})

    [event] = AuditEvent.objects.filter(action="students.searched")
    assert event.actor == people.dsl
    assert event.detail == {"results": 1, "characters": len("hannah")}


def test_finding_with_two_words_needs_both(dsl, hannah, oliver):
    response = dsl.get("/audit/", {"q": "hannah brennan"})

    assert "No student matches." in response.text
    assert "No colleague matches." in response.text


def test_finding_a_student_or_a_colleague_ignores_accents_and_case(dsl, school, hannah):
    zoe = StudentFactory(school=school, legal_first_name="Zoë", legal_last_name="Wójcik")
    pawel = StudentFactory(school=school, legal_first_name="Paweł", legal_last_name="Nowak")
    siobhan = UserFactory(school=school, first_name="Siobhán", last_name="Nowak")

    for query, student, colleague in [
        ("ZOE wojcik", zoe, None),
        ("pawel", pawel, None),
        ("Paweł Nowak", pawel, None),
        ("siobhan nowak", None, siobhan),
    ]:
        response = dsl.get("/audit/", {"q": query})
        students = {int(pk) for pk in re.findall(r'href="/audit/students/(\d+)/"', response.text)}
        staff = {int(pk) for pk in re.findall(r'href="/audit/staff/(\d+)/"', response.text)}
        assert students == ({student.pk} if student else set()), query
        assert staff == ({colleague.pk} if colleague else set()), query


def test_the_find_page_lists_nobody_before_a_search(dsl, hannah):
    response = dsl.get("/audit/")

    assert response.status_code == 200
    assert "/audit/students/" not in response.text


# Who may read the audit trail


def test_someone_who_is_not_a_key_holder_is_refused_the_audit_pages(signed_in, people, hannah):
    client = signed_in(people.teacher)

    assert client.get("/audit/").status_code == 403
    assert client.get(student_page(hannah.pk)).status_code == 403
    assert client.get(staff_page(people.dsl.pk)).status_code == 403


def test_the_administrator_is_refused_the_audit_pages(signed_in, people, hannah):
    client = signed_in(people.admin)

    assert client.get(student_page(hannah.pk)).status_code == 403


# Queries


def queries_for(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in context.captured_queries]


def assert_same_queries(few: list[str], many: list[str]) -> None:
    listing = "\n".join(f"{i}. {sql}" for i, sql in enumerate(many, 1))
    assert len(many) == len(few), f"{len(few)} queries grew to {len(many)}:\n{listing}"


def test_a_students_audit_trail_runs_the_same_queries_for_3_and_60_events(
    dsl, school, hannah, oliver
):
    colleagues = [UserFactory(school=school) for _ in range(6)]
    for n in range(3):
        viewed(hannah, by=colleagues[n])
    for n in range(60):
        viewed(oliver, by=colleagues[n % len(colleagues)])
    dsl.get("/audit/")  # the first request of a session loads what later ones find cached

    few = queries_for(dsl, student_page(hannah.pk))
    many = queries_for(dsl, student_page(oliver.pk))

    assert_same_queries(few, many)


def test_a_colleagues_audit_trail_runs_the_same_queries_for_3_and_60_events(
    dsl, school, people, priya
):
    students = [StudentFactory(school=school) for _ in range(6)]
    for n in range(3):
        viewed(students[n], by=people.teacher)
    for n in range(60):
        viewed(students[n % len(students)], by=priya)
    dsl.get("/audit/")

    few = queries_for(dsl, staff_page(people.teacher.pk))
    many = queries_for(dsl, staff_page(priya.pk))

    assert_same_queries(few, many)
