"""The foundation in a real browser: signing in for the first time, School set-up, the shell."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from kestrel.students.models import Student
from kestrel.testing.browser import assert_accessible, axe_violations, sign_in
from kestrel.testing.factories import StudentFactory

pytestmark = pytest.mark.browser

NEW_PASSWORD = "kestrel hovers over the meadow at dawn"


@pytest.fixture
def site(transactional_db, live_server, people, school):
    return live_server.url


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_new_member_of_staff_sets_a_first_password_and_reaches_the_dashboard(page, site, people):
    page.goto(f"{site}/login/")
    assert_accessible(page)
    page.get_by_role(
        "link", name="Forgotten your password or using Kestrel for the first time?"
    ).click()
    page.get_by_label("Email Address").fill("James.Carter@example.org")
    page.get_by_role("button", name="Reset Password").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_accessible(page)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["james.carter@example.org"]
    link = re.search(r"https?://\S+/password-reset/\S+/", email.body).group(0)
    page.goto(link.replace("http://testserver", site))
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()

    # The guide: after setting a password you are directed to the login page.
    assert page.url == f"{site}/login/"
    expect(page.get_by_text("Your password has been set.")).to_be_visible()
    sign_in(page, site, "james.carter@example.org", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(
        page.get_by_text("You have not logged any incidents or actions in the last 7 days.")
    ).to_be_visible()
    expect(
        page.get_by_text(
            "It is your responsibility to log out and protect the security of student information."
        )
    ).to_be_visible()
    for name in ["Dashboard", "Add Incident", "Library", "Account Settings"]:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Logout")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("width", [320, 1920])
def test_the_school_set_up_pages_are_accessible_at_every_width(page, site, people, password, width):
    StudentFactory(school=people.admin.school, legal_first_name="Zoë", legal_last_name="O'Brien")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, site, people.admin.email, password)
    paths = ["/dashboard/", "/account/", "/account/password/", "/school/", "/school/details/"]
    for slug in ["staff", "students", "categories", "alert-groups", "agencies", "access-levels"]:
        paths += [f"/school/{slug}/", f"/school/{slug}/add/"]
    for path in paths:
        page.goto(f"{site}{path}")
        assert page.title().endswith("Kestrel"), path
        assert_accessible(page)
        assert no_sideways_scroll(page), f"{path} scrolls sideways at {width}px"


def test_a_student_with_an_impossible_birth_date_is_refused_and_nothing_typed_is_lost(
    page, site, people, password
):
    sign_in(page, site, people.admin.email, password)
    page.goto(f"{site}/school/students/add/")
    page.get_by_label("Legal first name").fill("Noor-Ul-Ain")
    page.get_by_label("Legal last name").fill("O'Connor")
    page.get_by_label("Day").first.fill("31")
    page.get_by_label("Month").first.fill("2")
    page.get_by_label("Year").first.fill("2016")
    page.get_by_label("Year group").select_option(label="Year 3")
    page.get_by_label("Registration group").fill("3A")
    page.get_by_role("button", name="Add student").click()

    summary = page.get_by_role("alert")
    expect(summary.get_by_text("There is a problem")).to_be_visible()
    expect(summary.get_by_role("link", name="Date of birth must be a real date.")).to_be_visible()
    assert page.title().startswith("Error: ")
    assert page.get_by_label("Legal first name").input_value() == "Noor-Ul-Ain"
    assert page.get_by_label("Legal last name").input_value() == "O'Connor"
    assert page.get_by_label("Registration group").input_value() == "3A"
    assert_accessible(page)
    assert not Student.objects.filter(legal_first_name="Noor-Ul-Ain").exists()

    page.get_by_label("Day").first.fill("28")
    page.get_by_role("button", name="Add student").click()
    expect(page.get_by_text("Student “Noor-Ul-Ain O'Connor (3A)” has been added.")).to_be_visible()
    student = Student.objects.get(legal_first_name="Noor-Ul-Ain")
    assert (student.school, str(student.date_of_birth)) == (people.admin.school, "2016-02-28")


def test_blank_screen_covers_the_page_and_a_key_brings_it_back_as_it_was(
    page, site, people, password
):
    sign_in(page, site, people.admin.email, password)
    page.goto(f"{site}/school/agencies/add/")
    page.get_by_label("Agency name").fill("Children's Social Care")
    page.get_by_role("button", name="Blank Screen").click()
    cover = page.locator("#blank-screen")
    expect(cover).to_be_visible()
    box, viewport = cover.bounding_box(), page.viewport_size
    assert (box["width"], box["height"]) == (viewport["width"], viewport["height"])
    assert page.evaluate(
        "document.elementFromPoint(innerWidth / 2, innerHeight / 2)"
        ".closest('#blank-screen') !== null"
    )
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(cover).to_be_hidden()
    assert page.get_by_label("Agency name").input_value() == "Children's Social Care"


def test_the_accessibility_check_really_finds_problems(page):
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main>'
        '<input type="text"><img src="data:,"><a href="#"></a></main></body></html>'
    )
    rules = {violation["id"] for violation in axe_violations(page)}
    assert {"label", "image-alt", "link-name"} <= rules
