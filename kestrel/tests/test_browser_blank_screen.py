"""Blank Screen comes on by itself after 15 minutes idle, in every Kestrel tab, nothing lost."""

import pytest
from playwright.sync_api import expect

from kestrel.testing.browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def site(transactional_db, live_server, people):
    return live_server.url


def test_blank_screen_appears_at_15_minutes_idle_and_not_before(page, site, people, password):
    page.clock.install()
    sign_in(page, site, people.teacher.email, password)
    page.goto(f"{site}/incidents/add/")
    text = page.get_by_label("Incident", exact=True)
    text.fill("Written before the break: must survive Blank Screen.")
    cover = page.locator("#blank-screen")
    page.clock.run_for("14:50")
    expect(cover).to_be_hidden()
    page.clock.run_for("00:20")
    expect(cover).to_be_visible()
    assert_accessible(page)  # with the blank screen shown
    page.mouse.click(10, 10)
    expect(cover).to_be_hidden()
    expect(text).to_have_value("Written before the break: must survive Blank Screen.")


def test_when_one_tab_blanks_for_idleness_every_other_kestrel_tab_blanks_too(
    context, site, people, password
):
    first = context.new_page()
    sign_in(first, site, people.teacher.email, password)
    second = context.new_page()
    second.goto(f"{site}/account/")
    expect(second.locator("#blank-screen")).to_be_hidden()
    # What the first tab's idle timer writes when it covers itself:
    first.evaluate("localStorage.setItem('kestrel-blank', String(Date.now()))")
    expect(second.locator("#blank-screen")).to_be_visible()
