"""Every refused file download is recorded, naming why, and answers 404 as before: the audit row
holds the file's key and the reason, never its name (which may name a child)."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kestrel.audit.models import AuditEvent
from kestrel.files.models import Attachment
from kestrel.files.services import attach, store_upload
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import AlertFactory, IncidentFactory, StudentFactory

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
NAME = "Siobhan_ONeill_statement.pdf"


def uploaded(user) -> Attachment:
    return store_upload(actor=user, upload=SimpleUploadedFile(NAME, PDF))


def attached(people, school) -> tuple:
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    file = uploaded(people.teacher)
    attach(actor=people.teacher, ids=[file.pk], incident=incident)
    file.refresh_from_db()
    return incident, file


def refused_once(client, key, actor, reason, **more) -> AuditEvent:
    """Downloads `key`, expects 404, and returns the one refusal recorded for it."""
    before = AuditEvent.objects.count()
    response = client.get(f"/files/{key}/")
    assert response.status_code == 404
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action="access.refused", actor=actor)
    path = f"/files/{key}/"
    assert event.detail == {"kind": "file", "id": str(key), "reason": reason, "path": path, **more}
    assert "Siobhan" not in str(event.detail) + event.object_label
    assert event.school_id == actor.school_id
    return event


def test_a_colleague_who_may_not_open_the_incident_is_refused_and_recorded(
    people, school, signed_in
):
    _, file = attached(people, school)
    refused_once(signed_in(people.admin), file.key, people.admin, "not_visible")


def test_an_alerted_colleague_refused_after_mark_as_read_is_recorded(people, school, signed_in):
    incident, file = attached(people, school)
    alert = AlertFactory(incident=incident, recipient=people.admin)
    client = signed_in(people.admin)
    client.post(f"/alerts/{alert.pk}/read/")
    refused_once(client, file.key, people.admin, "not_visible")


def test_a_key_holder_with_the_key_locked_is_refused_and_recorded(people, school, signed_in):
    _, file = attached(people, school)
    client = signed_in(people.dsl)
    refused_once(client, file.key, people.dsl, "key_locked")
    unlock_key(client)
    assert client.get(f"/files/{file.key}/").status_code == 200


def test_another_schools_file_is_refused_and_recorded_in_the_refused_persons_school(
    people, school, signed_in
):
    _, file = attached(people, school)
    event = refused_once(
        signed_in(people.other_admin), file.key, people.other_admin, "other_school"
    )
    assert (event.object_type, event.object_id) == ("", "")  # no pointer into another school


@pytest.mark.parametrize("who", ["teacher", "dsl"])
def test_an_unfinished_upload_is_refused_and_recorded(people, signed_in, who):
    # Uploaded on a form never submitted (or a draft given up): it belongs to no record yet.
    file = uploaded(people.teacher)
    client = signed_in(getattr(people, who))
    if who == "dsl":
        unlock_key(client)
    refused_once(client, file.key, getattr(people, who), "not_visible", upload="unfinished")


def test_a_file_that_does_not_exist_is_refused_and_recorded(people, signed_in):
    key = uuid.uuid4()
    event = refused_once(signed_in(people.teacher), key, people.teacher, "no_such_record")
    assert event.object_id == ""


# Files sent with a form: an id that is not the sender's own unattached upload ----------------


def test_ids_of_files_not_ones_own_upload_are_refused_when_attaching_and_recorded(
    people, school, other_school
):
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    own = uploaded(people.teacher)
    colleagues = uploaded(people.dsl)
    other_schools = uploaded(people.other_admin)
    missing = 10**12
    ids = [own.pk, colleagues.pk, other_schools.pk, missing]
    assert attach(actor=people.teacher, ids=ids, incident=incident) == 1
    refusals = AuditEvent.objects.filter(action="access.refused", actor=people.teacher)
    assert sorted((row.detail["id"], row.detail["reason"]) for row in refusals) == sorted(
        [
            (str(colleagues.pk), "not_visible"),
            (str(other_schools.pk), "other_school"),
            (str(missing), "no_such_record"),
        ]
    )
    assert all(row.school_id == school.pk for row in refusals)
    assert not any("Siobhan" in str(row.detail) for row in refusals)
    assert Attachment.objects.get(pk=colleagues.pk).incident is None


def test_attaching_ones_own_uploads_records_no_refusal(people, school):
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    files = [uploaded(people.teacher), uploaded(people.teacher)]
    assert attach(actor=people.teacher, ids=[f.pk for f in files], incident=incident) == 2
    assert not AuditEvent.objects.filter(action="access.refused").exists()
