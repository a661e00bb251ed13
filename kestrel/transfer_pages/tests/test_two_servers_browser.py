"""Issue 22's "done when", in Chromium, between two real Kestrels
(kestrel.transfer_pages.tests.two_servers): Chloe Kelan, DSL of Ashdown Primary School on
Kestrel A, marks Hannah Greenwood as left for Brook Lane Academy (URN 100002) on Kestrel B,
prepares her file and sends it on Kestrel, confirming the school as B names it; Priya Shah, DSL
of Brook Lane Academy, signs in to B in a browser of her own, finds the file on her Dashboard,
opens and accepts it; Hannah's chronology at B shows A's entries labelled "From Ashdown Primary
School" with their original authors and dates; back at A, the transfer log shows Priya's
acknowledgement and its time. Each page as its users find it, by its visible labels, at 320 and
1280 px: nothing wider than the window, axe clean."""

import pytest
from playwright.sync_api import expect

from kestrel.testing.browser import check_page
from kestrel.transfer_pages.tests.two_servers import (
    B_URN,
    CHLOE,
    PASSWORD,
    PRIYA,
    two_kestrels,
    wait_for,
)

__all__ = ["two_kestrels"]  # the fixture, used below

pytestmark = [pytest.mark.browser, pytest.mark.own_servers]

A_NAME, B_NAME = "Ashdown Primary School", "Brook Lane Academy"


def sign_in(page, server, email: str, phone) -> None:
    """Signs in through the sign-in page, with the code from the person's phone."""
    page.goto(f"{server.url}/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.get_by_label("Code from your authenticator app").fill(phone.code())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def unlock(page, phone) -> None:
    page.get_by_label("Code from your authenticator app").fill(phone.code())
    page.get_by_role("button", name="Unlock").click()


def hannahs_entries_at_a(a, hannah: int) -> list[dict]:
    """Hannah's own incidents and case-file entries at A: the date each is about and who
    recorded it, as a chronology shows them."""
    return a.python(
        f"""
        import json
        from django.utils import dateformat, timezone
        from kestrel.casefile.models import CaseEvent
        from kestrel.incidents.models import Incident
        incidents = Incident.objects.filter(student_id={hannah}).select_related("reporter")
        entries = [
            {{"on": dateformat.format(timezone.localtime(incident.occurred_at), "j F Y"),
              "by": f"{{incident.reporter.full_name}}, {{incident.reporter.job_title}}",
              "summary": ""}}
            for incident in incidents
        ] + [
            {{"on": dateformat.format(event.happened_on, "j F Y"),
              "by": f"{{event.author_name}}, {{event.author_role}}", "summary": event.summary}}
            for event in CaseEvent.objects.filter(student_id={hannah})
        ]
        print(json.dumps(entries))
        """
    )


def acceptance_at_b(b) -> str:
    """When Priya accepted the file at B, as the transfer log shows a time."""
    return b.python(
        """
        import json
        from django.utils import dateformat, timezone
        from kestrel.transfers.models import Received
        (received,) = Received.objects.all()
        print(json.dumps(dateformat.format(timezone.localtime(received.accepted_at), "j M Y, H:i")))
        """
    )


def test_hannahs_file_goes_from_one_kestrel_to_the_other_and_its_acceptance_comes_back(
    two_kestrels, browser
):
    entries = hannahs_entries_at_a(two_kestrels.a, two_kestrels.sender["hannah"])
    # The demo's incident, recorded by Chloe, and the referral the deputy DSL recorded.
    assert {entry["by"] for entry in entries} == {
        "Chloe Kelan, Designated Safeguarding Lead",
        "Daniel Fitzgerald, Deputy Headteacher",
    }
    at_a = browser.new_context(viewport={"width": 1280, "height": 900})
    at_b = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        chloe, priya = at_a.new_page(), at_b.new_page()
        chloe.set_default_timeout(15_000)
        priya.set_default_timeout(15_000)
        walk(chloe, priya, two_kestrels, entries)
    finally:
        at_a.close()
        at_b.close()


def walk(chloe, priya, two_kestrels, entries) -> None:
    a, b = two_kestrels
    hannah = two_kestrels.sender["hannah"]

    # At A: Chloe opens Hannah's case file, unlocks her key and marks Hannah as left today.
    sign_in(chloe, a, CHLOE, two_kestrels.chloe_phone)
    chloe.goto(f"{a.url}/students/{hannah}/file/")
    unlock(chloe, two_kestrels.chloe_phone)
    expect(chloe.get_by_role("heading", level=1)).to_contain_text("Hannah Greenwood")
    check_page(chloe, "two-kestrels-a-case-file")
    chloe.get_by_role("link", name="Mark as left").click()
    expect(chloe.get_by_role("heading", level=1)).to_have_text("Mark as left")
    chloe.get_by_label("Another school").check()
    chloe.get_by_label("New school's name").fill(B_NAME)
    chloe.get_by_label("New school's URN").fill(B_URN)
    chloe.get_by_label("The new school's Kestrel address").fill(b.url)
    check_page(chloe, "two-kestrels-a-mark-left")
    chloe.get_by_role("button", name="Mark as left").click()
    expect(
        chloe.get_by_text("The child protection file is due at the new school by")
    ).to_be_visible()
    expect(chloe.get_by_text(f"On Kestrel at {b.url}")).to_be_visible()

    # Prepares the file, and sends it on Kestrel to the school as B's Kestrel names it.
    chloe.get_by_role("button", name="Prepare the file").click()
    send = chloe.get_by_role("button", name=f"Send to {B_NAME} on Kestrel")
    expect(send).to_be_visible(timeout=90_000)
    check_page(chloe, "two-kestrels-a-ready")
    send.click()
    expect(chloe.get_by_role("heading", level=1)).to_have_text(
        "Send the file to a school on Kestrel"
    )
    expect(chloe.get_by_text("This is the school as its own Kestrel names it.")).to_be_visible()
    school = chloe.locator(".govuk-summary-list__row")
    expect(school.filter(has_text="School")).to_contain_text(B_NAME)
    expect(school.filter(has_text="URN")).to_contain_text(B_URN)
    expect(school.filter(has_text="Kestrel")).to_contain_text(b.url)
    expect(school.filter(has_text="Their key")).to_be_visible()
    check_page(chloe, "two-kestrels-a-confirm")
    chloe.get_by_role("button", name=f"Send the file to {B_NAME}").click()
    expect(chloe.get_by_text(f"Sent to {B_NAME} on Kestrel on", exact=False)).to_be_visible(
        timeout=90_000
    )
    expect(chloe.get_by_text("Waiting for their DSL to accept it", exact=False)).to_be_visible()
    expect(chloe.get_by_text(f"To a school on Kestrel: {B_NAME} ({b.url})")).to_be_visible()
    check_page(chloe, "two-kestrels-a-sent")

    # At B, in a browser of her own: Priya finds the file on her Dashboard and opens it.
    sign_in(priya, b, PRIYA, two_kestrels.priya_phone)
    reminders = priya.locator("#transfer-reminders")
    waiting = reminders.get_by_role("link", name="1 file received from other schools to accept")
    expect(waiting).to_be_visible()
    check_page(priya, "two-kestrels-b-dashboard")
    waiting.click()
    unlock(priya, two_kestrels.priya_phone)
    expect(priya.get_by_role("heading", level=1)).to_have_text("Files received")
    row = priya.get_by_role("row").filter(has_text=A_NAME)
    expect(row).to_contain_text("Hannah Greenwood")
    check_page(priya, "two-kestrels-b-received-list")
    row.get_by_role("link", name="Hannah Greenwood").click()
    expect(priya.get_by_role("heading", level=1)).to_have_text(
        f"Child protection file from {A_NAME}"
    )
    sent_by = priya.locator(".govuk-summary-list__row").filter(has_text="Sent by")
    expect(sent_by).to_contain_text("Chloe Kelan")
    here = priya.locator(".govuk-summary-list__row").filter(has_text="Student here")
    expect(here).to_contain_text("Hannah Greenwood")  # matched by her UPN
    check_page(priya, "two-kestrels-b-received")

    # She accepts it: A's entries join Hannah's chronology at B, labelled with A's name.
    priya.get_by_role("button", name="Accept file").click()
    expect(priya.get_by_text("File accepted.")).to_be_visible()
    check_page(priya, "two-kestrels-b-accepted")
    priya.get_by_role("link", name="the child's chronology").click()
    received = priya.locator(".kestrel-timeline__item--case").filter(has_text=f"From {A_NAME}")
    expect(received.first).to_be_visible()
    for entry in entries:
        line = (
            received.filter(has_text=f"{entry['on']} · recorded")
            .filter(has_text=f"by {entry['by']}")
            .filter(has_text=entry["summary"])
        )
        expect(line).to_have_count(1)
    check_page(priya, "two-kestrels-b-chronology")

    # Back at A: the transfer log shows Priya's acknowledgement and when she accepted.
    accepted = acceptance_at_b(b)

    def acknowledged():
        chloe.goto(f"{a.url}/transfers/")
        return chloe.get_by_text("Priya Shah, Designated Safeguarding Lead").count()

    assert wait_for(acknowledged, seconds=60, every=1), "no receipt reached A"
    row = chloe.get_by_role("row").filter(has_text="Hannah Greenwood")
    expect(row).to_contain_text(accepted)
    expect(row).to_contain_text("Priya Shah, Designated Safeguarding Lead")
    expect(row).to_contain_text("Receipt confirmed")
    check_page(chloe, "two-kestrels-a-log")
    row.get_by_role("link", name="Hannah Greenwood").click()
    by = chloe.locator(".govuk-summary-list__row").filter(has_text="Acknowledged by")
    expect(by).to_contain_text("Priya Shah, Designated Safeguarding Lead")
    expect(by).to_contain_text("Accepted on Kestrel")
    check_page(chloe, "two-kestrels-a-received")
