"""In Chromium, as the demo school's DSL: a file refused by the school it was sent to on Kestrel
shows on the Dashboard as needing action and on its transfer page with the receiving DSL's reason
and what to do; the DSL checks where the child has gone and the file is to be sent again. Each
page at 320 and 1280 px: nothing wider than the window, axe clean."""

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kestrel.accounts.models import User
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import check_page, sign_in
from kestrel.transfers.models import Route, State, Transfer
from kestrel.transfers.services import record_refusal

pytestmark = pytest.mark.browser

PASSWORD = "seven quiet owls over the playground"
REASON = "Not our pupil: no child of that name or UPN has joined Oak Hill"


@pytest.fixture
def chloe(page, transactional_db, live_server):
    call_command("seed_demo")
    dsl = User.objects.get(email="chloe.kelan@example.org")
    dsl.set_password(PASSWORD)
    dsl.save()
    return dsl


def test_the_dsl_sees_rubys_file_refused_and_checks_where_she_has_gone(page, chloe, live_server):
    ruby = Transfer.objects.get(student__legal_first_name="Ruby")
    Transfer.objects.filter(pk=ruby.pk).update(route=Route.KESTREL)
    record_refusal(
        transfer=ruby,
        name="Sam Patel",
        role="Designated Safeguarding Lead",
        reason=REASON,
        at=timezone.now(),
    )
    sign_in(page, live_server.url, chloe.email, PASSWORD)
    page.goto(f"{live_server.url}/dashboard/")
    reminders = page.locator("#transfer-reminders")
    expect(reminders).to_contain_text(
        "Refused 1 file refused by the school it was sent to: check where the child has gone"
    )
    reminders.get_by_role("link", name="1 file refused", exact=False).click()
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(chloe))
    )
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("link", name="Ruby Ellingham").click()
    expect(page.get_by_text(f"Their reason: {REASON}").first).to_be_visible()
    expect(page.get_by_role("heading", name="What to do now")).to_be_visible()
    check_page(page, "transfer-refused")
    page.get_by_role("link", name="Check where the child has gone").click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Where the child has gone is recorded.")).to_be_visible()
    ruby.refresh_from_db()
    assert ruby.state == State.DUE
    # The refusal stays on the record.
    expect(page.locator("#refusal")).to_contain_text("Sam Patel")
    check_page(page, "transfer-due-after-refusal")
