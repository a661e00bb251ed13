"""Export this file in Chromium, as the demo school's DSL: from Hannah Greenwood's case file to
the downloaded PDF. The page at 320 and 1280 px: nothing wider than the window, axe clean."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from kestrel.accounts.models import User
from kestrel.audit.models import AuditEvent
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


def test_the_dsl_exports_hannahs_whole_file_and_downloads_it(page, chloe, live_server):
    hannah = Student.objects.get(legal_first_name="Hannah", legal_last_name="Greenwood")
    sign_in(page, live_server.url, chloe.email, PASSWORD)
    page.goto(f"{live_server.url}/students/{hannah.pk}/file/")
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(chloe))
    )
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("link", name="Export the whole file (PDF)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export the whole file")
    check_page(page, "export-start")
    page.get_by_label("The whole file").check()
    page.get_by_role("button", name="Export the file (PDF)").click()
    link = page.get_by_role("link", name="Download the PDF (whole file", exact=False)
    expect(link).to_be_visible(timeout=60_000)
    check_page(page, "export-ready")
    with page.expect_download() as waiting:
        link.click()
    download = waiting.value
    reader = PdfReader(io.BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
    assert "Hannah Greenwood" in reader.pages[0].extract_text()
    assert AuditEvent.objects.filter(action="export.downloaded", student=hannah).count() == 1
