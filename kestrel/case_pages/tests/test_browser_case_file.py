"""The issue's walk through a child's case file, in Chromium, as the demo school's DSL: Hannah
Greenwood's father as a contact with parental responsibility, a Child Protection Plan (neglect),
risk High with its reason, a referral to children's social care with feedback due in 3 school
days, on "Awaiting feedback" once that date has passed (the clock moved), its feedback recorded,
the plan ended, and the chronology showing each step in date order. Every new page at 320 and
1280 px: nothing wider than the window, axe clean."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kestrel.accounts.models import User
from kestrel.casefile.models import Referral, Status
from kestrel.school_calendar.days import calendar_for
from kestrel.students.models import Student
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import check_page, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "seven quiet owls over the playground"


@pytest.fixture
def chloe(page, transactional_db, live_server):
    call_command("seed_demo")
    dsl = User.objects.get(email="chloe.kelan@example.org")
    dsl.set_password(PASSWORD)
    dsl.save()
    return dsl


def unlock(page, chloe) -> None:
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(chloe))
    )
    page.get_by_role("button", name="Unlock").click()


def test_the_dsl_keeps_hannahs_case_file_from_contact_to_the_end_of_her_plan(
    page, chloe, live_server
):
    site = live_server.url
    hannah = Student.objects.get(legal_first_name="Hannah", legal_last_name="Greenwood")
    sign_in(page, site, chloe.email, PASSWORD)
    page.get_by_role("link", name="Students").click()
    unlock(page, chloe)
    page.get_by_label("Name, UPN or registration group").fill("hannah")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Case file of Hannah Greenwood (1B)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hannah Greenwood (1B)")
    check_page(page, "case-student-empty")

    # Her father, with parental responsibility.
    page.get_by_role("link", name="Add contact").click()
    page.get_by_label("Name", exact=True).fill("Mark Greenwood")
    page.get_by_label("Relationship to the child").fill("Father")
    page.get_by_label("Has parental responsibility").check()
    page.get_by_label("Phone").fill("07700 900123")
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_role("heading", name="Mark Greenwood (Father)")).to_be_visible()

    # A Child Protection Plan under neglect: the category is asked for.
    page.get_by_role("link", name="Start a status").click()
    check_page(page, "case-start-status")
    page.get_by_label("Status", exact=True).select_option(label="Child Protection Plan")
    page.get_by_role("button", name="Start status").click()
    expect(page.get_by_text("Choose the category of the plan.").first).to_be_visible()
    page.get_by_label("Category of the plan").select_option(label="Neglect")
    page.get_by_role("button", name="Start status").click()
    expect(page.get_by_text("Child Protection Plan started on")).to_be_visible()

    # Risk High, with why.
    page.get_by_role("link", name="Set risk level").click()
    check_page(page, "case-risk")
    page.get_by_label("High").check()
    page.get_by_label("Why is the risk at this level?").fill(
        "Repeated neglect; a Child Protection Plan has started."
    )
    page.get_by_role("button", name="Set risk level").click()
    expect(page.get_by_text("Risk level set to High.")).to_be_visible()

    # A referral to children's social care: feedback due in 3 school days, offered by the form.
    today = timezone.localdate()
    due = calendar_for(hannah.school_id).school_days_after(today, 3)
    page.get_by_role("link", name="Make a referral").click()
    check_page(page, "case-referral")
    feedback = page.get_by_role("group", name="Feedback due")
    expect(feedback.get_by_label("Day")).to_have_value(str(due.day))
    expect(feedback.get_by_label("Month")).to_have_value(str(due.month))
    page.get_by_label("Referred to").select_option(label="Children’s social care")
    page.get_by_label("Reference").fill("MASH-2026-0412")
    page.get_by_label("What was referred and why").fill(
        "Hannah arrived hungry and unwashed again; Dad says there is no food at home."
    )
    page.get_by_role("button", name="Record referral").click()
    expect(page.get_by_text("Referral to Children’s social care recorded.")).to_be_visible()
    check_page(page, "case-student-open")
    referral = Referral.objects.get(student=hannah)
    assert referral.feedback_due_on == due

    # Not yet awaiting (the demo's other children may be): the date has not passed.
    page.get_by_role("link", name="Caseload").click()
    page.get_by_role("link", name="Awaiting feedback").first.click()
    expect(page.get_by_role("link", name="Hannah Greenwood (1B)", exact=True)).to_have_count(0)

    # The day after feedback was due: the referral is chased.
    later = datetime.datetime.combine(
        due + datetime.timedelta(days=1), datetime.time(9), timezone.get_current_timezone()
    )
    with time_machine.travel(later, tick=True):
        page.goto(f"{site}/caseload/awaiting-feedback/")
        if "/login/" in page.url:  # the session ended while the clock moved on
            sign_in(page, site, chloe.email, PASSWORD)
            page.goto(f"{site}/caseload/awaiting-feedback/")
        if "/key/" in page.url:
            unlock(page, chloe)
        expect(page.get_by_role("link", name="Hannah Greenwood (1B)", exact=True)).to_be_visible()
        check_page(page, "case-awaiting-feedback")
        page.get_by_role("link", name="Record feedback for Hannah Greenwood (1B)").click()
        check_page(page, "case-referral-outcome")
        page.get_by_label("Feedback and outcome").fill(
            "Strategy discussion held; section 47 enquiry opened. Social worker allocated."
        )
        page.get_by_role("button", name="Record feedback").click()
        expect(page.get_by_text("Feedback from Children’s social care recorded.")).to_be_visible()
        page.get_by_role("link", name="Caseload").click()
        check_page(page, "case-caseload")
        expect(page.get_by_role("cell", name="Child Protection Plan (Neglect)")).to_be_visible()
        page.get_by_role("link", name="Awaiting feedback").first.click()
        expect(page.get_by_role("link", name="Hannah Greenwood (1B)", exact=True)).to_have_count(0)

        # The plan ends.
        page.goto(f"{site}/students/{hannah.pk}/file/")
        page.get_by_role("link", name="End Child Protection Plan").click()
        check_page(page, "case-end-status")
        page.get_by_label("Why it ended").fill("Stepped down to Child in Need at review.")
        page.get_by_role("button", name="End status").click()
        expect(page.get_by_text("Child Protection Plan ended on")).to_be_visible()
        status = Status.objects.get(student=hannah)
        assert (status.started_on, status.ended_on) == (today, later.date())

        # The chronology: each step, newest first, in date order.
        page.get_by_role("link", name="Chronology", exact=True).click()
        steps = page.locator(".kestrel-timeline__item--case h2").all_inner_texts()
        assert steps == [
            "Child Protection Plan ended",
            f"Feedback from Children’s social care on the referral of {today:%-d %B %Y}",
            "Referral to Children’s social care (reference MASH-2026-0412)",
            "Risk level set to High",
            "Child Protection Plan started (Neglect)",
            "Case opened",
        ]
        check_page(page, "case-chronology")

        # The other forms of the case file pass the same checks.
        for name, path in [
            ("decision", "decisions/add/"),
            ("sharing", "sharing/add/"),
            ("review", "review/"),
            ("close", "close/"),
            ("correct", f"referral/{referral.pk}/correct/"),
        ]:
            page.goto(f"{site}/students/{hannah.pk}/file/{path}")
            check_page(page, name)
