"""The download-link route in Chromium: the demo school's DSL sends Kacper's file to Brook
Academy's DSL by link from the transfer page; Brook's DSL, in a browser never signed in to
Kestrel, opens the link, has a code emailed, types a wrong code and then the right one, names
themselves, downloads the PDF and confirms receipt. Each recipient page at 320 and 1280 px:
nothing wider than the window, axe clean."""

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from kestrel.accounts.models import User
from kestrel.audit.models import AuditEvent
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import check_page, sign_in
from kestrel.transfers.models import State, Transfer

pytestmark = pytest.mark.browser

PASSWORD = "seven quiet owls over the playground"
LINK = re.compile(r"http://[^/\s]+(/receive/[A-Za-z0-9_-]+/)")
CODE = re.compile(r"^(\d{8})$", re.MULTILINE)


@pytest.fixture
def chloe(page, transactional_db, live_server):
    call_command("seed_demo")
    dsl = User.objects.get(email="chloe.kelan@example.org")
    dsl.set_password(PASSWORD)
    dsl.save()
    return dsl


def test_brooks_dsl_downloads_kacpers_file_by_link_and_confirms_receipt(
    page, browser, chloe, live_server
):
    transfer = Transfer.objects.get(
        student__legal_first_name="Kacper", student__legal_last_name="Nowak"
    )
    sign_in(page, live_server.url, chloe.email, PASSWORD)
    page.goto(f"{live_server.url}/transfers/{transfer.pk}/")
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(chloe))
    )
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("button", name="Prepare the file").click()
    email = page.get_by_label("Their DSL's email address")
    expect(email).to_be_visible(timeout=60_000)
    expect(email).to_have_value("dsl@brook.example")
    page.get_by_label("Their name (if you know it)").fill("Priya Shah")
    page.get_by_role("button", name="Send a download link").click()
    expect(
        page.get_by_text("The download link is being emailed to dsl@brook.example")
    ).to_be_visible()
    check_page(page, "link-sender-sent")
    path = LINK.search(mail.outbox[-1].body).group(1)

    # Brook's DSL: another browser, never signed in.
    recipient = browser.new_context().new_page()
    recipient.goto(f"{live_server.url}{path}")
    expect(recipient.get_by_role("heading", level=1)).to_have_text("Open a child protection file")
    expect(recipient.get_by_text("Kacper")).to_have_count(0)
    check_page(recipient, "open")
    recipient.get_by_role("button", name="Email me a code").click()
    expect(recipient.get_by_role("heading", level=1)).to_have_text("Enter the code")
    code = CODE.search(mail.outbox[-1].body).group(1)
    recipient.get_by_label("Code").fill(f"{(int(code) + 1) % 10**8:08d}")
    recipient.get_by_role("button", name="Continue").click()
    expect(recipient.locator(".govuk-error-summary")).to_contain_text("That code is not right")
    check_page(recipient, "code-wrong")
    recipient.get_by_label("Code").fill(code)
    recipient.get_by_role("button", name="Continue").click()

    expect(recipient.get_by_role("heading", level=1)).to_have_text("Tell us who you are")
    expect(recipient.get_by_label("Full name")).to_have_value("Priya Shah")
    recipient.get_by_label("Your role").fill("Designated safeguarding lead")
    expect(recipient.get_by_label("Your school")).to_have_value("Brook Academy")
    check_page(recipient, "name")
    recipient.get_by_role("button", name="Continue").click()

    expect(recipient.get_by_role("heading", level=1)).to_have_text("Child protection file")
    expect(recipient.get_by_text("Kacper Nowak")).to_be_visible()
    check_page(recipient, "file")
    with recipient.expect_download() as waiting:
        recipient.get_by_role("link", name="Download the file (PDF)").click()
    reader = PdfReader(io.BytesIO(open(waiting.value.path(), "rb").read()))  # noqa: SIM115
    assert "Kacper Nowak" in reader.pages[0].extract_text()
    recipient.get_by_role("button", name="Confirm receipt").click()
    expect(recipient.get_by_text("Receipt confirmed")).to_be_visible()
    check_page(recipient, "confirmed")

    transfer.refresh_from_db()
    assert transfer.state == State.RECEIVED
    assert transfer.acknowledged_by_name == "Priya Shah"
    assert AuditEvent.objects.filter(action="transfer.link_code_wrong").count() == 1
    downloaded = AuditEvent.objects.get(action="transfer.link_downloaded")
    assert downloaded.detail["name"] == "Priya Shah"

    recipient.goto(f"{live_server.url}/receive/no-such-link/")
    expect(recipient.get_by_role("heading", level=1)).to_have_text("This link does not work")
    check_page(recipient, "refused")
    page.goto(f"{live_server.url}/transfers/{transfer.pk}/link/")
    expect(page.get_by_text("Confirmed by Priya Shah", exact=False)).to_be_visible()
    check_page(page, "link-sender-confirmed")
