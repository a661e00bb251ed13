"""The DSL's pages in the demo school, at a phone's 320 px and a desktop's 1280 px: no sideways
scrolling and no accessibility violations."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from kestrel.accounts.models import User
from kestrel.incidents.models import Incident
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "seven quiet owls over the playground"


@pytest.fixture
def chloe(page, transactional_db, live_server):
    """The demo school's DSL, signed in (her key still locked)."""
    call_command("seed_demo")
    dsl = User.objects.get(email="chloe.kelan@example.org")
    dsl.set_password(PASSWORD)
    dsl.save()
    sign_in(page, live_server.url, dsl.email, PASSWORD)
    return dsl


def test_the_dsls_pages_fit_a_phone_and_a_desktop_and_pass_axe(page, chloe, live_server):
    site = live_server.url
    page.get_by_role("link", name="Unlock key").click()
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(chloe))
    )
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_text("Key access is on until")).to_be_visible()
    inc = Incident.objects.get(student__legal_first_name="Hannah")
    bad = []
    for w in (320, 1280):
        page.set_viewport_size({"width": w, "height": 900})
        for path in [
            f"/incidents/{inc.pk}/",
            f"/students/{inc.student_id}/",
            "/students/?q=green",
            "/dashboard/",
            f"/incidents/{inc.pk}/actions/add/",
            "/incidents/add/",
            "/library/",
            "/audit/",
            f"/audit/students/{inc.student_id}/",
            f"/incidents/{inc.pk}/correct/",
            "/key/",
        ]:
            page.goto(site + path)
            if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
                bad.append((path, w))
            assert_accessible(page)
    assert bad == []


def test_the_dsl_goes_from_an_incident_to_the_childs_chronology_and_its_audit_trail(
    page, chloe, live_server
):
    site = live_server.url
    incident = Incident.objects.filter(student__legal_first_name="Hannah").first()
    page.goto(f"{site}/incidents/{incident.pk}/")
    page.get_by_role("link", name="View chronology").click()
    # A locked key is unlocked first, then the chronology opens.
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(chloe))
    )
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hannah Greenwood (1B)")
    expect(page.get_by_text("Chronology", exact=True)).to_be_visible()
    page.get_by_role("link", name="Who has viewed these records").click()
    expect(page.get_by_text("Who has viewed or changed this student’s records")).to_be_visible()
    page.get_by_role("link", name="View chronology").click()
    expect(page).to_have_url(f"{site}/students/{incident.student_id}/")
    # And from the menu: Students, find her, open her chronology.
    page.get_by_role("link", name="Students").click()
    page.get_by_label("Name, UPN or registration group").fill("hannah")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Hannah Greenwood (1B)", exact=True).click()
    expect(page).to_have_url(f"{site}/students/{incident.student_id}/")
