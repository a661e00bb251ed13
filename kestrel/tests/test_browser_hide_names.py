"""Hide Names in a real browser: with it on, no student's name reaches any page a DSL opens."""

import datetime
import html

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kestrel.accounts.models import User
from kestrel.incidents.models import Category, Incident
from kestrel.incidents.services import add_incident
from kestrel.library.models import Document  # noqa: F401 - the Library is one of the pages
from kestrel.students.models import Student
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import sign_in

pytestmark = pytest.mark.browser

PASSWORD = "kestrel hovers over the meadow at dawn"


@pytest.fixture
def demo(transactional_db, live_server):
    call_command("seed_demo")
    chloe = User.objects.get(email="chloe.kelan@example.org")
    chloe.set_password(PASSWORD)
    chloe.save()
    zoe = Student.objects.get(legal_first_name="Zoë", legal_last_name="O'Brien")
    noor = Student.objects.get(legal_first_name="Noor-Ul-Ain", legal_last_name="Rahman")
    incident = add_incident(
        actor=chloe,
        student=zoe,
        text="ZOË said that zoë O'Brien and Noor-Ul-Ain were shouted at; Z.O. was upset.",
        categories=[Category.objects.get(school=zoe.school, name="Bullying")],
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        linked_students=[{"student": noor}],
    )
    return live_server.url, chloe, incident


def names_in(source: str, students) -> list[str]:
    """Every full name of every student, and each single name of the students named in records."""
    page = html.unescape(source)
    found = []
    for student in students:
        for full in {
            f"{student.legal_first_name} {student.legal_last_name}",
            f"{student.first_name} {student.last_name}",
        }:
            if full in page:
                found.append(full)
    return found


def test_with_hide_names_on_no_demo_students_name_is_in_any_page_a_dsl_opens(page, demo):
    site, chloe, incident = demo
    students = list(Student.objects.all())
    recorded = {incident.student, *(link.student for link in incident.links.all())}
    for other in Incident.objects.exclude(pk=incident.pk):
        recorded |= {other.student, *(link.student for link in other.links.all())}
    single_names = {name for student in recorded for name in student.all_names()}
    staff = [user.full_name for user in User.objects.all()]

    sign_in(page, site, chloe.email, PASSWORD)
    page.get_by_role("link", name="Unlock key").click()
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(chloe))
    )
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("button", name="Hide Names").click()
    expect(page.get_by_role("button", name="Show Names")).to_be_visible()

    paths = ["/dashboard/", "/incidents/add/", "/library/", "/audit/", "/audit/?q=green"]
    for each in Incident.objects.all():
        paths += [
            f"/incidents/{each.pk}/",
            f"/incidents/{each.pk}/actions/add/",
            f"/incidents/{each.pk}/correct/",
            f"/students/{each.student_id}/",
            f"/audit/students/{each.student_id}/",
        ]
    paths += [f"/audit/staff/{chloe.pk}/", "/students/search/?q=green", "/students/search/?q=zo"]
    for path in paths:
        response = page.goto(f"{site}{path}")
        assert response.status == 200, path
        source = page.content()
        assert names_in(source, students) == [], path
        text = html.unescape(source)
        for colleague in staff:  # a colleague may share a child's name: that is not a leak
            text = text.replace(colleague, "")
        leaked = [name for name in single_names if _whole_word(name, text)]
        assert leaked == [], f"{path}: {leaked}"
    assert "Z.O." in html.unescape(page.goto(f"{site}/incidents/{incident.pk}/").text())


def _whole_word(name: str, text: str) -> bool:
    import re

    return re.search(rf"(?<![\w'’-]){re.escape(name)}(?![\w'’-])", text, re.IGNORECASE) is not None
