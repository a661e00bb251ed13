"""The guide's follow-up loop in a real browser, with a real SMTP server receiving the alert."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from kestrel.accounts.models import User
from kestrel.alerts.models import Alert
from kestrel.environment import email_from_url
from kestrel.incidents.models import Action, Incident
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import assert_accessible, sign_in
from kestrel.testing.smtp import SMTPServer, body_text

pytestmark = pytest.mark.browser

PASSWORD = "kestrel hovers over the meadow at dawn"
TEXT = "Hannah told me her father was waiting by the gate again this morning. She was frightened."


@pytest.fixture
def demo(transactional_db, live_server, settings):
    call_command("seed_demo")
    for email in ("chloe.kelan@example.org", "james.carter@example.org"):
        user = User.objects.get(email=email)
        user.set_password(PASSWORD)
        user.save()
    with SMTPServer() as smtp:
        settings.MAILERS = {"default": email_from_url(smtp.url)}
        yield live_server.url, smtp


def log_out(page):
    page.get_by_role("button", name="Logout").click()


def test_chloe_alerts_james_who_acts_and_marks_as_read_and_chloe_sees_the_receipt(page, demo):
    site, smtp = demo
    sign_in(page, site, "chloe.kelan@example.org", PASSWORD)
    page.get_by_role("link", name="Add Incident").click()
    page.get_by_label("Student", exact=True).fill("hannah green")
    page.get_by_role("option", name="Hannah Greenwood (1B)").click()
    page.get_by_label("Incident", exact=True).fill(TEXT)
    page.get_by_label("Child Protection", exact=True).check()
    page.get_by_label("Alert Staff Members").fill("james")
    page.get_by_role("option", name="James Carter, Class teacher, 1B").click()
    page.get_by_label("SLT", exact=True).check()
    page.get_by_role("button", name="Add Incident").click()
    expect(page.get_by_text("The incident has been added")).to_be_visible()
    incident = Incident.objects.get(text=TEXT)
    log_out(page)

    # James's email: who and which category, a link to sign in, nothing else.
    to_james = [m for m in smtp.inbox if m["To"] == "james.carter@example.org"]
    assert len(to_james) == 1
    email = to_james[0]["Subject"] + body_text(to_james[0])
    assert "Chloe Kelan" in email and "Child Protection" in email and "/login/" in email
    for secret in ("Hannah", "Greenwood", "father", "gate"):
        assert secret not in email

    sign_in(page, site, "james.carter@example.org", PASSWORD)
    row = page.get_by_role("row").filter(
        has_text="Chloe Kelan added an incident for Hannah Greenwood (1B)"
    )
    expect(row.first).to_contain_text("just now by Chloe Kelan")  # newest first
    expect(row.first).to_contain_text("Child Protection")
    assert_accessible(page)
    row.first.get_by_role("link", name="incident").click()
    expect(page.get_by_text("Chloe Kelan alerted you to this incident.")).to_be_visible()
    expect(page.get_by_text("You do not have key access.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Add Action").click()
    page.get_by_label("Action Taken").fill("Spoke to Hannah at break; she is calmer. Mum informed.")
    page.get_by_role("button", name="Add incident alert recipients").click()
    expect(page.locator(".kestrel-chip", has_text="Chloe Kelan")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Add Action").click()
    expect(page.get_by_text("Your action has been added.")).to_be_visible()
    action = Action.objects.get(incident=incident)
    assert Alert.objects.filter(action=action, recipient__email="chloe.kelan@example.org").exists()

    page.get_by_role("button", name="mark as read").click()
    expect(page.get_by_text("The alert has been marked as read.")).to_be_visible()
    response = page.goto(f"{site}/incidents/{incident.pk}/")
    assert response.status == 404
    page.goto(f"{site}/dashboard/")
    log_out(page)

    chloe = User.objects.get(email="chloe.kelan@example.org")
    sign_in(page, site, chloe.email, PASSWORD)
    expect(
        page.get_by_text("James Carter added an action for Hannah Greenwood (1B)")
    ).to_be_visible()
    page.get_by_role("link", name="Unlock key").click()
    device = authenticator_for(chloe)
    page.get_by_label("Code from your authenticator app").fill(next_unused_code(device))
    page.get_by_role("button", name="Unlock").click()
    # Wait for the unlock to land: going on at once could cut its POST short.
    expect(page.get_by_text("Key access is on until")).to_be_visible()
    page.goto(f"{site}/incidents/{incident.pk}/")
    receipts = page.get_by_role("table", name="Who was alerted and when they read it")
    james_row = receipts.get_by_role("row").filter(has_text="James Carter").first
    expect(james_row).not_to_contain_text("Not read yet")
    assert_accessible(page)
