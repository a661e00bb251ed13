"""The key facts in a real browser, at a phone's 320 px and a desktop's 1280 px: the DSL records
Hannah's father as a contact with parental responsibility and her social worker, from the Key
facts history page; no sideways scrolling and no accessibility violations on any page."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from kestrel.key_facts import selectors, services
from kestrel.testing.auth import authenticator_for, next_unused_code
from kestrel.testing.browser import assert_accessible, sign_in
from kestrel.testing.factories import StudentFactory, UserFactory

pytestmark = pytest.mark.browser

ARTIFACTS = Path("var/test-artifacts")


@pytest.fixture
def site(transactional_db, live_server, people):
    return live_server.url


@pytest.fixture
def hannah(school):
    return StudentFactory(
        school=school, legal_first_name="Hannah", legal_last_name="Greenwood", tutor_group="1B"
    )


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def looked_at(page, name: str, width: int, unfit: list) -> None:
    """Axe on the page as it is, whether it fits the window, and a screenshot to look at."""
    assert_accessible(page)
    if not fits(page):
        unfit.append((name, width))
    page.screenshot(path=str(ARTIFACTS / f"key-facts-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [320, 1280])
def test_the_dsl_records_a_parent_and_a_social_worker_from_the_history_page(
    page, site, people, password, hannah, width
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, site, people.dsl.email, password)
    page.goto(f"{site}/students/{hannah.pk}/key-facts/history/")
    # A locked key is unlocked first, then the page opens.
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(people.dsl))
    )
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Key facts history")
    unfit = []
    looked_at(page, "history-empty", width, unfit)

    page.get_by_role("link", name="Add contact").click()
    page.get_by_label("Name", exact=True).fill("Mark Greenwood")
    page.get_by_label("Relationship to the child").fill("Father")
    page.get_by_label("Has parental responsibility").check()
    page.get_by_label("Phone").fill("07700 900123")
    page.get_by_label("Address").fill("1 Mill Lane\nAshdown")
    page.get_by_label("Do not contact", exact=True).check()
    page.get_by_role("button", name="Add contact").click()
    # Refused: the reason is missing; what was typed is still there.
    expect(page.get_by_role("link", name="Enter the reason not to contact them.")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Mark Greenwood")
    looked_at(page, "add-contact-refused", width, unfit)
    page.get_by_label("Do not contact", exact=True).uncheck()
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_text("Contact added.")).to_be_visible()
    expect(page.get_by_role("heading", name="Mark Greenwood (Father)", exact=True)).to_be_visible()

    page.get_by_role("link", name="Add professional").click()
    looked_at(page, "add-professional", width, unfit)
    page.get_by_label("Social worker").check()
    page.get_by_label("Name", exact=True).fill("Priya Shah")
    page.get_by_label("Organisation").fill("Ashdown Children's Services")
    page.get_by_label("Phone").fill("01632 960001")
    page.get_by_role("button", name="Add professional").click()
    expect(page.get_by_text("Professional added.")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Priya Shah (Social worker)", exact=True)
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Contact: Mark Greenwood: added")).to_be_visible()
    looked_at(page, "history", width, unfit)

    page.get_by_role("link", name="Change contact Mark Greenwood").click()
    looked_at(page, "change-contact", width, unfit)
    # While the form is open, a colleague saves a new phone number: the save is refused, their
    # change is shown and the address typed here is kept; saving again keeps both.
    (opened,) = selectors.current_contacts(hannah)
    services.change_contact(
        actor=UserFactory(
            school=hannah.school, first_name="Dev", last_name="Deputy", is_key_holder=True
        ),
        contact=opened.contact,
        started_from=opened.number,
        **{f: getattr(opened, f) for f in opened.FIELDS if f not in ("ended", "end_reason")}
        | {"phone": "07700 900999"},
    )
    page.get_by_label("Address").fill("2 Mill Lane\nAshdown")
    page.get_by_role("button", name="Save contact").click()
    expect(page.get_by_text("Dev Deputy (Class teacher) saved a change on")).to_be_visible()
    expect(page.get_by_role("cell", name="07700 900999")).to_be_visible()
    expect(page.get_by_label("Address")).to_have_value("2 Mill Lane\nAshdown")
    # The phone number was not changed here: the form now shows the colleague's.
    expect(page.get_by_label("Phone")).to_have_value("07700 900999")
    looked_at(page, "change-contact-meanwhile", width, unfit)
    page.get_by_role("button", name="Save contact").click()
    expect(page.get_by_text("Contact Mark Greenwood saved.")).to_be_visible()

    page.get_by_role("link", name="Add notes").click()
    looked_at(page, "notes", width, unfit)
    page.get_by_label("Notes").fill("Dad collects on Mondays and Fridays.")
    page.get_by_role("button", name="Save notes").click()
    expect(page.get_by_text("Dad collects on Mondays and Fridays.").first).to_be_visible()
    page.get_by_role("link", name="No longer involved (professional Priya Shah)").click()
    looked_at(page, "end-professional", width, unfit)
    page.get_by_label("Why are they no longer involved?").fill("Case closed")
    page.get_by_role("button", name="Confirm no longer involved").click()
    expect(page.get_by_text("Priya Shah is no longer involved.")).to_be_visible()
    looked_at(page, "history-after", width, unfit)
    assert unfit == []

    (father,) = selectors.current_contacts(hannah)
    assert (father.name, father.parental_responsibility) == ("Mark Greenwood", True)
    assert (father.number, father.phone, father.address) == (
        3,
        "07700 900999",
        "2 Mill Lane\nAshdown",
    )
    assert list(selectors.current_professionals(hannah)) == []
    assert selectors.history(hannah)[0].version.end_reason == "Case closed"
