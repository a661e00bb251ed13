"""A file arrives at the demo school from Hannah Greenwood's last school under a UPN the school
never had: it is held; Chloe (the DSL) opens it from Files received, matches it to Hannah by hand
(her date of birth offers her), accepts it asking the SENCO to see her, reads the entries on
Hannah's chronology labelled with the school they came from, and records her review. Every page
at 320 and 1280 px: nothing wider than the window, axe clean."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from kestrel.accounts.models import User
from kestrel.casefile.models import CaseEvent
from kestrel.students.models import Student
from kestrel.students.upn import make_upn
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import check_page, sign_in
from kestrel.transfer_pages.tests.packages import CASE_EVENT, INCIDENT, deliver
from kestrel.transfers.models import ReceivedState

pytestmark = pytest.mark.browser

PASSWORD = "seven quiet owls over the playground"
FROM = "Oakfield Primary School"


@pytest.fixture
def chloe(page, transactional_db, live_server):
    call_command("seed_demo")
    dsl = User.objects.get(email="chloe.kelan@example.org")
    dsl.set_password(PASSWORD)
    dsl.save()
    return dsl


def test_the_dsl_matches_accepts_and_reviews_a_file_received(page, chloe, live_server, monkeypatch):
    # The receipt's delivery to the sending school is kestrel.transfer_pages.delivery's test.
    receipts = []
    monkeypatch.setattr(
        "kestrel.transfer_pages.receiving.send_receipt", lambda received: receipts.append(received)
    )
    site = live_server.url
    hannah = Student.objects.get(legal_first_name="Hannah", legal_last_name="Greenwood")
    senco = User.objects.filter(school=chloe.school, is_active=True).exclude(pk=chloe.pk).first()
    received = deliver(
        chloe.school,
        upn=make_upn(886, 2417, 19, 977),
        legal_last_name="Greenwood",
        date_of_birth=hannah.date_of_birth.isoformat(),
    )
    assert received.state == ReceivedState.HELD

    sign_in(page, site, chloe.email, PASSWORD)
    page.goto(f"{site}/transfers/received/")
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(chloe))
    )
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Files received")
    check_page(page, "received-list")

    page.get_by_role("link", name="Hannah Greenwood").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Child protection file from {FROM}")
    check_page(page, "received-held")
    page.get_by_role("button", name="Match to this student").click()
    expect(page.get_by_text("Choose a student, or enter their UPN.").first).to_be_visible()
    page.get_by_label(f"Hannah Greenwood ({hannah.tutor_group})").check()
    page.get_by_role("button", name="Match to this student").click()
    expect(page.get_by_text("The file is matched.")).to_be_visible()
    check_page(page, "received-waiting")

    page.get_by_text("Also alert colleagues (optional)").click()
    page.get_by_label(senco.full_name, exact=False).first.check()
    page.get_by_role("button", name="Accept file").click()
    expect(page.get_by_text("File accepted.")).to_be_visible()
    check_page(page, "received-accepted")
    assert CaseEvent.objects.filter(student=hannah, source_school=FROM).count() == 2
    assert len(receipts) == 1

    page.get_by_role("link", name="the child's chronology").click()
    expect(page.get_by_text(f"From {FROM}").first).to_be_visible()
    expect(page.get_by_text(CASE_EVENT["summary"])).to_be_visible()
    expect(page.get_by_text(INCIDENT["child_words"]).first).to_be_visible()
    check_page(page, "received-chronology")

    page.go_back()
    page.get_by_label("What you found and what you did").fill(
        "Read the file with the SENCO. Started a Child Protection Plan status; told her social "
        "worker she has joined us."
    )
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_text("Review recorded.")).to_be_visible()
    check_page(page, "received-reviewed")
