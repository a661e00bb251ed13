"""Sending a file to a school on Kestrel, in Chromium, as the demo school's DSL: Kacper's file is
due at Brook Lane Academy, a school of the same Kestrel; a first try failed (its reason shown,
with Try again); the DSL sees the school as Kestrel names it, confirms, and the file arrives
there. Each page at 320 and 1280 px: nothing wider than the window, axe clean."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kestrel.accounts.models import User
from kestrel.schools.models import School
from kestrel.students.models import Student
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import check_page, sign_in
from kestrel.transfers.models import (
    DeliveryState,
    Destination,
    KestrelDelivery,
    Received,
    State,
    Transfer,
)
from kestrel.transfers.services import set_destination

pytestmark = pytest.mark.browser

PASSWORD = "seven quiet owls over the playground"


@pytest.fixture
def kacpers_transfer(page, transactional_db, live_server):
    """The demo school, with Brook Lane Academy on the same Kestrel and Kacper on its roll;
    Kacper's file due there, a first try at sending it failed."""
    call_command("seed_demo")
    chloe = User.objects.get(email="chloe.kelan@example.org")
    chloe.set_password(PASSWORD)
    chloe.save()
    kacper = Student.objects.get(legal_first_name="Kacper", legal_last_name="Nowak")
    brook = School.objects.create(name="Brook Lane Academy", urn="100002")
    Student.objects.create(
        school=brook,
        legal_first_name="Kacper",
        legal_last_name="Nowak",
        date_of_birth=kacper.date_of_birth,
        upn=kacper.upn,
        year_group=kacper.year_group,
    )
    transfer = Transfer.objects.get(student=kacper)
    set_destination(
        transfer=transfer,
        destination=Destination.SCHOOL,
        details={"destination_school": brook, "destination_name": brook.name},
        actor=chloe,
    )
    KestrelDelivery.objects.create(
        school=transfer.school,
        transfer=transfer,
        requested_by=chloe,
        requested_at=timezone.now() - datetime.timedelta(hours=1),
        to_name=brook.name,
        to_urn=brook.urn,
        state=DeliveryState.FAILED,
        reason="Brook Lane Academy refused the file: The package is for another school.",
        finished_at=timezone.now(),
    )
    return chloe, transfer


def test_the_dsl_sends_kacpers_file_to_a_school_on_kestrel(page, kacpers_transfer, live_server):
    chloe, transfer = kacpers_transfer
    sign_in(page, live_server.url, chloe.email, PASSWORD)
    page.goto(f"{live_server.url}/transfers/{transfer.pk}/")
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(chloe))
    )
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("button", name="Prepare the file").click()
    expect(page.get_by_role("heading", name="To a school on Kestrel")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("The file was not sent to Brook Lane Academy")).to_be_visible()
    expect(page.get_by_text("The package is for another school.")).to_be_visible()
    check_page(page, "kestrel-route-failed")

    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Send the file to a school on Kestrel"
    )
    expect(page.get_by_text("This Kestrel", exact=True)).to_be_visible()
    check_page(page, "kestrel-route-confirm")
    page.get_by_role("button", name="Send the file to Brook Lane Academy").click()
    expect(page.get_by_text("Sent to Brook Lane Academy on Kestrel", exact=False)).to_be_visible()
    expect(page.get_by_text("Waiting for their DSL to accept it", exact=False)).to_be_visible()
    expect(page.get_by_text("To a school on Kestrel: Brook Lane Academy")).to_be_visible()
    check_page(page, "kestrel-route-sent")
    transfer.refresh_from_db()
    assert transfer.state == State.SENT
    received = Received.objects.get(school__name="Brook Lane Academy")
    assert received.student.legal_first_name == "Kacper"
