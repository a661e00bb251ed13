"""The Dashboard with more alerts than one page holds, in a real browser: older alerts a link
away, and the DSL team's overdue alerts above them."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kestrel.accounts.models import User
from kestrel.alerts.models import Alert
from kestrel.students.models import Student
from kestrel.testing.browser import assert_accessible, sign_in
from kestrel.testing.factories import IncidentFactory

pytestmark = pytest.mark.browser

PASSWORD = "kestrel hovers over the meadow at dawn"


@pytest.fixture
def busy(transactional_db, live_server):
    """The demo school, where Chloe Kelan (a key holder) has 40 unread alerts, the oldest 12
    of them two weeks old (overdue)."""
    call_command("seed_demo")
    chloe = User.objects.get(email="chloe.kelan@example.org")
    chloe.set_password(PASSWORD)
    chloe.save()
    wendy = User.objects.get(email="wendy.abbott@example.org")
    now = timezone.now()
    hannah = Student.objects.get(school=chloe.school, legal_first_name="Hannah")
    for n in range(40):
        incident = IncidentFactory(student=hannah, reporter=wendy)
        age = datetime.timedelta(days=14, minutes=n) if n < 12 else datetime.timedelta(hours=n)
        Alert.objects.create(
            school=chloe.school,
            incident=incident,
            recipient=chloe,
            sender=wendy,
            created_at=now - age,
        )
    return live_server.url


def test_the_dsl_pages_through_alerts_and_sees_the_oldest_overdue_first(page, busy):
    sign_in(page, busy, "chloe.kelan@example.org", PASSWORD)
    unread = Alert.objects.filter(recipient__email="chloe.kelan@example.org", read_at=None).count()
    alerts = page.get_by_role("table", name="Alert").locator("tbody tr")
    expect(alerts).to_have_count(25)
    banner = page.get_by_role("region", name="Overdue alerts to the DSL team")
    expect(banner).to_contain_text("More than 10 alerts to the DSL team have not been read")
    expect(banner.get_by_role("listitem")).to_have_count(10)
    expect(banner.get_by_role("listitem").first).to_contain_text("14 days ago")
    assert_accessible(page)
    page.screenshot(path="var/test-artifacts/dashboard-dsl-page-1.png", full_page=True)
    page.get_by_role("link", name="Older alerts").click()
    expect(page).to_have_url(f"{busy}/dashboard/?page=2")
    expect(alerts).to_have_count(unread - 25)
    expect(page.get_by_role("link", name="Older alerts")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("link", name="Newer alerts").click()
    expect(alerts).to_have_count(25)
