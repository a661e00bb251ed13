"""Recording the way practice asks (issue 21, item 3): the child's own words apart and verbatim,
who else was present, when it happened and when it was written, the author as they were, each
body map marker described, and no pictures in a category for nude or semi-nude images."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.files.models import Attachment
from kestrel.incidents.forms import CategoryForm
from kestrel.incidents.models import Action, BodyMapMarker, Draft, Incident
from kestrel.incidents.services import add_incident
from kestrel.incidents.tests.add_incident_post import add_action_post, add_incident_post
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import CategoryFactory, IncidentFactory

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
WORDS = "  He said  “my dad  hit me with the belt”\n\nand then:   don’t tell  "
NO_IMAGES_START = "This category is for nude or semi-nude images: do not upload, copy or view"


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def nudes(school, levels):
    return CategoryFactory(
        school=school, name="Sharing nudes and semi-nudes", access_level=levels.dsl, no_images=True
    )


def upload(client, name, content, **extra):
    return client.post("/files/upload/", {"file": SimpleUploadedFile(name, content), **extra})


# 1. The child's own words


def test_the_childs_own_words_are_kept_exactly_as_typed_spaces_and_lines_included(setup, people):
    incident = add_incident(
        actor=people.teacher,
        student=setup["hannah"],
        text="Hannah came to me at break.",
        child_words=WORDS,
        categories=[setup["home"]],
        occurred_at=timezone.now(),
    )
    incident.refresh_from_db()
    assert incident.child_words == WORDS
    assert incident.text == "Hannah came to me at break."


def test_words_of_only_spaces_are_no_words(setup, people):
    incident = add_incident(
        actor=people.teacher,
        student=setup["hannah"],
        text="Nothing said.",
        child_words="   \n  ",
        categories=[setup["home"]],
        occurred_at=timezone.now(),
    )
    assert incident.child_words == ""


def test_the_childs_words_come_through_the_form_untrimmed_and_show_apart_and_quoted(
    setup, people, signed_in
):
    client = signed_in(people.teacher)
    response = client.post("/incidents/add/", add_incident_post(setup, people, child_words=WORDS))
    incident = Incident.objects.get()
    assert incident.child_words == WORDS
    page = html(client.get(response["Location"]))
    assert "The child’s own words" in page
    quoted = '<p class="govuk-body kestrel-as-written">“  He said  “my dad  hit me'
    assert quoted in page
    # Apart from the account: the account's section ends before the words begin.
    assert page.index("Hannah said her dad waited") < page.index("The child’s own words</h2>")


def test_an_incident_without_the_childs_words_shows_no_empty_quote(setup, people, signed_in):
    client = signed_in(people.teacher)
    response = client.post("/incidents/add/", add_incident_post(setup, people))
    assert "The child’s own words</h2>" not in html(client.get(response["Location"]))


def test_the_childs_words_on_an_action_are_kept_and_shown_with_it(setup, people, signed_in):
    incident = IncidentFactory(student=setup["hannah"], reporter=people.teacher)
    client = signed_in(people.teacher)
    client.post(
        f"/incidents/{incident.pk}/actions/add/",
        add_action_post(child_words="I want to go   home"),
    )
    assert Action.objects.get().child_words == "I want to go   home"
    assert "“I want to go   home”" in html(client.get(f"/incidents/{incident.pk}/"))


def test_hide_names_stars_a_name_in_the_childs_words(setup, people, signed_in):
    client = signed_in(people.teacher)
    response = client.post(
        "/incidents/add/",
        add_incident_post(setup, people, child_words="Matthew Greenwood pushed me"),
    )
    client.post("/hide-names/")
    page = html(client.get(response["Location"]))
    assert "Matthew Greenwood pushed me" not in page


# 2. Who else was present; when it happened and when it was written


def test_who_else_was_present_and_both_times_are_shown(setup, people, signed_in):
    client = signed_in(people.teacher)
    happened = timezone.localtime() - datetime.timedelta(days=1)
    data = add_incident_post(
        setup,
        people,
        present="Mrs Simpson (parent) and J.B. (Year 2)",
        occurred_on_0=happened.day,
        occurred_on_1=happened.month,
        occurred_on_2=happened.year,
        occurred_time="15:50",
    )
    response = client.post("/incidents/add/", data)
    incident = Incident.objects.get()
    assert incident.present == "Mrs Simpson (parent) and J.B. (Year 2)"
    page = html(client.get(response["Location"]))
    assert "Who else was present" in page
    assert "Mrs Simpson (parent) and J.B. (Year 2)" in page
    assert "When it happened" in page
    assert f"{happened:%d/%m/%Y} at 15:50" in page
    assert "When it was recorded" in page
    recorded = timezone.localtime(incident.recorded_at)
    assert f"{recorded:%d/%m/%Y} at {recorded:%H:%M}" in page


def test_an_action_shows_when_it_happened_and_when_it_was_recorded(setup, people, signed_in):
    incident = IncidentFactory(student=setup["hannah"], reporter=people.teacher)
    client = signed_in(people.teacher)
    client.post(
        f"/incidents/{incident.pk}/actions/add/",
        add_action_post(
            occurred_on_0=1, occurred_on_1=2, occurred_on_2=2024, occurred_time="09:05"
        ),
    )
    action = Action.objects.get()
    recorded = timezone.localtime(action.recorded_at)
    page = html(client.get(f"/incidents/{incident.pk}/"))
    assert (
        f"Happened Thu 01/02/2024 at 09:05 · recorded {recorded:%a %d/%m/%Y} at "
        f"{recorded:%H:%M}" in page
    )


# 3. The author's name and role as they were when written


def test_the_authors_role_shown_is_the_one_they_had_when_writing(setup, people, signed_in):
    people.teacher.job_title = "Class teacher, 1B"
    people.teacher.save()
    client = signed_in(people.teacher)
    response = client.post("/incidents/add/", add_incident_post(setup, people))
    incident = Incident.objects.get()
    client.post(f"/incidents/{incident.pk}/actions/add/", add_action_post())
    assert incident.snapshot["author"] == {"name": "James Carter", "job_title": "Class teacher, 1B"}

    people.teacher.job_title = "Deputy Headteacher"
    people.teacher.last_name = "Carter-Smith"
    people.teacher.save()
    page = html(client.get(response["Location"]))
    assert "James Carter, Class teacher, 1B" in page  # reported by, and the action's author
    assert page.count("James Carter, Class teacher, 1B") == 2
    assert "Deputy Headteacher" not in page
    assert "Carter-Smith" not in page


def test_a_record_written_before_the_snapshot_shows_the_current_name(setup, people, signed_in):
    incident = IncidentFactory(
        student=setup["hannah"], reporter=people.dsl, snapshot={"categories": []}
    )
    people.dsl.first_name = "Chloë"
    people.dsl.save()
    client = unlock_key(signed_in(people.dsl))
    page = html(client.get(f"/incidents/{incident.pk}/"))
    assert "Chloë Kelan</dd>" in page  # the current name, without a role


def test_an_author_without_a_job_title_is_shown_by_name_alone(setup, people):
    people.teacher.job_title = ""
    people.teacher.save()
    incident = add_incident(
        actor=people.teacher,
        student=setup["hannah"],
        text="At the gate.",
        categories=[setup["home"]],
        occurred_at=timezone.now(),
    )
    assert str(incident.written_by) == "James Carter"


# 4. Each body map marker described


MARKER = {
    "n": 1,
    "side": "front",
    "x": 0.3,
    "y": 0.5,
    "site": "left forearm",
    "size": "3 cm by 2 cm",
    "shape": "oval",
    "colour": "purple-blue",
    "broken": "no",
    "swelling": "yes",
}


def test_marker_details_are_saved_and_shown_beside_the_figure(setup, people, signed_in):
    client = signed_in(people.teacher)
    response = client.post(
        "/incidents/add/",
        add_incident_post(
            setup,
            people,
            markers=json.dumps(
                [
                    MARKER,
                    {
                        **MARKER,
                        "n": 2,
                        "side": "back",
                        "site": "",
                        "broken": "",
                        "swelling": "unknown",
                        "size": "",
                        "shape": "",
                        "colour": "",
                    },
                ]
            ),
        ),
    )
    incident = Incident.objects.get()
    saved = BodyMapMarker.objects.get(incident=incident, number=1)
    assert (saved.site, saved.size, saved.shape, saved.colour, saved.broken, saved.swelling) == (
        "left forearm",
        "3 cm by 2 cm",
        "oval",
        "purple-blue",
        "no",
        "yes",
    )
    assert incident.snapshot["markers"][0]["site"] == "left forearm"
    page = html(client.get(response["Location"]))
    assert "Marker 1, front: left forearm" in page
    for label, value in [
        ("Size", "3 cm by 2 cm"),
        ("Shape", "oval"),
        ("Colour", "purple-blue"),
        ("Skin broken", "No"),
        ("Swelling", "Yes"),
    ]:
        assert (
            f'<dt class="govuk-summary-list__key">{label}</dt>'
            f'<dd class="govuk-summary-list__value">{value}</dd>' in page
        )
    assert "Marker 2, back</h3>" in page
    assert '<dd class="govuk-summary-list__value">Not known</dd>' in page


def test_a_marker_described_too_long_is_refused_and_everything_typed_comes_back(
    setup, people, signed_in
):
    markers = json.dumps([{**MARKER, "site": "x" * 101}])
    response = signed_in(people.teacher).post(
        "/incidents/add/", add_incident_post(setup, people, markers=markers)
    )
    page = html(response)
    assert "Marker 1’s site must be 100 characters or fewer." in page
    assert "Hannah said her dad waited at the gate again." in page
    assert "purple-blue" in page  # the markers, as sent, for the body map to draw again
    assert Incident.objects.count() == 0


def test_a_marker_with_an_unknown_answer_is_refused():
    from kestrel.incidents.body_map import parse_markers

    with pytest.raises(ValidationError):
        parse_markers(json.dumps([{**MARKER, "broken": "maybe"}]))


def test_markers_placed_before_descriptions_still_show(setup, people, signed_in):
    incident = IncidentFactory(student=setup["hannah"], reporter=people.teacher)
    old = {"markers": [{"number": 1, "side": "front", "x": 0.5, "y": 0.5}]}
    Incident.objects.filter(pk=incident.pk).update(snapshot=incident.snapshot | old)
    page = html(signed_in(people.teacher).get(f"/incidents/{incident.pk}/"))
    assert "Marker 1, front</h3>" in page
    assert "No description was recorded with this marker." in page


# 5. "No images" categories


def test_a_picture_is_refused_at_upload_when_a_no_images_category_is_chosen(people, signed_in):
    client = signed_in(people.teacher)
    answer = upload(client, "holiday.pdf", PNG, no_images="1")  # the name does not matter
    assert answer.status_code == 400
    assert "“holiday.pdf” is a picture. " + NO_IMAGES_START in answer.json()["error"]
    assert Attachment.objects.count() == 0
    assert AuditEvent.objects.filter(action="file.refused", detail__reason="no images").exists()
    # Anything else is accepted as before, and a picture elsewhere too.
    assert upload(client, "minutes.pdf", PDF, no_images="1").status_code == 200
    assert upload(client, "bruise.png", PNG).status_code == 200


def test_a_picture_in_a_no_images_category_is_refused_with_its_message_and_the_text_kept(
    setup, people, signed_in, nudes, django_capture_on_commit_callbacks
):
    client = signed_in(people.teacher)
    picture = upload(client, "screenshot.jpg", PNG).json()["id"]  # before the category was chosen
    minutes = upload(client, "minutes.pdf", PDF).json()["id"]
    stored = Attachment.objects.get(pk=picture).stored_name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/incidents/add/",
            add_incident_post(
                setup,
                people,
                categories=[nudes.pk],
                child_words="he said send one back",
                present="No one else",
                files=[picture, minutes],
            ),
        )
    page = html(response)
    assert response.status_code == 200
    assert Incident.objects.count() == 0
    assert NO_IMAGES_START in page
    assert "UK Council for Internet Safety" in page
    for typed in (
        "Hannah said her dad waited at the gate again.",
        "he said send one back",
        "No one else",
    ):
        assert typed in page
    # The picture is not kept; the other file stays on the form.
    assert not Attachment.objects.filter(pk=picture).exists()
    assert not default_storage.exists(stored)
    assert "minutes.pdf" in page
    assert "screenshot.jpg" not in page
    assert AuditEvent.objects.filter(action="file.picture_discarded").count() == 1


def test_a_document_is_accepted_in_a_no_images_category(setup, people, signed_in, nudes):
    client = signed_in(people.teacher)
    minutes = upload(client, "minutes.pdf", PDF, no_images="1").json()["id"]
    client.post(
        "/incidents/add/", add_incident_post(setup, people, categories=[nudes.pk], files=[minutes])
    )
    assert Incident.objects.get().attachments.count() == 1


def test_the_service_refuses_a_picture_in_a_no_images_category(setup, people, signed_in, nudes):
    picture = upload(signed_in(people.teacher), "a.png", PNG).json()["id"]
    with pytest.raises(ValidationError) as refusal:
        add_incident(
            actor=people.teacher,
            student=setup["hannah"],
            text="Described, not attached.",
            categories=[nudes],
            occurred_at=timezone.now(),
            file_ids=[picture],
        )
    assert refusal.value.message_dict["files"][0].startswith(NO_IMAGES_START)


def test_a_picture_is_refused_on_an_action_in_a_no_images_incident(setup, people, signed_in, nudes):
    incident = add_incident(
        actor=people.dsl,
        student=setup["hannah"],
        text="Described, not attached.",
        categories=[nudes],
        occurred_at=timezone.now(),
    )
    client = unlock_key(signed_in(people.dsl))
    form = html(client.get(f"/incidents/{incident.pk}/actions/add/"))
    assert 'data-no-images="1"' in form
    assert "No pictures: a category chosen is for nude or semi-nude images." in form
    picture = upload(client, "a.png", PNG).json()["id"]
    response = client.post(
        f"/incidents/{incident.pk}/actions/add/",
        add_action_post(text="Spoke to both families.", files=[picture]),
    )
    assert NO_IMAGES_START in html(response)
    assert "Spoke to both families." in html(response)
    assert Action.objects.count() == 0


def test_a_category_marked_no_images_since_refuses_pictures_on_new_actions(
    setup, people, signed_in
):
    incident = IncidentFactory(
        student=setup["hannah"], reporter=people.teacher, categories=[setup["home"]]
    )
    setup["home"].no_images = True
    setup["home"].save()
    client = signed_in(people.teacher)
    picture = upload(client, "a.png", PNG).json()["id"]
    client.post(f"/incidents/{incident.pk}/actions/add/", add_action_post(files=[picture]))
    assert Action.objects.count() == 0


def test_add_incident_marks_the_no_images_categories_for_the_files_box(
    setup, people, signed_in, nudes
):
    page = html(signed_in(people.teacher).get("/incidents/add/"))
    assert f'value="{nudes.pk}" data-no-images' in page
    assert f'value="{setup["home"].pk}" data-no-images' not in page
    assert "data-no-images-warning hidden" in page


def test_a_new_category_for_nude_images_is_no_images_by_default(school, levels):
    form = CategoryForm(
        {"name": "Sharing nudes and semi-nudes", "access_level": levels.dsl.pk, "is_active": "on"},
        school=school,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["no_images"] is True
    other = CategoryForm(
        {"name": "Attendance", "access_level": levels.dsl.pk, "is_active": "on"}, school=school
    )
    assert other.is_valid()
    assert other.cleaned_data["no_images"] is False


def test_school_set_up_marks_a_category_no_images(setup, people, signed_in):
    client = signed_in(people.admin)
    home = setup["home"]
    response = client.post(
        f"/school/categories/{home.pk}/",
        {
            "name": home.name,
            "access_level": home.access_level_id,
            "position": 2,
            "no_images": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    home.refresh_from_db()
    assert home.no_images is True
    listed = html(client.get("/school/categories/"))
    assert "No images" in listed


# Drafts keep the new fields


def test_the_draft_keeps_the_childs_words_and_who_was_present(setup, people, signed_in):
    client = signed_in(people.teacher)
    client.post(
        "/incidents/drafts/save/",
        {"submission": "d" * 32, "child_words": WORDS, "present": "Mrs Simpson"},
    )
    draft = Draft.objects.get()
    assert draft.data["child_words"] == WORDS
    assert draft.data["present"] == "Mrs Simpson"
    page = html(client.get(f"/incidents/add/?draft={'d' * 32}"))
    assert "Mrs Simpson" in page
    assert "my dad  hit me with the belt" in page
