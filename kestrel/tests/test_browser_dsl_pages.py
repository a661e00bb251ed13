"""The DSL's pages in the demo school, at a phone's 320 px and a desktop's 1280 px: no sideways
scrolling and no accessibility violations."""

import pytest
from django.core.management import call_command

from kestrel.accounts.models import User
from kestrel.incidents.models import Incident
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "seven quiet owls over the playground"


def test_the_dsls_pages_fit_a_phone_and_a_desktop_and_pass_axe(page, transactional_db, live_server):
    call_command("seed_demo")
    chloe = User.objects.get(email="chloe.kelan@example.org")
    chloe.set_password(PASSWORD)
    chloe.save()
    site = live_server.url
    sign_in(page, site, chloe.email, PASSWORD)
    page.get_by_role("link", name="Unlock key").click()
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(chloe))
    )
    page.get_by_role("button", name="Unlock").click()
    inc = Incident.objects.get(student__legal_first_name="Hannah")
    bad = []
    for w in (320, 1280):
        page.set_viewport_size({"width": w, "height": 900})
        for path in [
            f"/incidents/{inc.pk}/",
            f"/students/{inc.student_id}/",
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
