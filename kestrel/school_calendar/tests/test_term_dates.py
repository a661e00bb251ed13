"""A school's term dates: imported from a local authority's CSV or entered in School set-up,
they decide which days are school days (a referral's feedback, alert escalation)."""

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kestrel.audit.models import AuditEvent
from kestrel.school_calendar.days import calendar_for
from kestrel.school_calendar.models import Closure, Term
from kestrel.school_calendar.services import (
    CalendarFileRefused,
    import_term_dates,
    read_term_dates,
)

KENT = (Path(__file__).resolve().parent / "data" / "kent_term_dates_2024-2026.csv").read_bytes()


def test_a_local_authoritys_file_gives_the_terms_and_half_terms(school, people):
    counts = import_term_dates(actor=people.admin, school=school, data=KENT, file_name="kent.csv")
    assert counts == {"terms": 6, "closures": 6}
    autumn = Term.objects.get(name="Autumn 2025-26")
    assert (autumn.starts_on, autumn.ends_on) == (
        datetime.date(2025, 9, 3),
        datetime.date(2025, 12, 19),
    )
    assert Closure.objects.filter(kind=Closure.HALF_TERM).count() == 6
    calendar = calendar_for(school)
    assert not calendar.is_school_day(datetime.date(2025, 10, 29))  # October half term
    assert not calendar.is_school_day(datetime.date(2025, 12, 22))  # Christmas holidays
    assert calendar.is_school_day(datetime.date(2026, 1, 5))  # first day of the spring term
    # The Friday before half term: 3 school days later is after it.
    assert calendar.school_days_after(datetime.date(2025, 10, 24), 3) == datetime.date(2025, 11, 5)
    event = AuditEvent.objects.get(action="calendar.imported")
    assert event.detail == {"terms": 6, "closures": 6, "file": "kent.csv"}


def test_importing_the_same_file_again_adds_nothing(school, people):
    import_term_dates(actor=people.admin, school=school, data=KENT, file_name="kent.csv")
    again = import_term_dates(actor=people.admin, school=school, data=KENT, file_name="kent.csv")
    assert again == {"terms": 0, "closures": 0}
    assert Term.objects.count() == 6


def test_a_file_with_a_wrong_row_is_refused_whole_with_each_problem(school):
    bad = (
        b"academic_year,term,event,start_date,end_date\n"
        b"2026-27,Autumn,term_start,2026-09-02,2026-09-02\n"
        b"2026-27,Autumn,term_end,2026-13-18,2026-12-18\n"
        b"2026-27,Autumn,holiday,2026-10-26,2026-10-30\n"
        b"2026-27,Spring,inset,2027-01-05,2027-01-04\n"
    )
    with pytest.raises(CalendarFileRefused) as refused:
        read_term_dates(bad, school)
    assert refused.value.problems == [
        "Row 3: “2026-13-18” is not a date (write 2026-09-02 or 02/09/2026).",
        "Row 4: “holiday” is not an event Kestrel knows (term_start, term_end, half_term, "
        "inset, closure).",
        "Row 5: it ends before it starts.",
        "Row 2: Autumn 2026-27 needs both its term_start and term_end.",
    ]
    with pytest.raises(CalendarFileRefused) as not_ours:
        read_term_dates(b"name,date\nx,y\n", school)
    assert "missing: academic_year, term, event, start_date, end_date" in not_ours.value.problems[0]


def test_the_administrator_imports_term_dates_in_school_set_up(school, people, signed_in):
    admin = signed_in(people.admin)
    page = admin.get("/school/terms/import/")
    assert page.status_code == 200 and "Import term dates" in page.text
    refused = admin.post(
        "/school/terms/import/",
        {"file": SimpleUploadedFile("terms.csv", b"academic_year,term\n", "text/csv")},
    )
    assert "The file was not imported" in refused.text
    assert not Term.objects.exists()
    done = admin.post(
        "/school/terms/import/", {"file": SimpleUploadedFile("kent.csv", KENT, "text/csv")}
    )
    assert done.status_code == 302 and done["Location"] == "/school/terms/"
    listed = admin.get("/school/terms/").text
    assert "Autumn 2025-26" in listed and "3 September 2025" in listed


def test_a_term_added_in_school_set_up_counts_at_once(school, people, signed_in):
    admin = signed_in(people.admin)
    assert calendar_for(school).is_school_day(datetime.date(2026, 12, 21))  # nothing recorded
    admin.post(
        "/school/terms/add/",
        {
            "name": "Autumn 2026",
            "starts_on_0": "2",
            "starts_on_1": "9",
            "starts_on_2": "2026",
            "ends_on_0": "18",
            "ends_on_1": "12",
            "ends_on_2": "2026",
        },
    )
    admin.post(
        "/school/terms/add/",
        {
            "name": "Spring 2027",
            "starts_on_0": "5",
            "starts_on_1": "1",
            "starts_on_2": "2027",
            "ends_on_0": "26",
            "ends_on_1": "3",
            "ends_on_2": "2027",
        },
    )
    assert Term.objects.count() == 2
    assert not calendar_for(school).is_school_day(datetime.date(2026, 12, 21))  # the holidays
