"""A long chronology in a real browser: its total, then Older and Newer a page at a time, the
filter kept (issue 19: pages by position, the total from the tallies)."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kestrel.accounts.models import User
from kestrel.students.models import Student
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import assert_accessible, sign_in
from kestrel.testing.factories import IncidentFactory

pytestmark = pytest.mark.browser

PASSWORD = "seven quiet owls over the playground"


def test_the_dsl_pages_through_a_long_chronology_older_and_newer(
    page, transactional_db, live_server
):
    call_command("seed_demo")
    chloe = User.objects.get(email="chloe.kelan@example.org")
    chloe.set_password(PASSWORD)
    chloe.save()
    hannah = Student.objects.get(school=chloe.school, legal_first_name="Hannah")
    before = hannah.incidents.count() + hannah.incident_links.count()
    now = timezone.now()
    for days in range(30):
        IncidentFactory(
            student=hannah, reporter=chloe, occurred_at=now - datetime.timedelta(days=days + 1)
        )
    sign_in(page, live_server.url, chloe.email, PASSWORD)
    page.get_by_role("link", name="Unlock key").click()
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(chloe))
    )
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_text("Key access is on until")).to_be_visible()

    page.goto(f"{live_server.url}/students/{hannah.pk}/")
    total = before + 30
    expect(page.get_by_text(f"{total} incidents, newest first.")).to_be_visible()
    entries = page.locator(".kestrel-timeline__item")
    expect(entries).to_have_count(25)
    expect(page.get_by_role("link", name="Newer incidents")).to_have_count(0)
    first_page = entries.first.inner_text()
    page.screenshot(path="var/test-artifacts/chronology-page-1.png", full_page=True)

    page.get_by_role("link", name="Older incidents").click()
    expect(entries).to_have_count(total - 25)
    expect(page.get_by_role("link", name="Older incidents")).to_have_count(0)
    assert_accessible(page)
    page.screenshot(path="var/test-artifacts/chronology-page-2.png", full_page=True)

    page.get_by_role("link", name="Newer incidents").click()
    expect(entries).to_have_count(25)
    assert entries.first.inner_text() == first_page
