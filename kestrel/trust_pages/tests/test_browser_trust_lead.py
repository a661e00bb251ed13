"""The trust safeguarding lead in Chromium: Switch school from the header, the trust's two
schools side by side, and a child's record at the other school only once the key is unlocked
there. Each page at 320 and 1280 px: nothing wider than the window, axe clean."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from kestrel.accounts import trusts
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import check_page, sign_in
from kestrel.testing.factories import AccessLevelFactory, SchoolFactory, StudentFactory, UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "the trust office is up the hill"


@pytest.fixture
def lead(transactional_db):
    ashdown = SchoolFactory(name="Ashdown Primary School")
    brook = SchoolFactory(name="Brook Lane Academy")
    AccessLevelFactory(school=brook, name="DSL team", rank=40)
    trust = trusts.create_trust(name="Downland Trust")
    trusts.add_school(trust=trust, school=ashdown)
    trusts.add_school(trust=trust, school=brook)
    StudentFactory(school=ashdown)
    student = StudentFactory(school=brook)
    user = UserFactory(
        school=ashdown, email="lead@example.org", job_title="Trust safeguarding lead"
    )
    user.set_password(PASSWORD)
    user.save()
    authenticator_for(user)
    trusts.add_lead(trust=trust, user=user)
    return user, student


def test_the_trust_lead_sees_two_schools_and_unlocks_the_key_to_open_a_record(
    page, lead, live_server
):
    user, student = lead
    site = live_server.url
    sign_in(page, site, user.email, PASSWORD)

    page.get_by_role("link", name="Switch school").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Switch school")
    check_page(page, "switch-school")
    page.get_by_role("link", name="Your trust’s schools side by side").click()
    table = page.get_by_role("region", name="Downland Trust: schools side by side")
    expect(table.get_by_role("columnheader", name="Ashdown Primary School")).to_be_visible()
    expect(table.get_by_role("columnheader", name="Brook Lane Academy")).to_be_visible()
    expect(table.get_by_role("row", name="Pupils on roll")).to_contain_text("1")
    check_page(page, "trust")

    page.get_by_role("button", name="Work at Brook Lane Academy").click()
    expect(page.get_by_text("You are working at Brook Lane Academy.")).to_be_visible()
    chronology = site + reverse("students:chronology", args=[student.pk])
    page.goto(chronology)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unlock key access")
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(user))
    )
    page.get_by_role("button", name="Unlock", exact=True).click()
    expect(page).to_have_url(chronology)
    expect(page.get_by_text("Key access on until")).to_be_visible()
