"""The case file's pages with the test client: the student's page, recording through the forms
(refusals keep what was typed), the chronology in date order, the caseload and "Awaiting
feedback", their audit events and their query counts at 1 and at N."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.casefile import services
from kestrel.casefile.models import Referral, Status
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import CategoryFactory, IncidentFactory, StudentFactory
from kestrel.testing.queries import data_queries


@pytest.fixture
def hannah(school):
    return StudentFactory(
        school=school, legal_first_name="Hannah", legal_last_name="Greenwood", tutor_group="1B"
    )


@pytest.fixture
def dsl(signed_in, people):
    return unlock_key(signed_in(people.dsl))


def date_fields(name: str, day: datetime.date) -> dict:
    return {f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year}


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def test_the_student_page_shows_the_front_sheet_and_is_audited(dsl, hannah, people):
    services.start_status(
        actor=people.dsl,
        student=hannah,
        kind="child_protection_plan",
        plan_category="neglect",
        started_on=days_ago(10),
    )
    services.set_risk(
        actor=people.dsl, student=hannah, level="High", reason="Repeat neglect.", set_on=days_ago(9)
    )
    response = dsl.get(f"/students/{hannah.pk}/file/")
    assert response.status_code == 200
    text = response.text
    assert "Hannah Greenwood (1B)" in text
    assert "Child Protection Plan" in text and "Category: Neglect" in text
    assert "Repeat neglect." in text
    assert AuditEvent.objects.filter(action="case_file.viewed", student=hannah).count() == 1


def test_starting_a_status_through_the_form_and_a_refusal_keeps_what_was_typed(dsl, hannah):
    url = f"/students/{hannah.pk}/file/statuses/start/"
    response = dsl.post(
        url,
        {
            "kind": "child_protection_plan",
            "note": "Initial child protection conference held today.",
            **date_fields("started_on", days_ago(1)),
        },
    )
    assert response.status_code == 200
    assert "Choose the category of the plan." in response.text
    assert "Initial child protection conference held today." in response.text
    assert not Status.objects.exists()
    response = dsl.post(
        url,
        {
            "kind": "child_protection_plan",
            "plan_category": "neglect",
            **date_fields("started_on", days_ago(1)),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/students/{hannah.pk}/file/"
    assert Status.objects.get().plan_category == "neglect"


def test_a_referral_form_offers_feedback_due_in_three_school_days(dsl, hannah):
    response = dsl.get(f"/students/{hannah.pk}/file/referrals/add/")
    form = response.context["form"]
    from kestrel.school_calendar.days import calendar_for

    due = calendar_for(hannah.school_id).school_days_after(timezone.localdate(), 3)
    assert form.initial["feedback_due_on"] == due


def test_no_further_action_without_a_reason_is_refused_on_the_page(dsl, hannah):
    response = dsl.post(
        f"/students/{hannah.pk}/file/decisions/add/",
        {"kind": "nfa", "what": "Nothing more", **date_fields("decided_on", days_ago(0))},
    )
    assert response.status_code == 200
    assert "is a decision and needs its reason" in response.text
    assert "Nothing more" in response.text


def test_the_chronology_shows_case_entries_among_incidents_in_date_order(
    dsl, hannah, people, school
):
    IncidentFactory(
        student=hannah,
        reporter=people.teacher,
        occurred_at=timezone.now() - datetime.timedelta(days=8),
    )
    IncidentFactory(
        student=hannah,
        reporter=people.teacher,
        occurred_at=timezone.now() - datetime.timedelta(days=2),
    )
    services.record_decision(
        actor=people.dsl, student=hannah, kind="monitor", reason="Watch.", decided_on=days_ago(5)
    )
    response = dsl.get(f"/students/{hannah.pk}/")
    kinds = ["case" if "case_event" in e else "incident" for e in response.context["entries"]]
    assert kinds == ["incident", "case", "incident"]
    assert "Decision: Monitor in school" in response.text


def test_case_entries_tile_the_chronologys_pages(dsl, hannah, people, school):
    """Each case entry is on exactly one page, however the pages fall."""
    now = timezone.now()
    for day in range(1, 60, 2):
        IncidentFactory(
            student=hannah, reporter=people.teacher, occurred_at=now - datetime.timedelta(days=day)
        )
    for day in range(0, 62, 3):
        services.record_decision(
            actor=people.dsl,
            student=hannah,
            kind="monitor",
            reason=f"R{day}",
            decided_on=days_ago(day),
        )
    seen, url, second = [], f"/students/{hannah.pk}/", None
    while url:
        response = dsl.get(url)
        seen += [e["detail"] for e in response.context["entries"] if "case_event" in e]
        older = response.context["page"].older
        second = second or older
        url = f"/students/{hannah.pk}/?older={older}" if older else None
    assert sorted(seen) == sorted(f"Why: R{day}" for day in range(0, 62, 3))
    # And back from the second page, page by page towards the newest: the same entries, once.
    back, url = [], f"/students/{hannah.pk}/?older={second}"
    while url:
        response = dsl.get(url)
        back += [e["detail"] for e in response.context["entries"] if "case_event" in e]
        newer = response.context["page"].newer
        url = f"/students/{hannah.pk}/?newer={newer}" if newer else None
    assert sorted(back) == sorted(seen)


def test_awaiting_feedback_lists_an_overdue_referral_until_its_outcome(dsl, hannah, people):
    referral = services.make_referral(
        actor=people.dsl,
        student=hannah,
        target="social_care",
        to_label="Children’s social care",
        made_on=days_ago(6),
        made_by=people.dsl,
        reason="Disclosure.",
        feedback_due_on=days_ago(1),
    )
    response = dsl.get("/caseload/awaiting-feedback/")
    assert "Hannah Greenwood (1B)" in response.text
    assert AuditEvent.objects.filter(action="caseload.awaiting_feedback_viewed").exists()
    response = dsl.post(
        f"/students/{hannah.pk}/file/referrals/{referral.pk}/outcome/",
        {"outcome": "Section 47 enquiry opened.", **date_fields("outcome_on", days_ago(0))},
    )
    assert response.status_code == 302
    assert Referral.objects.get().outcome == "Section 47 enquiry opened."
    assert "Hannah Greenwood" not in dsl.get("/caseload/awaiting-feedback/").text


def test_the_caseload_filters_by_status_and_sorts_by_risk(dsl, school, people):
    students = [StudentFactory(school=school, legal_last_name=f"Child{n}") for n in range(3)]
    for student, level in zip(students, ("Low", "High", "Medium"), strict=True):
        services.set_risk(
            actor=people.dsl, student=student, level=level, reason="r", set_on=days_ago(1)
        )
    services.start_status(
        actor=people.dsl, student=students[2], kind="child_in_need", started_on=days_ago(1)
    )
    response = dsl.get("/caseload/", {"sort": "risk"})
    order = [row["case"].student_id for row in response.context["rows"]]
    assert order == [students[1].pk, students[2].pk, students[0].pk]
    response = dsl.get("/caseload/", {"status": "child_in_need"})
    assert [row["case"].student_id for row in response.context["rows"]] == [students[2].pk]


def statements(client, url: str) -> int:
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(data_queries(context))


def fill(student, people, n: int) -> None:
    for _ in range(n):
        services.make_referral(
            actor=people.dsl,
            student=student,
            target="police",
            to_label="Police",
            made_on=days_ago(3),
            made_by=people.dsl,
            reason="r",
            feedback_due_on=days_ago(1),
        )
        services.set_risk(
            actor=people.dsl, student=student, level="Low", reason="r", set_on=days_ago(2)
        )
        services.record_decision(
            actor=people.dsl, student=student, kind="monitor", reason="r", decided_on=days_ago(1)
        )
    services.start_status(
        actor=people.dsl, student=student, kind="child_in_need", started_on=days_ago(3)
    )


def test_case_file_pages_cost_the_same_queries_at_one_and_at_many(dsl, school, people, levels):
    one, many = StudentFactory(school=school), StudentFactory(school=school)
    fill(one, people, 1)
    category = CategoryFactory(school=school, name="Home", access_level=levels.staff)
    IncidentFactory(student=one, reporter=people.teacher, categories=[category])
    pages = ["/students/{pk}/file/", "/caseload/", "/caseload/awaiting-feedback/"]
    at_one = [statements(dsl, page.format(pk=one.pk)) for page in pages]
    fill(many, people, 12)
    for _ in range(12):
        IncidentFactory(student=many, reporter=people.teacher, categories=[category])
        fill(StudentFactory(school=school), people, 1)
    at_many = [statements(dsl, page.format(pk=many.pk)) for page in pages]
    assert at_one == at_many, (at_one, at_many)
    assert max(at_many) <= 14, at_many


def test_correcting_a_referral_through_its_page_keeps_what_was_typed_when_refused(
    dsl, hannah, people
):
    referral = services.make_referral(
        actor=people.dsl,
        student=hannah,
        target="police",
        to_label="Police",
        made_on=days_ago(2),
        made_by=people.dsl,
        reason="Disclosure.",
        feedback_due_on=days_ago(-1),
    )
    url = f"/students/{hannah.pk}/file/referral/{referral.pk}/correct/"
    page = dsl.get(url)
    assert page.context["form"].initial["reason"] == "Disclosure."
    typed = {
        "made_on_0": days_ago(2).day,
        "made_on_1": days_ago(2).month,
        "made_on_2": days_ago(2).year,
        "reference": "PC-881",
        "reason": "Disclosure to the class teacher.",
        **date_fields("feedback_due_on", days_ago(-1)),
    }
    response = dsl.post(url, {**typed})
    assert "Enter reason for the correction." in response.text
    assert "PC-881" in response.text
    response = dsl.post(url, {**typed, "correction_reason": "Police gave their reference"})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.reference, referral.reason) == ("PC-881", "Disclosure to the class teacher.")
    page = dsl.get(f"/students/{hannah.pk}/file/")
    assert "Corrected" in page.text
    chronology = dsl.get(f"/students/{hannah.pk}/").text
    assert "Correction to a referral of" in chronology
    assert f"/students/{hannah.pk}/file/referral/{referral.pk}/correct/" in chronology


def test_the_dsl_teams_dashboard_counts_overdue_feedback_and_reviews_and_a_teachers_does_not(
    dsl, hannah, people, client
):
    services.make_referral(
        actor=people.dsl,
        student=hannah,
        target="police",
        to_label="Police",
        made_on=days_ago(6),
        made_by=people.dsl,
        reason="r",
        feedback_due_on=days_ago(1),
    )
    case = services.open_case_for(actor=people.dsl, student=hannah, on=days_ago(6))
    services.sign_off_review(
        actor=people.dsl, case=case, reviewed_on=days_ago(5), note="n", next_review_on=days_ago(1)
    )
    page = dsl.get("/dashboard/").text
    assert "1 referral awaiting overdue feedback" in page
    assert "1 case review overdue" in page
    assert "Hannah" not in page  # counts only: no child is named
    from kestrel.testing.auth import sign_in_fully

    teacher = sign_in_fully(client, people.teacher)
    assert "awaiting overdue feedback" not in teacher.get("/dashboard/").text


def test_a_case_cannot_close_while_a_referral_awaits_its_feedback(hannah, people):
    from django.core.exceptions import ValidationError

    services.make_referral(
        actor=people.dsl,
        student=hannah,
        target="police",
        to_label="Police",
        made_on=days_ago(3),
        made_by=people.dsl,
        reason="r",
        feedback_due_on=days_ago(-2),
    )
    case = services.open_case_for(actor=people.dsl, student=hannah, on=days_ago(3))
    with pytest.raises(ValidationError) as refused:
        services.close_case(
            actor=people.dsl,
            case=case,
            closed_on=days_ago(0),
            outcome="no_concerns",
            outcome_text="Closing.",
        )
    assert refused.value.message_dict["closed_on"] == [
        "Record the feedback on the 1 referral still awaiting it before closing the case."
    ]


def test_under_hide_names_the_case_file_stars_the_childs_names_and_withholds_corrections(
    dsl, hannah, people
):
    services.start_status(
        actor=people.dsl,
        student=hannah,
        kind="child_in_need",
        started_on=days_ago(3),
        note="Hannah Greenwood's CIN plan agreed.",
    )
    services.set_risk(
        actor=people.dsl,
        student=hannah,
        level="Medium",
        reason="Hannah is anxious at home.",
        set_on=days_ago(2),
    )
    referral = services.make_referral(
        actor=people.dsl,
        student=hannah,
        target="police",
        to_label="Police",
        made_on=days_ago(2),
        made_by=people.dsl,
        reason="Hannah disclosed an assault.",
        feedback_due_on=days_ago(-3),
    )
    dsl.post("/hide-names/", {"next": "/dashboard/"})
    page = dsl.get(f"/students/{hannah.pk}/file/").text
    assert "Hannah" not in page and "Greenwood" not in page
    assert "is anxious at home." in page
    outcome = dsl.get(f"/students/{hannah.pk}/file/referrals/{referral.pk}/outcome/").text
    assert "Hannah" not in outcome and "disclosed an assault." in outcome
    correct = dsl.get(f"/students/{hannah.pk}/file/referral/{referral.pk}/correct/").text
    assert "Names are hidden." in correct and "disclosed an assault" not in correct
    sent = dsl.post(
        f"/students/{hannah.pk}/file/referral/{referral.pk}/correct/",
        {"reference": "X", "correction_reason": "r"},
    )
    assert sent.status_code == 200
    assert Referral.objects.get().reference == ""
