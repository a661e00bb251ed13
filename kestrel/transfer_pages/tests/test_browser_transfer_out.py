"""Transfers in Chromium, as the demo school's DSL: from the Dashboard's reminders to Kacper's
file due at Brook Academy, prepared and sent on paper; Ruby's receipt recorded from her signed
slip; a child marked as left with no school to go to. Each page at 320 and 1280 px: nothing wider
than the window, axe clean."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from kestrel.accounts.models import User
from kestrel.students.models import Student
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import check_page, sign_in
from kestrel.transfers.models import State, Transfer

pytestmark = pytest.mark.browser

PASSWORD = "seven quiet owls over the playground"


@pytest.fixture
def chloe(page, transactional_db, live_server):
    call_command("seed_demo")
    dsl = User.objects.get(email="chloe.kelan@example.org")
    dsl.set_password(PASSWORD)
    dsl.save()
    return dsl


def unlock(page, user) -> None:
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(user))
    )
    page.get_by_role("button", name="Unlock").click()


def test_the_dsl_sends_kacpers_file_on_paper_and_records_rubys_receipt(page, chloe, live_server):
    sign_in(page, live_server.url, chloe.email, PASSWORD)
    page.goto(f"{live_server.url}/dashboard/")
    reminders = page.locator("#transfer-reminders")
    expect(reminders).to_contain_text("1 file due to be sent to the next school")
    expect(reminders).to_contain_text("Chase 1 file sent with no receipt after 5 school days")
    check_page(page, "transfer-dashboard")
    reminders.get_by_role("link", name="1 file due to be sent to the next school").click()
    unlock(page, chloe)
    expect(page.get_by_role("heading", level=1)).to_have_text("Transfers")
    check_page(page, "transfer-log")
    page.get_by_role("link", name="Kacper Nowak").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Transfer of the child protection file"
    )
    page.get_by_role("button", name="Prepare the file").click()
    download_link = page.get_by_role("link", name="Download the file to print", exact=False)
    expect(download_link).to_be_visible(timeout=60_000)
    check_page(page, "transfer-due")
    with page.expect_download() as waiting:
        download_link.click()
    reader = PdfReader(io.BytesIO(open(waiting.value.path(), "rb").read()))  # noqa: SIM115
    assert "Receipt slip" in reader.pages[-1].extract_text()
    page.get_by_label("By recorded or special delivery post").check()
    page.get_by_role("button", name="Record that it was sent on paper").click()
    expect(page.get_by_role("heading", name="Record the signed receipt slip")).to_be_visible()
    kacper = Transfer.objects.get(student__legal_first_name="Kacper")
    assert kacper.state == State.SENT and kacper.sent_by == chloe

    page.goto(f"{live_server.url}/transfers/")
    page.get_by_role("link", name="Ruby Ellingham").click()
    expect(page.get_by_text("No receipt 5 school days after sending")).to_be_visible()
    check_page(page, "transfer-chase")
    page.get_by_label("Name of the person who signed the slip").fill("Sam Patel")
    page.get_by_label("Their role").fill("Designated Safeguarding Lead")
    page.get_by_role("button", name="Record receipt").click()
    expect(page.get_by_text("Receipt recorded.")).to_be_visible()
    expect(page.get_by_text("Sam Patel, Designated Safeguarding Lead")).to_be_visible()
    check_page(page, "transfer-received")


def test_the_dsl_marks_a_child_as_left_with_no_school_to_go_to(page, chloe, live_server):
    danielle = Student.objects.get(legal_first_name="Danielle", legal_last_name="Bradshaw")
    sign_in(page, live_server.url, chloe.email, PASSWORD)
    page.goto(f"{live_server.url}/students/{danielle.pk}/file/")
    unlock(page, chloe)
    page.get_by_role("link", name="Mark as left").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mark as left")
    check_page(page, "transfer-mark-left")
    page.get_by_label("Home educated (elective home education)").check()
    page.get_by_role("button", name="Mark as left").click()
    expect(page.get_by_text("Tell the local authority by", exact=False).first).to_be_visible()
    check_page(page, "transfer-inform")
    page.get_by_label("Who was told, and how").fill(
        "Children missing education officer by phone; Danielle's early help worker by email."
    )
    page.get_by_role("button", name="Record that the local authority was told").click()
    expect(page.get_by_text("Recorded. The file stays here.")).to_be_visible()
    assert Transfer.objects.get(student=danielle).state == State.INFORMED
