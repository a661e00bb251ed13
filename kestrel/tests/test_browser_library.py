"""The Library in a real browser: the DSL publishes a policy, a teacher reads and confirms it."""

import pytest
from playwright.sync_api import expect

from kestrel.testing.browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def site(transactional_db, live_server, people):
    return live_server.url


def test_the_dsl_publishes_a_policy_and_a_teacher_confirms_reading_it(page, site, people, password):
    sign_in(page, site, people.dsl.email, password)
    page.get_by_role("link", name="Library").click()
    page.get_by_role("link", name="Publish a document").click()
    assert_accessible(page)
    page.get_by_label("Title").fill("Who should I alert?")
    page.get_by_label("Or a new category").fill("Guidance")
    page.get_by_label("Staff must confirm they have read it (for policies)").check()
    page.get_by_label("File").set_input_files(
        [{"name": "who-to-alert.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("“Who should I alert?” is now in the Library.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Logout").click()

    sign_in(page, site, people.teacher.email, password)
    page.get_by_role("link", name="Library").click()
    expect(page.get_by_text("Please confirm you have read it", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Who should I alert?").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download who-to-alert.pdf").click()
    assert download.value.suggested_filename == "who-to-alert.pdf"
    page.get_by_role("button", name="I have read this policy").click()
    expect(page.get_by_text("You have confirmed you read version 1.")).to_be_visible()
    assert_accessible(page)
