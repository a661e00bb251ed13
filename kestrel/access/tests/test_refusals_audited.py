"""Every refusal of a record is on the audit trail: who asked, for what kind, which id, and why.

Generated from the URL resolver, as the access matrix is: every URL that takes a record's id is
asked for a record of the first school by people who may not see it (another school's staff, an
unalerted teacher, the school administrator, the DSL with their key locked). Whatever answer
refuses them (404, 403, or "unlock your key first"), one audit row must record it, in the
viewer's own school's chain, with nothing of the record's content.
"""

import datetime

import pytest
from django.utils import timezone
from django_otp_webauthn.models import WebAuthnCredential

from kestrel.access.refusals import REASONS
from kestrel.access.tests.test_url_access_matrix import (
    CASE_FILE_PAGES,
    all_urls,
    held_import,
    publish_document,
    training_of,
    transfers_of,
)
from kestrel.audit import chain
from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import Draft
from kestrel.testing.auth import sign_in_fully, unlock_key
from kestrel.testing.factories import (
    AccessLevelFactory,
    AlertFactory,
    CategoryFactory,
    IncidentFactory,
    StudentFactory,
    UserFactory,
)

# Files are refused and recorded by kestrel.files.views (kestrel/files/tests).
OWNED_ELSEWHERE = {"files:download"}

# Which of the first school's records each URL is asked for.
RECORD_FOR = {
    "incidents:view": "incident",
    "incidents:add_action": "incident",
    "incidents:correct": "incident",
    "incidents:encompass_acknowledge": "incident",
    "alerts:read": "alert",
    "students:chronology": "student",
    "audit:student": "student",
    "audit:staff": "staff",
    "library:document": "document",
    "library:confirm_read": "document",
    "library:add_version": "document",
    "library:download": "document",
    "schools:edit": "student",
    "schools:staff_reset_second_factor": "staff",
    "schools:email_retry": "alert",
    "accounts:passkey_remove": "passkey",
    "roster:detail": "roster_import",
    "roster:columns": "roster_import",
    "roster:rows": "roster_import",
    "roster:refused_csv": "roster_import",
    "roster:confirm": "roster_import",
    "roster:cancel": "roster_import",
    "roster:invite": "roster_import",
    "roster:decide": "roster_import",
    **{
        f"key_facts:{name}": "student"
        for name in (
            "history",
            "add_contact",
            "edit_contact",
            "end_contact",
            "add_professional",
            "edit_professional",
            "end_professional",
            "edit_notes",
        )
    },
    **dict.fromkeys(CASE_FILE_PAGES, "student"),
    "exports:download": "student",
    # The staff training log: a member of staff, their training record, an import.
    **{f"training_pages:{name}": "staff" for name in ("staff", "record", "joined")},
    **{
        f"training_pages:{name}": "training_record"
        for name in ("certificate", "add_certificate", "remove")
    },
    **{
        f"training_pages:{name}": "training_import"
        for name in ("import_preview", "import_confirm", "import_cancel", "import_refused")
    },
}
# Transfers of a leaver's file (issue 22): the transfer, its child (Mark as left), a file
# received from another school.
RECORD_FOR.update(
    {
        f"transfer_pages:{name}": "transfer"
        for name in (
            "transfer",
            "destination",
            "prepare",
            "send_paper",
            "paper_receipt",
            "informed",
            "cancel",
            "copy_done",
            "kestrel_send",
            "kestrel_status",
            "link_send",
            "link_withdraw",
        )
    }
    | {
        f"transfer_pages:{name}": "received"
        for name in (
            "received",
            "received_match",
            "received_accept",
            "received_review",
            "received_refuse",
            "received_download",
        )
    }
    | {"transfer_pages:mark_left": "student"}
)
PERSONAS = ["teacher", "admin", "dsl_locked", "other_teacher", "other_admin", "other_dsl"]
OTHER_SCHOOL = {"other_teacher", "other_admin", "other_dsl"}
# "action": the policy's action refused on a record the viewer may see ("acknowledge_encompass").
CONTENT_FREE = {"kind", "id", "reason", "path", "permission", "action"}


def id_urls():
    return [
        (name, route)
        for name, route, _ in all_urls()
        if ("<int:pk>" in route or "<uuid:key>" in route) and name not in OWNED_ELSEWHERE
    ]


@pytest.fixture
def records(school, people):
    student = StudentFactory(school=school)
    incident = IncidentFactory(
        school=school,
        student=student,
        reporter=UserFactory(school=school, access_level=people.teacher.access_level),
        categories=[CategoryFactory(school=school, access_level=people.dsl.access_level)],
        recorded_at=timezone.now() - datetime.timedelta(days=30),
    )
    alert = AlertFactory(incident=incident, recipient=people.dsl, email_status="failed")
    passkey = WebAuthnCredential.objects.create(
        user=people.dsl, name="Work laptop", credential_id=b"laptop", public_key=b"key"
    )
    roster_import, held_row = held_import(school, people.admin)
    training_record, training_import = training_of(people.dsl, people.admin)
    transfer, received = transfers_of(student, people.dsl)
    return {
        "transfer": transfer,
        "received": received,
        "training_record": training_record,
        "training_import": training_import,
        "roster_import": roster_import,
        "roster_row": held_row,
        "student": student.pk,
        "incident": incident.pk,
        "alert": alert.pk,
        "staff": people.dsl.pk,
        "document": publish_document(school, people.dsl).pk,
        "passkey": passkey.pk,
    }


def persona(people, other_school, name):
    if name == "dsl_locked":
        return people.dsl
    if name in {"teacher", "admin", "other_admin"}:
        return getattr(people, name)
    return UserFactory(
        school=other_school,
        is_key_holder=name == "other_dsl",
        access_level=AccessLevelFactory(school=other_school, rank=40),
    )


def url_of(route: str, pk: int, row: int = 0) -> str:
    return "/" + (
        route.replace("<slug:slug>", "students")
        .replace("<int:pk>", str(pk))
        .replace("<int:number>", "1")
        .replace("<slug:outcome>", "held")
        .replace("<int:row>", str(row))
        .replace("<int:contact>", "1")
        .replace("<int:professional>", "1")
        .replace("<int:status>", "1")
        .replace("<slug:record_type>", "status")
        .replace("<int:record>", "1")
        .replace("<int:referral>", "1")
    )


def ask(client, url):
    response = client.get(url)
    return client.post(url) if response.status_code == 405 else response


def refused(response) -> bool:
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"].startswith("/key/")


def test_every_url_that_takes_an_id_is_asked_for_a_record():
    assert {name for name, _ in id_urls()} == set(RECORD_FOR), "add the URL to RECORD_FOR"


@pytest.mark.parametrize("who", PERSONAS)
def test_every_refusal_of_a_record_writes_one_audit_row(who, records, people, other_school, client):
    viewer = persona(people, other_school, who)
    sign_in_fully(client, viewer)
    if who == "other_dsl":
        unlock_key(client)
    unaudited, wrong = {}, {}
    for name, route in id_urls():
        asked = records[RECORD_FOR[name]]
        before = AuditEvent.objects.filter(action="access.refused").count()
        response = ask(client, url_of(route, asked, records["roster_row"]))
        rows = list(AuditEvent.objects.filter(action="access.refused").order_by("id")[before:])
        if who in OTHER_SCHOOL:
            assert refused(response), f"{name} answered {response.status_code} to {who}"
        if not refused(response):
            assert rows == [], f"{name} recorded a refusal it did not make"
            continue
        if len(rows) != 1:
            unaudited[name] = (response.status_code, len(rows))
            continue
        row = rows[0]
        expected_reasons = (
            {"other_school", "not_allowed", "key_locked"}
            if who in OTHER_SCHOOL
            else {"not_visible", "not_allowed", "key_locked"}
        )
        if (
            row.actor_id != viewer.pk
            or row.school_id != viewer.school_id
            or row.detail.get("id") != str(asked)
            or row.detail.get("reason") not in expected_reasons & REASONS
            or set(row.detail) - CONTENT_FREE
            or row.object_label
            or row.student_id
        ):
            wrong[name] = row.detail
    assert unaudited == {}, "URL: (status, refusal rows written)"
    assert wrong == {}
    assert list(chain.verify()) == []


def test_another_schools_chronology_is_refused_as_another_schools(
    records, people, other_school, client
):
    viewer = persona(people, other_school, "other_dsl")
    unlock_key(sign_in_fully(client, viewer))
    assert client.get(f"/students/{records['student']}/").status_code == 404
    row = AuditEvent.objects.get(action="access.refused")
    assert row.detail["kind"] == "student"
    assert row.detail["reason"] == "other_school"
    assert row.chain == other_school.pk  # the viewer's school's chain, not the record's


def test_an_unalerted_teacher_refused_an_incident_is_recorded_as_not_visible(
    records, people, client
):
    sign_in_fully(client, people.teacher)
    assert client.get(f"/incidents/{records['incident']}/").status_code == 404
    row = AuditEvent.objects.get(action="access.refused")
    assert (row.detail["kind"], row.detail["reason"]) == ("incident", "not_visible")


def test_a_locked_key_sends_the_dsl_to_unlock_and_records_why(school, people, client):
    incident = IncidentFactory(
        school=school,
        student=StudentFactory(school=school),
        reporter=people.teacher,
        recorded_at=timezone.now() - datetime.timedelta(days=30),
    )
    sign_in_fully(client, people.dsl)
    response = client.get(f"/incidents/{incident.pk}/")
    assert response["Location"].startswith("/key/")
    row = AuditEvent.objects.get(action="access.refused")
    assert (row.detail["kind"], row.detail["reason"]) == ("incident", "key_locked")


def test_asking_next_alert_after_someone_elses_alert_is_recorded(records, people, client):
    sign_in_fully(client, people.teacher)
    response = client.get(f"/alerts/next/?after={records['alert']}")
    assert response.status_code == 302
    row = AuditEvent.objects.get(action="access.refused")
    assert row.detail == {
        "kind": "alert",
        "id": str(records["alert"]),
        "reason": "not_visible",
        "path": "/alerts/next/",
    }


def test_next_alert_after_ones_own_alert_records_no_refusal(records, people, client):
    sign_in_fully(client, people.dsl)
    client.get(f"/alerts/next/?after={records['alert']}")
    assert not AuditEvent.objects.filter(action="access.refused").exists()


def test_add_incident_sent_another_schools_student_records_the_refusal_and_keeps_the_text(
    people, other_school, client
):
    stranger = StudentFactory(school=other_school)
    sign_in_fully(client, people.teacher)
    response = client.post(
        "/incidents/add/",
        {"student": stranger.pk, "text": "What I saw at break", "submission": "a" * 32},
    )
    assert response.status_code == 200
    assert "What I saw at break" in response.text
    row = AuditEvent.objects.get(action="access.refused")
    assert row.detail["kind"] == "student"
    assert row.detail["id"] == str(stranger.pk)
    assert row.detail["reason"] == "other_school"
    assert row.school_id == people.teacher.school_id


def test_a_form_sent_only_its_own_schools_records_records_no_refusal(school, people, client):
    sign_in_fully(client, people.teacher)
    student = StudentFactory(school=school)
    client.post("/incidents/add/", {"student": student.pk, "text": "", "submission": "b" * 32})
    assert not AuditEvent.objects.filter(action="access.refused").exists()


def test_opening_someone_elses_unfinished_incident_gives_a_blank_form_and_is_recorded(
    school, people, client
):
    Draft.objects.create(
        school=school, author=people.dsl, submission="c" * 32, data={"text": "About Hannah"}
    )
    sign_in_fully(client, people.teacher)
    response = client.get("/incidents/add/?draft=" + "c" * 32)
    assert response.status_code == 200
    assert "About Hannah" not in response.text
    row = AuditEvent.objects.get(action="access.refused")
    assert (row.detail["kind"], row.detail["id"], row.detail["reason"]) == (
        "draft",
        "c" * 32,
        "not_visible",
    )


def test_an_id_asked_with_a_nul_character_is_recorded_without_it(people, client):
    sign_in_fully(client, people.teacher)
    assert client.get("/incidents/add/?draft=ab%00cd").status_code == 200
    row = AuditEvent.objects.get(action="access.refused")
    assert (row.detail["id"], row.detail["reason"]) == ("abcd", "no_such_record")
