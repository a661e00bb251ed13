"""The staff training log in Chromium, as the demo school's administrator: a requirement added in
School set-up, the lists (overdue, due soon, by training, by staff member), training recorded
for James Carter with its certificate, a file of training records imported after its preview,
and the administrator's own training on Account Settings. Each page at 320 and 1280 px: nothing
wider than the window, axe clean."""

import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kestrel.accounts.models import User
from kestrel.testing.browser import check_page, sign_in
from kestrel.training.models import TrainingRecord

pytestmark = pytest.mark.browser

PASSWORD = "the office keeps the training folder by the door"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def office(page, transactional_db, live_server):
    call_command("seed_demo")
    admin = User.objects.get(email="office@example.org")
    admin.set_password(PASSWORD)
    admin.save()
    return admin


def test_the_administrator_sets_a_requirement_and_records_training(page, office, live_server):
    site = live_server.url
    sign_in(page, site, office.email, PASSWORD)
    page.get_by_role("link", name="School set-up").click()
    page.get_by_role("link", name="Training requirements").click()
    check_page(page, "training-requirements")
    page.get_by_role("link", name="Add training requirement").click()
    page.get_by_label("Training", exact=True).fill("Online safety")
    page.get_by_role("group", name="Who must do it").get_by_label("Everyone").check()
    page.get_by_label("Renew every (months)").fill("24")
    page.get_by_label("New staff do it within (days of joining)").fill("30")
    page.get_by_label("Show as due soon (days before)").fill("30")
    check_page(page, "training-requirement-form")
    page.get_by_role("button", name="Add training requirement").click()
    expect(page.get_by_text("Training requirement “Online safety” has been added.")).to_be_visible()

    page.get_by_role("link", name="Staff training").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff training")
    by_training = page.get_by_role("region", name="By training")
    expect(by_training.get_by_role("link", name="Online safety")).to_be_visible()
    expect(page.get_by_role("heading", name="Overdue")).to_be_visible()
    expect(page.get_by_role("region", name="Training due soon, soonest first")).to_contain_text(
        "DSL training"
    )
    check_page(page, "training-overview")

    page.get_by_role("link", name="Training by staff member").click()
    check_page(page, "training-staff-list")
    page.get_by_role("link", name="James Carter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("James Carter")
    page.get_by_role("link", name="Record training").click()
    page.get_by_label("Training", exact=True).select_option(label="Online safety")
    when = timezone.localdate() - datetime.timedelta(days=3)
    completed = page.get_by_role("group", name="Date completed")
    completed.get_by_label("Day").fill(str(when.day))
    completed.get_by_label("Month").fill(str(when.month))
    completed.get_by_label("Year").fill(str(when.year))
    page.get_by_label("Provider").fill("South West Grid for Learning")
    page.get_by_label("Certificate (optional)").set_input_files(
        {"name": "online-safety.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    check_page(page, "training-record-form")
    page.get_by_role("button", name="Record training").click()

    expect(page.get_by_text("Training recorded for James Carter.")).to_be_visible()
    required = page.get_by_role("region", name="Required training and when it is due")
    row = required.get_by_role("row").filter(has_text="Online safety")
    expect(row).to_contain_text("Up to date")
    expect(row).to_contain_text(f"{when:%-d %b %Y}")
    done = page.get_by_role("region", name="Training done, newest first")
    expect(done.get_by_role("row").filter(has_text="Online safety")).to_contain_text(
        "South West Grid for Learning"
    )
    check_page(page, "training-staff")
    with page.expect_download() as waiting:
        done.get_by_role("link", name="Download the certificate for Online safety").click()
    assert Path(waiting.value.path()).read_bytes() == PDF
    record = TrainingRecord.objects.get(course="Online safety")
    assert (record.staff.email, record.provider) == (
        "james.carter@example.org",
        "South West Grid for Learning",
    )


def test_the_administrator_imports_training_records_after_the_preview(page, office, live_server):
    site = live_server.url
    sign_in(page, site, office.email, PASSWORD)
    page.goto(f"{site}/training/")
    page.get_by_role("link", name="Import training records").click()
    check_page(page, "training-import")
    csv = (
        "Email,Course,Date completed,Provider\r\n"
        "priya.shah@example.org,Prevent duty training,02/11/2026,Home Office e-learning\r\n"
        "nobody@example.org,KCSIE update,02/11/2026,\r\n"
    ).replace("2026", str(timezone.localdate().year - 1))
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "cpd-export.csv", "mimeType": "text/csv", "buffer": csv.encode()}
    )
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    expect(page.get_by_role("region", name="Rows refused, with why")).to_contain_text(
        "No member of staff has the email address nobody@example.org."
    )
    check_page(page, "training-import-preview")
    page.get_by_role("button", name="Add 1 training record").click()
    expect(page.get_by_text("1 training record added.")).to_be_visible()
    assert TrainingRecord.objects.filter(
        staff__email="priya.shah@example.org", course="Prevent awareness"
    ).exists()

    page.get_by_role("link", name="Account Settings").click()
    expect(page.get_by_role("heading", name="Your training")).to_be_visible()
    check_page(page, "training-account-settings")
