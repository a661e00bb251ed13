"""The demo school's governors' report shows something real: its counts are the demo's own
incidents, counted here straight from the tables, with the small ones hidden."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.reports import HISTORY
from kestrel.access.policies import Viewer
from kestrel.accounts.models import User
from kestrel.incidents.models import Category, Incident
from kestrel.reports.governors import governors_report
from kestrel.reports.suppression import FEWER_THAN
from kestrel.schools.models import School
from kestrel.schools.scope import scope


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    return School.objects.get()


def year_start(today: datetime.date) -> datetime.date:
    return datetime.date(today.year if today.month >= 8 else today.year - 1, 8, 1)


def test_the_governors_report_counts_the_demo_schools_incidents(demo):
    today = timezone.localdate()
    chloe = User.objects.get(email__startswith="chloe.kelan@")
    with scope(school=demo.pk):
        report = governors_report(Viewer(user=chloe, key_unlocked=True), demo, today=today)
    since = timezone.make_aware(datetime.datetime.combine(year_start(today), datetime.time()))
    table = report.table("categories")
    assert table.rows[:3] == ["Behaviour", "Bullying", "Child Protection"]
    shown = 0
    for name, _, total in table.lines:
        category = Category.objects.get(school=demo, name=name, parent__isnull=True)
        counted = Incident.objects.filter(categories=category, occurred_at__gte=since).count()
        assert total.value == counted
        if total.shown:
            assert total.text == str(counted)
            shown += counted > 0
        elif total.hidden == "primary":
            assert total.text == FEWER_THAN and 0 < counted < 5
    assert shown >= 3  # the demo's term shows real numbers, not only hidden ones
    lines = {name: total for name, _, total in table.lines}
    assert lines["Behaviour"].text == str(dict((m, n) for m, s, n in HISTORY)["Behaviour"])
    assert lines["Prevent"].text == FEWER_THAN
    everything = Incident.objects.filter(school=demo, occurred_at__gte=since).count()
    assert table.table.grand_total.text == str(everything)
    groups = {name: total for name, _, total in report.table("vulnerable").lines}
    assert (
        groups["Pupil premium"].value
        == Incident.objects.filter(
            school=demo, occurred_at__gte=since, student__pupil_premium=True
        ).count()
    )
    assert groups["Pupil premium"].value > 0
