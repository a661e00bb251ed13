"""Import students in a real browser (issue 20's "Done when"): the demo school's administrator
uploads the school's roll as SIMS exports it, with 20 joiners, 5 leavers and 3 students moved to
another registration group; sees exactly those in the preview; confirms; watches the progress bar
while a worker runs the queued tasks; finds the joiners in Add Incident's type-ahead; and a
re-import of the same file has nothing to change."""

import datetime
import re

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import expect

from kestrel.accounts.models import User
from kestrel.roster import pupils
from kestrel.roster.models import RosterImport, State
from kestrel.roster.tests import exports
from kestrel.students.models import Student
from kestrel.testing.browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "the office keeps the register by the door"
# The guide's students' families (demo.school, which the product may not import): left alone.
GUIDE_SURNAMES = ("Greenwood", "Bradshaw", "Hussain")
SIMS_FIELDS = [field for _, field, _ in exports.sims_columns()]
ARTIFACTS = "var/test-artifacts"


@pytest.fixture
def demo(transactional_db, live_server, settings):
    # The database queue, as in production: the check and the import wait for a worker, and
    # the test runs that worker when it has seen the progress bar.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("seed_demo")
    admin = User.objects.get(is_school_admin=True)
    admin.set_password(PASSWORD)
    admin.save()
    return live_server.url, admin


def as_exported(student: Student) -> dict:
    """A student as the MIS holds them: what its export writes of them."""
    return {field: getattr(student, field) for field in SIMS_FIELDS}


def run_the_worker() -> None:
    """Runs every queued task, as a worker would, then stops."""
    call_command(
        "db_worker", batch=True, queue_name="*", startup_delay=False, reload=False, verbosity=0
    )
    failed = DBTaskResult.objects.failed()
    assert not failed.exists(), [result.traceback for result in failed]


def go_to_import_students(page, site) -> None:
    page.goto(f"{site}/dashboard/")
    page.get_by_role("link", name="School set-up").click()
    page.get_by_role("link", name="Import students").click()
    expect(page.get_by_role("heading", name="Import students", level=1)).to_be_visible()


def upload(page, content: bytes) -> None:
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "ashdown-roll.csv", "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_label("This file lists every student on roll").check()
    page.get_by_role("button", name="Upload and check").click()


def test_the_administrator_imports_the_roll_with_joiners_leavers_and_moves(page, demo):
    site, admin = demo
    school = admin.school
    on_roll = list(Student.objects.filter(school=school, on_roll=True).order_by("pk"))
    others = [s for s in on_roll if s.legal_last_name not in GUIDE_SURNAMES]
    leavers = others[10:260:50]  # five students across the school, left out of the file
    moved = others[5:300:100]  # three moved to the other class of their year
    moves = {
        s.pk: s.tutor_group[:-1] + ("B" if s.tutor_group.endswith("A") else "A") for s in moved
    }
    joiners = exports.sample_students(20, start=1, year_groups=range(0, 7))
    listed = [
        {**as_exported(s), "tutor_group": moves.get(s.pk, s.tutor_group)}
        for s in on_roll
        if s not in leavers
    ]
    content = exports.sims_csv(listed + joiners)
    assert (len(leavers), len(moved)) == (5, 3) and not set(leavers) & set(moved)

    sign_in(page, site, admin.email, PASSWORD)
    go_to_import_students(page, site)
    assert_accessible(page)
    page.screenshot(path=f"{ARTIFACTS}/roster-upload.png", full_page=True)
    refreshes = []
    page.on(
        "response",
        lambda response: (
            "progress=1" in response.url
            and refreshes.append((response.status, response.headers.get("hx-refresh")))
        ),
    )
    upload(page, content)

    # The check waits for the worker: the page says so, with a progress bar.
    expect(page.get_by_role("heading", name="Checking the file")).to_be_visible()
    expect(page.locator("progress")).to_be_visible()
    expect(page.get_by_text("You can leave this page: the check carries on")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=f"{ARTIFACTS}/roster-checking.png", full_page=True)
    run_the_worker()
    # The page notices by itself (htmx asks every second) and shows the preview.
    expect(page.get_by_role("heading", name="Check the import")).to_be_visible(timeout=15_000)
    assert (204, "true") in refreshes

    roster_import = RosterImport.objects.get(school=school)
    counts = roster_import.counts
    expected = {"new": 20, "changed": 3, "leaving": 5, "refused": 0, "held": 0}
    assert {name: counts[name] for name in expected} == expected
    assert counts["unchanged"] == len(on_roll) - 5 - 3
    summary = page.locator(".govuk-summary-list")
    for key, value in [("New", 20), ("Changed", 3), ("Leaving", 5), ("Refused", 0)]:
        row = summary.locator(".govuk-summary-list__row").filter(
            has=page.locator("dt", has_text=re.compile(f"^{key}$"))
        )
        expect(row.locator("dd")).to_have_text(str(value))
    new = page.get_by_role("table", name="New")
    expect(new.locator("tbody tr")).to_have_count(20)
    changed = page.get_by_role("table", name="Changed")
    expect(changed.locator("tbody tr")).to_have_count(3)
    for student in moved:
        row = changed.locator("tbody tr").filter(has_text=student.label)
        expect(row).to_contain_text(
            f"Registration group: {student.tutor_group} → {moves[student.pk]}"
        )
    leaving = page.get_by_role("table", name="Leaving")
    expect(leaving.locator("tbody tr")).to_have_count(5)
    for student in leavers:
        expect(leaving.locator("tbody tr").filter(has_text=student.label)).to_have_count(1)
    assert_accessible(page)
    page.screenshot(path=f"{ARTIFACTS}/roster-preview.png", full_page=True)

    # Five of the roll is not more than one in ten: no second confirmation is asked for.
    assert len(on_roll) >= 50
    assert not pupils.needs_second_confirmation(counts)
    expect(page.get_by_label("Yes, 5 students are leaving")).to_have_count(0)
    assert Student.objects.filter(school=school, on_roll=True).count() == len(on_roll)
    page.get_by_role("button", name="Confirm import").click()

    expect(page.get_by_role("heading", name="Importing")).to_be_visible()
    progress = page.locator("progress")
    expect(progress).to_have_attribute("max", "28")  # 20 new, 3 changed, 5 leaving
    expect(progress).to_have_attribute("value", "0")
    expect(page.get_by_text("0 of 28 done (0%).")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=f"{ARTIFACTS}/roster-importing.png", full_page=True)
    run_the_worker()
    expect(page.get_by_role("heading", name="Import complete")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("20 added, 3 changed, 5 marked as left.")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=f"{ARTIFACTS}/roster-result.png", full_page=True)

    roster_import.refresh_from_db()
    assert roster_import.state == State.DONE
    today = datetime.date.today()
    for student in leavers:
        student.refresh_from_db()
        assert (student.on_roll, student.left_on) == (False, today)
    for student in moved:
        student.refresh_from_db()
        assert student.tutor_group == moves[student.pk]
    assert Student.objects.filter(school=school, on_roll=True).count() == len(on_roll) - 5 + 20

    # The joiners are in Add Incident's type-ahead.
    page.get_by_role("link", name="Add Incident").click()
    for joiner in (joiners[7], joiners[18]):
        first, last = joiner["legal_first_name"], joiner["legal_last_name"]
        box = page.get_by_label("Student", exact=True)
        box.fill(f"{first} {last[:4]}".lower())
        option = page.get_by_role("option", name=f"{first} {last} ({joiner['tutor_group']})")
        expect(option).to_be_visible()
        box.fill("")

    # The same file again: nothing to change.
    go_to_import_students(page, site)
    expect(page.get_by_role("table", name="Recent imports")).to_contain_text("20 added")
    upload(page, content)
    expect(page.get_by_role("heading", name="Checking the file")).to_be_visible()
    run_the_worker()
    expect(page.get_by_role("heading", name="Check the import")).to_be_visible(timeout=15_000)
    expect(
        page.get_by_text("There is nothing to change: every student in the file is already as it")
    ).to_be_visible()
    again = RosterImport.objects.filter(school=school).order_by("-pk").first()
    assert (again.counts["new"], again.counts["changed"], again.counts["leaving"]) == (0, 0, 0)
    assert again.counts["unchanged"] == len(listed) + 20
    assert_accessible(page)
    page.screenshot(path=f"{ARTIFACTS}/roster-nothing-to-change.png", full_page=True)

    # Each page of the import at a phone's 320 px and a desktop's 1280 px: nothing wider than
    # the window (tables scroll in their own region), and axe finds nothing.
    wider = []
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for path in (
            "/school/import/students/",
            f"/school/import/{roster_import.pk}/",
            f"/school/import/{roster_import.pk}/rows/new/",
            f"/school/import/{again.pk}/",
        ):
            page.goto(site + path)
            if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
                wider.append((path, width))
            assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 900})
    page.goto(f"{site}/school/import/{roster_import.pk}/")
    page.screenshot(path=f"{ARTIFACTS}/roster-result-320.png", full_page=True)
    assert wider == []
