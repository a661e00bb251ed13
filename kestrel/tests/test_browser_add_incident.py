"""Add Incident in a real browser, as the guide walks through it."""

import datetime

import pytest
from playwright.sync_api import expect

from kestrel.incidents.models import Incident
from kestrel.testing.browser import assert_accessible, sign_in
from kestrel.testing.factories import (
    AlertGroupFactory,
    CategoryFactory,
    StudentFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def site(transactional_db, live_server, people, school, levels):
    StudentFactory(
        school=school, legal_first_name="Hannah", legal_last_name="Greenwood", tutor_group="1B"
    )
    StudentFactory(
        school=school, legal_first_name="Matthew", legal_last_name="Greenwood", tutor_group="5B"
    )
    protection = CategoryFactory(
        school=school, name="Child Protection", access_level=levels.dsl, position=1
    )
    CategoryFactory(
        school=school, name="CAF", parent=protection, access_level=levels.dsl, position=1
    )
    CategoryFactory(school=school, name="Home Issues", access_level=levels.staff, position=2)
    slt = AlertGroupFactory(school=school, name="SLT")
    senco = UserFactory(
        school=school,
        first_name="Wendy",
        last_name="Abbott",
        job_title="SENCO",
        access_level=levels.staff,
    )
    slt.members.set([people.dsl, senco])
    return live_server.url


def test_a_teacher_adds_an_incident_choosing_student_categories_links_and_colleagues(
    page, site, people, password
):
    sign_in(page, site, people.teacher.email, password)
    page.get_by_role("link", name="Add Incident").click()
    expect(page.get_by_role("heading", name="Add Incident")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Student", exact=True).fill("hannah")
    page.get_by_role("option", name="Hannah Greenwood (1B)").click()
    expect(page.get_by_role("button", name="Remove Hannah Greenwood (1B)")).to_be_visible()
    expect(page.get_by_label("Student", exact=True)).to_be_hidden()  # chosen: the box is grey

    page.get_by_label("Incident", exact=True).fill(
        "Hannah said that her father waited at the gate."
    )
    expect(page.get_by_label("CAF")).to_be_hidden()
    page.get_by_label("Child Protection", exact=True).check()
    expect(page.get_by_label("CAF")).to_be_visible()  # subcategories appear when it is chosen
    page.get_by_label("CAF").check()

    page.get_by_label("Linked student(s)").fill("matthew")
    page.get_by_role("option", name="Matthew Greenwood (5B)").click()

    page.get_by_label("SLT", exact=True).check()
    wendy = page.locator(".kestrel-chip", has_text="Wendy Abbott")
    expect(wendy).to_have_class("kestrel-chip kestrel-chip--warning")  # red: cannot normally view
    expect(page.locator(".kestrel-chip", has_text="Chloe Kelan")).to_have_class("kestrel-chip")
    expect(
        page.get_by_text(
            "Colleagues highlighted in red would not normally be able to view this incident."
        )
    ).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Add Incident").click()
    expect(
        page.get_by_role("heading", name="Viewing Incident - Hannah Greenwood (1B)")
    ).to_be_visible()
    expect(
        page.get_by_text("The incident has been added and 2 colleagues alerted.")
    ).to_be_visible()
    assert_accessible(page)
    incident = Incident.objects.get()
    assert {c.name for c in incident.categories.all()} == {"Child Protection", "CAF"}
    assert [link.student.legal_first_name for link in incident.links.all()] == ["Matthew"]


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def test_files_upload_as_they_are_chosen_refusals_are_explained_and_the_rest_attach(
    page, site, people, password
):
    sign_in(page, site, people.teacher.email, password)
    page.goto(f"{site}/incidents/add/")
    chooser = page.get_by_label("Click to browse or drag a file to upload")
    chooser.set_input_files(
        [
            {"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": PDF},
            {
                "name": "report.pdf",
                "mimeType": "application/pdf",
                "buffer": b"MZ\x90\x00" + b"\x00" * 200,
            },
        ]
    )
    uploads = page.get_by_role("list", name="Files added")
    expect(uploads.get_by_text("minutes.pdf (")).to_be_visible()
    expect(page.get_by_text("“report.pdf” is not a type of file Kestrel accepts")).to_be_visible()
    expect(uploads.get_by_role("listitem")).to_have_count(1)
    assert_accessible(page)

    page.get_by_label("Student", exact=True).fill("hannah")
    page.get_by_role("option", name="Hannah Greenwood (1B)").click()
    page.get_by_label("Incident", exact=True).fill("Meeting minutes attached.")
    page.get_by_label("Home Issues").check()
    page.get_by_role("button", name="Add Incident").click()
    expect(
        page.get_by_role("heading", name="Viewing Incident - Hannah Greenwood (1B)")
    ).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="minutes.pdf").click()
    assert download.value.suggested_filename == "minutes.pdf"
    assert Incident.objects.get().attachments.count() == 1


def test_an_incident_with_every_field_appears_complete_on_both_chronologies(
    page, site, people, password, school
):
    from kestrel.schools.models import Agency

    Agency.objects.create(school=school, name="Children's Social Care")
    sign_in(page, site, people.dsl.email, password)
    page.goto(f"{site}/incidents/add/")
    page.get_by_label("Student", exact=True).fill("hannah")
    page.get_by_role("option", name="Hannah Greenwood (1B)").click()
    page.get_by_label("Incident", exact=True).fill(
        "Bruise on the left arm (marker 1) and a graze on the back (marker 2)."
    )
    page.get_by_label("Child Protection", exact=True).check()
    page.get_by_label("Linked student(s)").fill("matthew")
    page.get_by_role("option", name="Matthew Greenwood (5B)").click()
    page.get_by_label("monitor under the same category").check()
    page.get_by_label("share documents").check()
    # Matthew's file shows the whole entry only when it is shared with it (issue 21, item 4).
    page.get_by_label("Share the whole entry with Matthew Greenwood (5B)’s file").check()

    page.get_by_text("Body map").click()
    front = page.locator("[data-body-map=front]")
    back = page.locator("[data-body-map=back]")
    expect(front).to_be_visible()
    box = front.bounding_box()
    front.click(position={"x": box["width"] * 0.2, "y": box["height"] * 0.4})  # marker 1
    front.click(position={"x": box["width"] * 0.8, "y": box["height"] * 0.8})  # marker 2
    page.get_by_role("button", name="Remove marker 2").click()
    back.focus()  # by keyboard: move the cross and press Enter
    for key in ("ArrowDown", "ArrowDown", "ArrowRight", "Enter"):
        page.keyboard.press(key)
    expect(page.get_by_text("Marker 2, back")).to_be_visible()
    assert_accessible(page)  # with the body map open

    page.get_by_label("Click to browse or drag a file to upload").set_input_files(
        [{"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    expect(
        page.get_by_role("list", name="Files added").get_by_text("minutes.pdf (")
    ).to_be_visible()
    page.get_by_label("Children's Social Care").check()
    page.get_by_role("button", name="Add Incident").click()

    expect(
        page.get_by_role("heading", name="Viewing Incident - Hannah Greenwood (1B)")
    ).to_be_visible()
    markers = page.get_by_role("list", name="Markers")
    expect(markers.get_by_text("Marker 1, front")).to_be_visible()
    expect(markers.get_by_text("Marker 2, back")).to_be_visible()
    expect(page.get_by_role("link", name="minutes.pdf")).to_be_visible()
    expect(page.get_by_text("Matthew Greenwood (5B)")).to_be_visible()
    expect(page.get_by_text("monitored under the same category; documents shared")).to_be_visible()
    expect(page.get_by_text("Children's Social Care")).to_be_visible()
    assert_accessible(page)

    incident = Incident.objects.get()
    page.get_by_role("link", name="Unlock key").click()
    from kestrel.testing.auth import authenticator_for, next_unused_code

    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(people.dsl))
    )
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_text("Key access is on until")).to_be_visible()
    for student in (incident.student, incident.links.get().student):
        page.goto(f"{site}/students/{student.pk}/")
        expect(page.get_by_text("Bruise on the left arm (marker 1)")).to_be_visible()
        assert_accessible(page)


def test_blank_screen_saves_the_draft_and_brings_the_typed_text_back(page, site, people, password):
    from kestrel.incidents.models import Draft

    sign_in(page, site, people.teacher.email, password)
    page.goto(f"{site}/incidents/add/")
    page.get_by_label("Incident", exact=True).fill("Typed, not yet added: nothing may be lost.")
    page.get_by_role("button", name="Blank Screen").click()
    expect(page.locator("#blank-screen")).to_be_visible()
    for _ in range(50):
        if Draft.objects.exists():
            break
        page.wait_for_timeout(100)
    assert Draft.objects.get().data["text"] == "Typed, not yet added: nothing may be lost."
    page.keyboard.press("Space")
    expect(page.locator("#blank-screen")).to_be_hidden()
    expect(page.get_by_label("Incident", exact=True)).to_have_value(
        "Typed, not yet added: nothing may be lost."
    )


MARKUP = '<a href="https://example.org">x</a>'


def test_a_name_or_job_title_with_markup_shows_as_text_in_the_suggestions(
    page, site, people, password, school, levels
):
    StudentFactory(
        school=school, legal_first_name=MARKUP, legal_last_name="Markham", tutor_group="2C"
    )
    UserFactory(
        school=school,
        first_name="Mark",
        last_name="Upton",
        job_title=MARKUP,
        access_level=levels.staff,
    )
    sign_in(page, site, people.teacher.email, password)
    page.get_by_role("link", name="Add Incident").click()

    page.get_by_label("Student", exact=True).fill("markham")
    student = page.get_by_role("option", name=f"{MARKUP} Markham (2C)")
    expect(student).to_be_visible()
    expect(page.locator("[role=listbox] a")).to_have_count(0)

    page.get_by_label("Alert Staff Members").fill("upton")
    colleague = page.get_by_role("option", name=f"Mark Upton, {MARKUP}")
    expect(colleague).to_be_visible()
    expect(page.locator("[role=listbox] a")).to_have_count(0)
    colleague.click()
    expect(page.locator(".kestrel-chip", has_text=f"Mark Upton, {MARKUP}")).to_be_visible()


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
WORDS = "He said “don’t tell mum”  and then:\nI fell off the climbing frame"


def test_recording_the_childs_words_who_was_there_described_markers_and_no_pictures(
    page, site, people, password, school, levels
):
    """Issue 21 item 3, at a phone's width and a desktop's: every new part labelled and
    reachable, axe clean, and the record shown as it was written."""
    CategoryFactory(
        school=school,
        name="Sharing nudes and semi-nudes",
        access_level=levels.dsl,
        position=3,
        no_images=True,
    )
    people.dsl.job_title = "Designated Safeguarding Lead"
    people.dsl.save()
    sign_in(page, site, people.dsl.email, password)
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{site}/incidents/add/")
        page.get_by_label("Student", exact=True).fill("hannah")
        page.get_by_role("option", name="Hannah Greenwood (1B)").click()
        page.get_by_label("Incident", exact=True).fill(
            "Hannah showed me a bruise on her left forearm (marker 1) at break."
        )
        page.get_by_label("The child’s own words").fill(WORDS)
        page.get_by_label("Who else was present").fill("Mrs Abbott (SENCO) and J.B. (Year 2)")

        # A "No images" category: the Files box warns, and a picture is refused unkept.
        warning = page.get_by_text("No pictures: a category chosen is for nude or semi-nude")
        expect(warning).to_be_hidden()
        page.get_by_label("Sharing nudes and semi-nudes").check()
        expect(warning).to_be_visible()
        page.get_by_label("Click to browse or drag a file to upload").set_input_files(
            [{"name": "screenshot.png", "mimeType": "image/png", "buffer": PNG}]
        )
        expect(
            page.get_by_text("“screenshot.png” is a picture. This category is for nude")
        ).to_be_visible()
        expect(page.get_by_role("list", name="Files added").get_by_role("listitem")).to_have_count(
            0
        )
        assert_accessible(page)
        page.get_by_label("Sharing nudes and semi-nudes").uncheck()
        expect(warning).to_be_hidden()
        page.get_by_label("Child Protection", exact=True).check()

        page.get_by_text("Body map").click()
        front = page.locator("[data-body-map=front]")
        front.focus()  # by keyboard: the cross to the left forearm, Enter, then Tab to its fields
        for key in ("ArrowLeft", "ArrowLeft", "ArrowLeft", "ArrowLeft", "ArrowDown", "Enter"):
            page.keyboard.press(key)
        marker = page.get_by_role("group", name="Marker 1, front")
        expect(marker).to_be_visible()
        marker.get_by_label("Site").fill("left forearm")
        marker.get_by_label("Size").fill("3 cm by 2 cm")
        marker.get_by_label("Shape").fill("oval")
        marker.get_by_label("Colour").fill("purple-blue")
        broken = marker.get_by_role("group", name="Is the skin broken?")
        broken.get_by_label("No", exact=True).check()
        marker.get_by_role("group", name="Is there swelling?").get_by_label(
            "Yes", exact=True
        ).check()
        assert_accessible(page)
        page.screenshot(
            path=f"var/test-artifacts/add-incident-recording-{width}.png", full_page=True
        )

        page.get_by_role("button", name="Add Incident").click()
        expect(
            page.get_by_role("heading", name="Viewing Incident - Hannah Greenwood (1B)")
        ).to_be_visible()
        expect(page.get_by_text("Chloe Kelan, Designated Safeguarding Lead").first).to_be_visible()
        expect(page.get_by_text("When it happened")).to_be_visible()
        expect(page.get_by_text("When it was recorded")).to_be_visible()
        expect(page.get_by_text("Mrs Abbott (SENCO) and J.B. (Year 2)")).to_be_visible()
        expect(page.get_by_role("heading", name="The child’s own words")).to_be_visible()
        quote = page.locator(".kestrel-child-words__quote p")
        assert quote.inner_text() == f"“{WORDS}”"  # every space and line as typed
        details = page.get_by_role("list", name="Markers")
        expect(details.get_by_text("Marker 1, front: left forearm")).to_be_visible()
        expect(details.get_by_text("purple-blue")).to_be_visible()
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(
            path=f"var/test-artifacts/view-incident-recording-{width}.png", full_page=True
        )

    incident = Incident.objects.order_by("pk").last()
    assert incident.child_words == WORDS
    assert incident.markers.get().site == "left forearm"
    assert incident.snapshot["author"]["job_title"] == "Designated Safeguarding Lead"


def test_an_operation_encompass_notification_and_a_prevent_concern_are_recorded_and_shown(
    page, site, people, password, school, levels
):
    """Issue 21 item 3: the police's notification recorded on Add Incident and acknowledged by
    the DSL on Viewing Incident; the Prevent questions asked while Prevent is ticked."""
    from kestrel.incidents.models import EncompassNotification, PreventConcern
    from kestrel.testing.auth import authenticator_for, next_unused_code

    CategoryFactory(
        school=school, name="Prevent", access_level=levels.dsl, position=4, is_prevent=True
    )
    sign_in(page, site, people.dsl.email, password)
    page.get_by_role("link", name="Unlock key").click()
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(people.dsl))
    )
    page.get_by_role("button", name="Unlock").click()
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{site}/incidents/add/")
        page.get_by_label("Student", exact=True).fill("hannah")
        page.get_by_role("option", name="Hannah Greenwood (1B)").click()
        page.get_by_label("Incident", exact=True).fill(
            "Police notification by phone; Hannah also repeated things she had heard online."
        )
        questions = page.get_by_role("group", name="Prevent: the facts a referral needs")
        expect(questions).to_be_hidden()
        page.get_by_label("Prevent", exact=True).check()
        expect(questions).to_be_visible()
        questions.get_by_label("What was said or done").fill("Repeated a video's slogans.")
        questions.get_by_label("Online activity").fill("A video app; a chat group.")
        questions.get_by_label("Any immediate risk to the child or others").fill("None known.")

        reference = page.get_by_label("Police reference")
        expect(reference).to_be_hidden()
        page.get_by_label("This is an Operation Encompass notification from the police").check()
        reference.fill("KE/12345/26")
        abuse = page.get_by_role("group", name="Date of the domestic abuse incident")
        yesterday = datetime.date.today() - datetime.timedelta(days=1)
        abuse.get_by_label("Day").fill(str(yesterday.day))
        abuse.get_by_label("Month").fill(str(yesterday.month))
        abuse.get_by_label("Year").fill(str(yesterday.year))
        page.get_by_label("Time of the domestic abuse incident").fill("22:30")
        page.get_by_role("group", name="Was the child present?").get_by_label(
            "No", exact=True
        ).check()
        page.get_by_label("Support offered").fill("A check-in with her key adult at 8:45.")
        assert_accessible(page)
        page.screenshot(
            path=f"var/test-artifacts/add-incident-encompass-{width}.png", full_page=True
        )

        page.get_by_role("button", name="Add Incident").click()
        expect(page.get_by_role("heading", name="Operation Encompass notification")).to_be_visible()
        expect(
            page.get_by_role("heading", name="Prevent: the facts for a referral")
        ).to_be_visible()
        expect(page.get_by_text("A video app; a chat group.")).to_be_visible()
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(
            path=f"var/test-artifacts/view-incident-encompass-{width}.png", full_page=True
        )
        page.get_by_role("button", name="Acknowledge notification").click()
        expect(
            page.get_by_text("The Operation Encompass notification has been acknowledged.")
        ).to_be_visible()
        expect(page.get_by_text("Acknowledged", exact=True)).to_be_visible()
        assert_accessible(page)

    assert EncompassNotification.objects.filter(acknowledged_by=people.dsl).count() == 2
    assert PreventConcern.objects.count() == 2


def test_each_linked_student_gets_a_note_for_their_file_and_not_the_other_childs_account(
    page, site, people, password, school
):
    """Issue 21 item 4, at a phone's width and a desktop's: a note for one linked student's
    file, the whole entry shared with another's; each file shows only that child's part."""
    from kestrel.testing.auth import authenticator_for, next_unused_code

    leah = StudentFactory(
        school=school, legal_first_name="Leah", legal_last_name="Simpson", tutor_group="3C"
    )
    sign_in(page, site, people.dsl.email, password)
    page.get_by_role("link", name="Unlock key").click()
    page.get_by_label("Code from your authenticator app").fill(
        next_unused_code(authenticator_for(people.dsl))
    )
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_text("Key access is on until")).to_be_visible()
    for width in (320, 1280):
        account = f"Hannah said her father shouted at her at the gate ({width})."
        note = f"Matthew saw the shouting from the classroom window and was upset ({width})."
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{site}/incidents/add/")
        page.get_by_label("Student", exact=True).fill("hannah")
        page.get_by_role("option", name="Hannah Greenwood (1B)").click()
        page.get_by_label("Incident", exact=True).fill(account)
        page.get_by_label("Home Issues").check()
        for typed, label in (("matthew", "Matthew Greenwood (5B)"), ("leah", "Leah Simpson (3C)")):
            page.get_by_label("Linked student(s)").fill(typed)
            page.get_by_role("option", name=label).click()
            expect(page.get_by_label(f"Note for {label}’s file")).to_be_visible()
        # Removing a linked student takes their note box with them; choosing them again
        # brings an empty one back.
        page.get_by_role("button", name="Remove Leah Simpson (3C)").click()
        expect(page.get_by_label("Note for Leah Simpson (3C)’s file")).to_have_count(0)
        page.get_by_label("Linked student(s)").fill("leah")
        page.get_by_role("option", name="Leah Simpson (3C)").click()
        page.get_by_label("Note for Matthew Greenwood (5B)’s file").fill(note)
        # By keyboard: from Leah's note box, Tab to her share box and tick it with Space.
        page.get_by_label("Note for Leah Simpson (3C)’s file").focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        expect(
            page.get_by_label("Share the whole entry with Leah Simpson (3C)’s file")
        ).to_be_checked()
        expect(
            page.get_by_label("Share the whole entry with Matthew Greenwood (5B)’s file")
        ).not_to_be_checked()
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(
            path=f"var/test-artifacts/add-incident-linked-notes-{width}.png", full_page=True
        )

        page.get_by_role("button", name="Add Incident").click()
        expect(
            page.get_by_role("heading", name="Viewing Incident - Hannah Greenwood (1B)")
        ).to_be_visible()
        expect(page.get_by_text(note)).to_be_visible()
        expect(page.get_by_text("The whole entry is shared with their file.")).to_be_visible()
        assert_accessible(page)
        page.screenshot(
            path=f"var/test-artifacts/view-incident-linked-notes-{width}.png", full_page=True
        )
        incident = Incident.objects.order_by("pk").last()
        matthew, leah_link = (
            incident.links.get(student__legal_first_name="Matthew"),
            incident.links.get(student=leah),
        )
        assert (matthew.note, matthew.share_whole_entry) == (note, False)
        assert (leah_link.note, leah_link.share_whole_entry) == ("", True)

        # Matthew's chronology and case file: the date, categories and his note, not Hannah's
        # account.
        for path in (f"/students/{matthew.student_id}/", f"/students/{matthew.student_id}/file/"):
            page.goto(f"{site}{path}")
            entry = page.locator(".kestrel-timeline__item", has_text=note)
            expect(entry).to_be_visible()
            expect(entry.get_by_text("linked: Hannah Greenwood (1B)")).to_be_visible()
            expect(entry.get_by_text("Home Issues")).to_be_visible()
            expect(page.get_by_text(account)).to_have_count(0)
            assert_accessible(page)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.goto(f"{site}/students/{matthew.student_id}/")
        page.screenshot(
            path=f"var/test-artifacts/linked-student-chronology-{width}.png", full_page=True
        )
        # Leah's: the whole entry, shared with her file.
        page.goto(f"{site}/students/{leah.pk}/")
        expect(page.get_by_text(account)).to_be_visible()
        expect(page.get_by_text("The whole entry is shared with this child’s file:")).to_have_count(
            1 if width == 320 else 2
        )
        assert_accessible(page)
