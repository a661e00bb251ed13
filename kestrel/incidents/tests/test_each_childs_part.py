"""Each child's file shows only that child's part (issue 21, item 4): when an incident names
several students, a linked student's chronology and case file show the entry's date,
categories and the note written for them, not the other child's account, unless the author
shared the whole entry with them."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import Correction, Draft, Incident, LinkedStudent
from kestrel.incidents.services import add_incident
from kestrel.incidents.tests.add_incident_post import add_incident_post
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    ActionFactory,
    IncidentFactory,
    LinkedStudentFactory,
    StudentFactory,
)
from kestrel.testing.queries import data_queries

ACCOUNT = "Hannah said her dad waited at the gate again and shouted at her. She was upset."
WORDS = "he said he would take me"
NOTE = "Matthew saw his father at the gate and was kept inside by his teacher; he seemed calm."
ADD = "/incidents/add/"


def record(setup, people, **links) -> Incident:
    """Hannah's incident, Matthew linked with the `links` choices (a note, the whole entry)."""
    return add_incident(
        actor=people.dsl,
        student=setup["hannah"],
        text=ACCOUNT,
        child_words=WORDS,
        categories=[setup["home"]],
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        linked_students=[{"student": setup["matthew"], **links}],
    )


@pytest.fixture
def dsl(signed_in, people):
    return unlock_key(signed_in(people.dsl))


def test_a_linked_students_chronology_shows_their_note_and_not_the_other_childs_account(
    setup, people, dsl
):
    record(setup, people, note=NOTE)
    matthews = dsl.get(f"/students/{setup['matthew'].pk}/").content.decode()
    assert NOTE in matthews
    assert "linked: Hannah Greenwood (1B)" in matthews and "Home Issues" in matthews
    assert "waited at the gate" not in matthews and WORDS not in matthews
    # Hannah's own chronology is as it was: her account, and not Matthew's note.
    hannahs = dsl.get(f"/students/{setup['hannah'].pk}/").content.decode()
    assert "waited at the gate again" in hannahs and NOTE not in hannahs


def test_the_linked_students_case_file_page_shows_their_note_and_not_the_account(
    setup, people, dsl
):
    record(setup, people, note=NOTE)
    page = dsl.get(f"/students/{setup['matthew'].pk}/file/").content.decode()
    assert NOTE in page
    assert "waited at the gate" not in page


def test_sharing_the_whole_entry_shows_it_and_the_choice_is_on_the_row_and_in_the_audit_detail(
    setup, people, dsl
):
    incident = record(setup, people, note=NOTE, share_whole_entry=True)
    link = incident.links.get()
    assert (link.note, link.share_whole_entry) == (NOTE, True)
    matthews = dsl.get(f"/students/{setup['matthew'].pk}/").content.decode()
    assert NOTE in matthews and "waited at the gate again" in matthews
    assert "The whole entry is shared with this child’s file" in matthews
    detail = AuditEvent.objects.get(action="incident.added").detail
    assert (detail["linked"], detail["notes"], detail["shared_whole"]) == (1, 1, 1)
    assert NOTE not in str(detail)  # how many, never what


def test_a_link_from_before_notes_says_no_note_was_written_and_links_the_incident(
    setup, people, dsl
):
    incident = IncidentFactory(student=setup["hannah"], reporter=people.dsl, text=ACCOUNT)
    LinkedStudentFactory(incident=incident, student=setup["matthew"])
    link = LinkedStudent.objects.get()
    assert (link.note, link.share_whole_entry) == ("", False)
    matthews = dsl.get(f"/students/{setup['matthew'].pk}/").content.decode()
    assert "No note was written for this child." in matthews
    assert f'href="/incidents/{incident.pk}/">open the incident' in matthews
    assert "waited at the gate" not in matthews
    # Whoever may open the incident still can.
    assert "waited at the gate again" in dsl.get(f"/incidents/{incident.pk}/").content.decode()


def test_a_corrected_account_is_not_shown_on_the_linked_students_file_either(setup, people, dsl):
    incident = record(setup, people, note=NOTE)
    Correction.objects.create(
        incident=incident, author=people.dsl, text="Hannah's father shouted.", reason="Exact"
    )
    matthews = dsl.get(f"/students/{setup['matthew'].pk}/").content.decode()
    assert "father shouted" not in matthews and NOTE in matthews


def test_only_actions_added_to_linked_students_are_on_their_file_as_before(setup, people, dsl):
    incident = record(setup, people, note=NOTE)
    ActionFactory(incident=incident, author=people.dsl, text="Rang Hannah's mum.")
    ActionFactory(
        incident=incident,
        author=people.dsl,
        text="Told both teachers.",
        add_to_linked_students=True,
    )
    matthews = dsl.get(f"/students/{setup['matthew'].pk}/").content.decode()
    assert "Told both teachers." in matthews
    assert "Rang Hannah" not in matthews


def test_a_note_with_hide_names_on_is_masked_like_other_text(setup, people, dsl):
    incident = record(setup, people, note="Matthew saw Hannah Greenwood at the gate.")
    dsl.post("/hide-names/", {"next": "/dashboard/"})
    for path in (f"/students/{setup['matthew'].pk}/", f"/incidents/{incident.pk}/"):
        page = dsl.get(path).content.decode()
        assert "Matthew" not in page and "Hannah" not in page and "Greenwood" not in page, path
        assert "***** saw ***** ***** at the gate." in page, path


def test_viewing_incident_shows_key_holders_each_links_note_and_whether_the_entry_is_shared(
    setup, people, dsl, signed_in
):
    zoe = StudentFactory(school=setup["hannah"].school, legal_first_name="Zoë")
    incident = add_incident(
        actor=people.dsl,
        student=setup["hannah"],
        text=ACCOUNT,
        categories=[setup["home"]],
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        linked_students=[
            {"student": setup["matthew"], "note": NOTE},
            {"student": zoe, "share_whole_entry": True},
        ],
        alert_recipients=[people.teacher],
    )
    page = dsl.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"<strong>Note for their file:</strong> {NOTE}" in page
    assert "No note was written for their file." in page
    assert "The whole entry is shared with their file." in page
    assert "Their file shows the date, the categories and their note, not the account." in page
    # The alerted teacher opens the incident but is not shown the notes for other files.
    teacher = signed_in(people.teacher).get(f"/incidents/{incident.pk}/").content.decode()
    assert NOTE not in teacher and "Note for their file" not in teacher


def test_add_incident_records_the_note_and_the_whole_entry_for_each_linked_student(
    setup, people, signed_in
):
    matthew = setup["matthew"].pk
    signed_in(people.teacher).post(
        ADD,
        add_incident_post(
            setup, people, link_whole=[matthew], **{f"link_note_{matthew}": f"  {NOTE}\n"}
        ),
    )
    link = Incident.objects.get().links.get()
    assert (link.note, link.share_whole_entry) == (f"  {NOTE}\n", True)


def test_a_note_for_a_student_who_is_not_linked_is_not_recorded(setup, people, signed_in):
    stranger = StudentFactory(school=setup["hannah"].school)
    signed_in(people.teacher).post(
        ADD,
        add_incident_post(
            setup,
            people,
            link_whole=[stranger.pk],
            **{f"link_note_{stranger.pk}": "Not linked.", f"link_note_{setup['hannah'].pk}": "X"},
        ),
    )
    link = Incident.objects.get().links.get()
    assert (link.student, link.note, link.share_whole_entry) == (setup["matthew"], "", False)
    assert not LinkedStudent.objects.filter(note__contains="Not linked").exists()


def test_the_service_refuses_a_note_for_the_incidents_own_student_and_records_nothing(
    setup, people
):
    with pytest.raises(ValidationError) as refusal:
        add_incident(
            actor=people.dsl,
            student=setup["hannah"],
            text=ACCOUNT,
            categories=[setup["home"]],
            occurred_at=timezone.now() - datetime.timedelta(hours=1),
            linked_students=[{"student": setup["hannah"], "note": "Hers."}],
        )
    assert "only be for a linked student" in refusal.value.message_dict["linked_students"][0]
    assert Incident.objects.count() == 0


def test_a_note_too_long_is_refused_and_everything_typed_is_kept(setup, people, signed_in):
    matthew = setup["matthew"].pk
    long_note = "word " * 4_001  # 20,005 characters
    response = signed_in(people.teacher).post(
        ADD,
        add_incident_post(
            setup, people, link_whole=[matthew], **{f"link_note_{matthew}": long_note}
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200 and Incident.objects.count() == 0
    assert "The note for Matthew Greenwood (5B)’s file can be at most 20,000 characters." in page
    assert long_note in page  # the note as typed
    assert f'id="link_whole_{matthew}" name="link_whole" value="{matthew}"' in page
    assert f'value="{matthew}" aria-describedby="link_whole_{matthew}-hint" checked' in page
    assert "Hannah said her dad waited at the gate again." in page


def test_a_refused_submit_keeps_the_notes_and_choices(setup, people, signed_in):
    matthew = setup["matthew"].pk
    response = signed_in(people.teacher).post(
        ADD,
        add_incident_post(
            setup, people, categories=None, link_whole=[matthew], **{f"link_note_{matthew}": NOTE}
        ),
    )
    page = response.content.decode()
    assert "Select at least one category." in page
    assert "Note for <span data-link-label>Matthew Greenwood (5B)</span>’s file" in page
    assert f">\n{NOTE}</textarea>" in page
    assert f'aria-describedby="link_whole_{matthew}-hint" checked' in page


def test_drafts_keep_the_notes_and_the_whole_entry_choice(setup, people, signed_in):
    client = signed_in(people.teacher)
    matthew = setup["matthew"].pk
    post = add_incident_post(
        setup,
        people,
        submission="n" * 32,
        link_whole=[matthew],
        **{f"link_note_{matthew}": NOTE, "link_note_999999": "Not a linked student."},
    )
    assert client.post("/incidents/drafts/save/", post).json()["saved"] is True
    draft = Draft.objects.get()
    assert draft.data[f"link_note_{matthew}"] == NOTE
    assert "link_note_999999" not in draft.data
    refilled = client.get(ADD, {"draft": "n" * 32}).content.decode()
    assert f">\n{NOTE}</textarea>" in refilled
    assert f'aria-describedby="link_whole_{matthew}-hint" checked' in refilled


def test_under_hide_names_the_note_box_names_the_linked_student_in_stars(setup, people, signed_in):
    client = signed_in(people.teacher)
    client.post("/hide-names/", {"next": "/dashboard/"})
    page = client.post(ADD, add_incident_post(setup, people, categories=None)).content.decode()
    assert "Note for <span data-link-label>***** ***** (5B)</span>’s file" in page
    assert "Share the whole entry with <span data-link-label>***** ***** (5B)</span>" in page


def _statements(client, url: str) -> int:
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(data_queries(context))


def test_a_linked_students_chronology_and_file_cost_the_same_queries_for_one_entry_and_many(
    setup, people, dsl
):
    matthew = setup["matthew"]
    first = record(setup, people, note=NOTE)
    # One of each list an entry reads when it has any (actions, corrections).
    ActionFactory(incident=first, author=people.dsl, add_to_linked_students=True)
    Correction.objects.create(incident=first, author=people.dsl, text="C", reason="R")
    chronology, file = f"/students/{matthew.pk}/", f"/students/{matthew.pk}/file/"
    one = _statements(dsl, chronology), _statements(dsl, file)
    for n in range(30):
        incident = IncidentFactory(
            student=StudentFactory(school=matthew.school),
            reporter=people.dsl,
            categories=[setup["home"]],
        )
        LinkedStudentFactory(
            incident=incident,
            student=matthew,
            note=f"Note {n}" if n % 2 else "",
            share_whole_entry=n % 3 == 0,
        )
        ActionFactory(incident=incident, author=people.dsl, add_to_linked_students=True)
        if n % 4 == 0:
            Correction.objects.create(incident=incident, author=people.dsl, text="C", reason="R")
    assert (_statements(dsl, chronology), _statements(dsl, file)) == one
