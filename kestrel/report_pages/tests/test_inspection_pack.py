"""The inspection pack: for a date range, the concerns recorded, referrals to children's social
care and the LADO with a brief resolution, and the pupils with an open case or plan, each
linked to their case file; audited; wrong dates say so and keep what was typed."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.casefile import services as casefile
from kestrel.reports.inspection import brief
from kestrel.students.names import HIDE_NAMES_SESSION_KEY
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import CategoryFactory, IncidentFactory, StudentFactory

URL = reverse("report_pages:inspection")


@pytest.fixture
def dsl_client(client, people, signed_in):
    signed_in(people.dsl)
    return unlock_key(client)


def ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def refer(people, student, target, *, days=3, outcome=""):
    referral = casefile.make_referral(
        actor=people.dsl,
        student=student,
        target=target,
        to_label=target,
        made_on=ago(days),
        made_by=people.dsl,
        reason="Worried about home.",
        feedback_due_on=ago(days - 2),
        reference=f"REF-{target}",
    )
    if outcome:
        casefile.record_referral_outcome(
            actor=people.dsl, referral=referral, outcome=outcome, outcome_on=ago(days - 1)
        )
    return referral


def dates(starts: datetime.date, ends: datetime.date) -> dict:
    return {
        "starts_0": starts.day,
        "starts_1": starts.month,
        "starts_2": starts.year,
        "ends_0": ends.day,
        "ends_1": ends.month,
        "ends_2": ends.year,
    }


@pytest.fixture
def file(people, levels):
    school = people.dsl.school
    home = CategoryFactory(school=school, name="Home Issues", access_level=levels.staff)
    ruby = StudentFactory(school=school, legal_first_name="Ruby", legal_last_name="Ashworth")
    theo = StudentFactory(school=school, legal_first_name="Theo", legal_last_name="Baines")
    for _ in range(3):
        IncidentFactory(student=ruby, categories=[home])
    refer(people, ruby, "social_care", outcome="Assessment done; Child in Need plan agreed. " * 9)
    refer(people, theo, "lado")
    casefile.start_status(
        actor=people.dsl, student=ruby, kind="child_in_need", started_on=ago(2), note=""
    )
    ended = casefile.start_status(
        actor=people.dsl, student=theo, kind="early_help", started_on=ago(30), note=""
    )
    casefile.end_status(actor=people.dsl, status=ended, ended_on=ago(10))
    return ruby, theo


def test_the_pack_lists_referrals_and_pupils_with_plans_linked_to_their_files(dsl_client, file):
    ruby, _ = file
    response = dsl_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 concerns recorded" in page and "0 of them referred" in page
    social_care = page.split('data-table="social-care"')[1].split("</table>")[0]
    assert "Ruby Ashworth" in social_care and "Assessment done" in social_care
    assert reverse("case_pages:student", args=[ruby.pk]) in social_care
    lado = page.split('data-table="lado"')[1].split("</table>")[0]
    assert "Theo Baines" in lado and "Awaiting feedback" in lado
    pupils = page.split('data-table="pupils"')[1].split("</table>")[0]
    assert "Ruby Ashworth" in pupils and "Child in Need" in pupils
    assert "Theo Baines" not in pupils  # their early help ended
    event = AuditEvent.objects.get(action="reports.inspection_viewed")
    assert event.detail["pupils"] == 1 and "Ruby" not in str(event.detail)


def test_a_pupil_whose_plan_ended_after_the_range_is_listed_for_it(dsl_client, file):
    page = dsl_client.get(URL, dates(ago(40), ago(20))).content.decode()
    pupils = page.split('data-table="pupils"')[1].split("</table>")[0]
    assert "Theo Baines" in pupils
    assert "No referrals to the LADO in these dates." in page


def test_wrong_dates_say_so_and_keep_what_was_typed(dsl_client, file):
    query = dates(ago(1), ago(5))
    response = dsl_client.get(URL, query)
    page = response.content.decode()
    assert "The date to must be the same as or after the date from." in page
    assert f'value="{query["ends_2"]}"' in page
    assert "data-table" not in page
    assert not AuditEvent.objects.filter(action="reports.inspection_viewed").exists()


def test_the_pdf_of_the_range_is_audited(dsl_client, file):
    response = dsl_client.get(reverse("report_pages:inspection_pdf"), dates(ago(10), ago(0)))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    event = AuditEvent.objects.get(action="reports.inspection_exported")
    assert (event.detail["from"], event.detail["format"]) == (ago(10).isoformat(), "pdf")


def test_a_resolution_is_brief_and_cut_at_a_word():
    assert brief("Short.") == "Short."
    long = "word " * 100
    assert len(brief(long)) <= 241 and brief(long).endswith("word…")


def test_the_pack_takes_as_many_queries_for_1_referral_as_for_12(dsl_client, people):
    school = people.dsl.school

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert dsl_client.get(URL).status_code == 200
        return len(captured)

    refer(people, StudentFactory(school=school), "social_care")
    queries()
    one = queries()
    for _ in range(6):
        child = StudentFactory(school=school)
        refer(people, child, "social_care", outcome="Closed.")
        refer(people, child, "lado")
        casefile.start_status(
            actor=people.dsl,
            student=child,
            kind="child_protection_plan",
            started_on=ago(1),
            note="",
            plan_category="neglect",
        )
        IncidentFactory(student=child)
    assert queries() == one


def test_with_hide_names_on_the_pack_names_no_child(dsl_client, file):
    session = dsl_client.session
    session[HIDE_NAMES_SESSION_KEY] = True
    session.save()
    page = dsl_client.get(URL).content.decode()
    assert "Ruby" not in page and "Ashworth" not in page and "Baines" not in page
    assert "*****" in page


def test_the_pattern_report_names_no_child_with_hide_names_on(dsl_client, file):
    session = dsl_client.session
    session[HIDE_NAMES_SESSION_KEY] = True
    session.save()
    page = dsl_client.get(reverse("report_pages:patterns")).content.decode()
    students = page.split('data-table="students"')[1].split("</table>")[0]
    assert "*****" in students
    assert "Ruby" not in page and "Ashworth" not in page
