"""Issue 23's first "Done when", for one school: the demo school's DSL opens the governors'
report in Chromium, sees counts that match the demo data, "fewer than 5" where due, a chart
with its table, and downloads the PDF and the CSV. The page at 320 and 1280 px: nothing wider
than the window, axe clean."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from kestrel.accounts.models import User
from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import Category, Incident
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


def open_caseload(page, chloe, live_server) -> None:
    """Signs Chloe in and opens Caseload, where the reports are linked, unlocking her key."""
    sign_in(page, live_server.url, chloe.email, PASSWORD)
    page.goto(f"{live_server.url}/caseload/")
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(chloe))
    )
    page.get_by_role("button", name="Unlock").click()


def counted(name: str) -> int:
    today = timezone.localdate()
    start = datetime.date(today.year if today.month >= 8 else today.year - 1, 8, 1)
    since = timezone.make_aware(datetime.datetime.combine(start, datetime.time()))
    category = Category.objects.get(name=name, parent__isnull=True)
    return Incident.objects.filter(categories=category, occurred_at__gte=since).count()


def test_the_dsl_opens_the_governors_report_and_downloads_it(page, chloe, live_server):
    open_caseload(page, chloe, live_server)
    page.get_by_role("link", name="Governors’ report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Governors’ report")
    check_page(page, "governors-report")

    table = page.locator("table[data-table=categories]")
    behaviour = table.get_by_role("row", name="Behaviour", exact=False)
    expect(behaviour.get_by_role("cell").last).to_have_text(str(counted("Behaviour")))
    expect(
        table.get_by_role("row", name="Prevent", exact=False).get_by_role("cell").last
    ).to_have_text("fewer than 5")
    # The chart of categories, and its numbers beside it for screen readers.
    chart = page.get_by_role("img", name="Incidents by category, year to date", exact=False)
    expect(chart).to_be_visible()
    numbers = page.get_by_role("table", name="Incidents by category, year to date: the numbers")
    expect(numbers.get_by_role("row", name="Behaviour", exact=False)).to_contain_text(
        str(counted("Behaviour"))
    )

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the PDF").click()
    reader = PdfReader(io.BytesIO(open(waiting.value.path(), "rb").read()))  # noqa: SIM115
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Governors’ report" in text and "fewer than 5" in text

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download as CSV").click()
    with open(waiting.value.path(), encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))
    found = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
    assert found[("Incidents by category", "Behaviour", "Year to date")] == str(
        counted("Behaviour")
    )
    assert found[("Incidents by category", "Prevent", "Year to date")] == "fewer than 5"
    assert AuditEvent.objects.filter(action="reports.governors_viewed").count() == 1
    assert AuditEvent.objects.filter(action="reports.governors_exported").count() == 2


def test_the_dsl_opens_the_inspection_pack_and_a_pupils_file_from_it(page, chloe, live_server):
    open_caseload(page, chloe, live_server)
    page.get_by_role("link", name="Inspection pack").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inspection pack")
    pupils = page.locator("table[data-table=pupils]")
    for name in ("Asif Hussain", "Danielle Bradshaw", "Zoë O'Brien"):
        expect(pupils).to_contain_text(name)
    check_page(page, "inspection-pack")
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the PDF").click()
    reader = PdfReader(io.BytesIO(open(waiting.value.path(), "rb").read()))  # noqa: SIM115
    assert "Asif Hussain" in " ".join(p.extract_text() for p in reader.pages)
    pupils.get_by_role("link", name="Asif Hussain", exact=False).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Asif Hussain")
    assert AuditEvent.objects.filter(action="reports.inspection_viewed").count() == 1
    assert AuditEvent.objects.filter(action="reports.inspection_exported").count() == 1


def test_the_dsl_filters_the_pattern_report_by_category(page, chloe, live_server):
    open_caseload(page, chloe, live_server)
    page.get_by_role("link", name="Categories and patterns").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Categories and patterns")
    check_page(page, "patterns")
    page.get_by_label("Category").select_option(label="Behaviour")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("[data-count=total]")).to_contain_text(f"{counted('Behaviour')} incidents")
    expect(page.get_by_role("img", name="Incidents each month", exact=False)).to_be_visible()
    assert AuditEvent.objects.filter(action="reports.patterns_viewed").count() == 2
