"""Every URL against every role. A new URL without an entry here fails the suite.

Outcomes of a GET: "ok" (200), "login" (sent to sign in), "verify" (sent to give the second
factor), "enrol" (sent to set one up), "denied" (403), "missing" (404), "method" (405: the URL
only takes POST), "redirect" (any other redirect).
"""

import datetime
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from kestrel.accounts.middleware import SIGNED_IN_AT
from kestrel.files.models import Attachment
from kestrel.testing.auth import authenticator_for, sign_in_fully, unlock_key
from kestrel.testing.factories import (
    AccessLevelFactory,
    AlertFactory,
    CategoryFactory,
    IncidentFactory,
    StudentFactory,
    UserFactory,
)

# "password_only": signed in with a password, second factor not yet given.
# "enrolling": signed in with a password at a school that requires a second factor they lack.
# "dsl" is a key holder with the key locked; "dsl_unlocked" has unlocked it in this session;
# "other_dsl" is an unlocked key holder at another school (every id below is of the first school).
# "alerted" and "alerted_read" are teachers alerted to the incident, before and after they marked
# the alert as read; "reporter" recorded it 2 days ago, "reporter_after_7_days" 8 days ago.
ROLES = [
    "anonymous",
    "password_only",
    "enrolling",
    "teacher",
    "alerted",
    "alerted_read",
    "reporter",
    "reporter_after_7_days",
    "dsl",
    "dsl_unlocked",
    "admin",
    "other_admin",
    "other_dsl",
]
FULL = [
    "teacher",
    "alerted",
    "alerted_read",
    "reporter",
    "reporter_after_7_days",
    "dsl",
    "dsl_unlocked",
    "admin",
    "other_admin",
    "other_dsl",
]


def expect(anonymous="login", password_only="verify", enrolling="enrol", **full):
    default = full.pop("full", "ok")
    # Alerted teachers and reporters are teachers everywhere else.
    for alerted in ("alerted", "alerted_read", "reporter", "reporter_after_7_days"):
        if "teacher" in full:
            full.setdefault(alerted, full["teacher"])
    row = {"anonymous": anonymous, "password_only": password_only, "enrolling": enrolling}
    row.update({role: full.get(role, default) for role in FULL})
    return row


SIGNED_IN = expect()
POST_ONLY = expect(full="method")
NOT_ADMINS = {"teacher": "denied", "dsl": "denied", "dsl_unlocked": "denied", "other_dsl": "denied"}
ADMIN_ONLY = expect(**NOT_ADMINS)
# An object of the first school: the other school's administrator must not find it.
ADMIN_OWN_SCHOOL = expect(**NOT_ADMINS, other_admin="missing")
NOT_KEY_HOLDERS = {"teacher": "denied", "admin": "denied", "other_admin": "denied"}
KEY_UNLOCKED = expect(**NOT_KEY_HOLDERS, dsl="key")
PUBLIC_PAGE = dict.fromkeys(ROLES, "ok")
# The first school's URN, by which another Kestrel finds its public keys.
URN = "100001"
SECOND_FACTOR_PAGE = expect(password_only="ok", enrolling="redirect", full="redirect")

# A child's case file: each page is about one student of the first school.
CASE_FILE_PAGES = [
    "case_pages:student",
    "case_pages:open_case",
    "case_pages:review",
    "case_pages:close_case",
    "case_pages:start_status",
    "case_pages:end_status",
    "case_pages:set_risk",
    "case_pages:add_referral",
    "case_pages:referral_outcome",
    "case_pages:add_decision",
    "case_pages:add_sharing",
    "case_pages:correct",
    "exports:export",
]

EXPECTED = {
    "": dict.fromkeys(ROLES, "redirect"),
    "dashboard": SIGNED_IN,
    "accounts:login": expect(anonymous="ok", password_only="ok", enrolling="ok", full="redirect"),
    "accounts:verify": SECOND_FACTOR_PAGE,
    "accounts:verify_backup_code": SECOND_FACTOR_PAGE,
    "accounts:passkey_verify_begin": expect(
        password_only="method", enrolling="method", full="method"
    ),
    "accounts:passkey_verify_complete": expect(
        password_only="method", enrolling="method", full="method"
    ),
    "accounts:logout": dict.fromkeys(ROLES, "method"),
    "accounts:reset": PUBLIC_PAGE,
    "accounts:reset_sent": PUBLIC_PAGE,
    "accounts:reset_confirm": PUBLIC_PAGE,
    "accounts:password_strength": dict.fromkeys(ROLES, "method"),
    "accounts:settings": SIGNED_IN,
    "accounts:change_password": SIGNED_IN,
    "accounts:reauthenticate": SIGNED_IN,
    # Step two without step one sends the person back to step one.
    "accounts:reauthenticate_code": expect(full="redirect"),
    "accounts:reauthenticate_passkey_begin": POST_ONLY,
    "accounts:reauthenticate_passkey_complete": POST_ONLY,
    "accounts:sign_out_everywhere": POST_ONLY,
    "accounts:two_factor_setup": expect(enrolling="ok"),
    "accounts:authenticator_remove": POST_ONLY,
    "accounts:backup_codes_new": expect(full="redirect"),
    "accounts:backup_codes_replace": POST_ONLY,
    "accounts:passkey_register_begin": POST_ONLY,
    "accounts:passkey_register_complete": POST_ONLY,
    "accounts:passkey_remove": expect(full="method"),
    "incidents:add": SIGNED_IN,
    "library:index": SIGNED_IN,
    "library:publish": expect(**NOT_KEY_HOLDERS),
    "library:document": expect(other_admin="missing", other_dsl="missing"),
    "library:confirm_read": expect(full="method"),
    "library:add_version": expect(**NOT_KEY_HOLDERS, full="method"),
    "library:download": expect(other_admin="missing", other_dsl="missing"),
    "roster:upload": ADMIN_ONLY,
    "roster:detail": ADMIN_OWN_SCHOOL,
    # The import is waiting to be confirmed: its columns were matched already.
    "roster:columns": expect(**NOT_ADMINS, admin="redirect", other_admin="missing"),
    "roster:rows": ADMIN_OWN_SCHOOL,
    "roster:refused_csv": ADMIN_OWN_SCHOOL,
    "roster:confirm": expect(**NOT_ADMINS, full="method"),
    "roster:cancel": expect(**NOT_ADMINS, full="method"),
    "roster:invite": expect(**NOT_ADMINS, full="method"),
    "roster:decide": expect(**NOT_ADMINS, full="method"),
    "schools:overview": ADMIN_ONLY,
    "schools:details": ADMIN_ONLY,
    "schools:email_problems": ADMIN_ONLY,
    "schools:import_term_dates": ADMIN_ONLY,
    "schools:email_retry": expect(**NOT_ADMINS, full="method"),
    "schools:section": ADMIN_ONLY,
    "schools:add": ADMIN_ONLY,
    "schools:edit": ADMIN_OWN_SCHOOL,
    "schools:staff_reset_second_factor": expect(**NOT_ADMINS, full="method"),
    "hide_names": POST_ONLY,
    "key:unlock": expect(**NOT_KEY_HOLDERS),
    "key:lock": expect(**NOT_KEY_HOLDERS, full="method"),
    "audit:index": KEY_UNLOCKED,
    "students:index": KEY_UNLOCKED,
    "audit:student": expect(**NOT_KEY_HOLDERS, dsl="key", other_dsl="missing"),
    "audit:staff": expect(**NOT_KEY_HOLDERS, dsl="key", other_dsl="missing"),
    # The incident is at the DSL team's level, recorded by someone else a month ago.
    "incidents:view": expect(
        teacher="missing",
        alerted="ok",
        alerted_read="missing",
        reporter="ok",
        reporter_after_7_days="missing",
        dsl="key",
        admin="missing",
        other_admin="missing",
        other_dsl="missing",
    ),
    "incidents:add_action": expect(
        teacher="missing",
        alerted="ok",
        alerted_read="missing",
        reporter="ok",
        reporter_after_7_days="missing",
        dsl="missing",
        admin="missing",
        other_admin="missing",
        other_dsl="missing",
    ),
    "incidents:correct": expect(**NOT_KEY_HOLDERS, dsl="key", other_dsl="missing"),
    # The DSL team's button on Viewing Incident: POST only, for key holders with the key unlocked.
    "incidents:encompass_acknowledge": expect(**NOT_KEY_HOLDERS, full="method"),
    "files:upload": POST_ONLY,
    "incidents:draft_save": POST_ONLY,
    "incidents:draft_discard": POST_ONLY,
    "files:download": expect(
        teacher="missing",
        alerted="ok",
        alerted_read="missing",
        reporter="ok",
        reporter_after_7_days="missing",
        dsl="missing",
        admin="missing",
        other_admin="missing",
        other_dsl="missing",
    ),
    "students:search": SIGNED_IN,
    "staff_search": SIGNED_IN,
    # "next alert" sends everyone signed in on: to their next alerted incident, or the Dashboard.
    "alerts:next": expect(full="redirect"),
    "alerts:read": POST_ONLY,
    "students:chronology": expect(**NOT_KEY_HOLDERS, dsl="key", other_dsl="missing"),
    # The case file: key holders of the student's school with their key unlocked.
    **dict.fromkeys(CASE_FILE_PAGES, expect(**NOT_KEY_HOLDERS, dsl="key", other_dsl="missing")),
    # Nothing to download until an export is made (kestrel/exports/tests downloads one).
    "exports:download": expect(
        **NOT_KEY_HOLDERS, dsl="key", other_dsl="missing", dsl_unlocked="missing"
    ),
    "case_pages:caseload": KEY_UNLOCKED,
    "case_pages:awaiting_feedback": KEY_UNLOCKED,
    "report_pages:governors": KEY_UNLOCKED,
    "report_pages:governors_pdf": KEY_UNLOCKED,
    "report_pages:governors_csv": KEY_UNLOCKED,
    "report_pages:inspection": KEY_UNLOCKED,
    "report_pages:inspection_pdf": KEY_UNLOCKED,
    "report_pages:patterns": KEY_UNLOCKED,
    # A trust's view (issue 23, item 5): "Switch school" for everyone signed in (their own school
    # only, for these roles); the trust's page for its safeguarding lead only (none of these:
    # kestrel/trust_pages/tests).
    "trust_pages:switch": SIGNED_IN,
    "trust_pages:overview": expect(full="denied"),
    # Transfers of a leaver's file (issue 22): the DSL team, key unlocked. The matrix's transfer
    # is due and its file not yet made (nothing to download); its child has it open, so Mark as
    # left leads to it.
    "transfer_pages:log": KEY_UNLOCKED,
    **dict.fromkeys(
        ["transfer_pages:transfer", "transfer_pages:destination"],
        expect(**NOT_KEY_HOLDERS, dsl="key", other_dsl="missing"),
    ),
    "transfer_pages:send_paper": expect(
        **NOT_KEY_HOLDERS, dsl="key", dsl_unlocked="missing", other_dsl="missing"
    ),
    "transfer_pages:mark_left": expect(
        **NOT_KEY_HOLDERS, dsl="key", dsl_unlocked="redirect", other_dsl="missing"
    ),
    **dict.fromkeys(
        [
            "transfer_pages:prepare",
            "transfer_pages:paper_receipt",
            "transfer_pages:informed",
            "transfer_pages:cancel",
            "transfer_pages:copy_done",
        ],
        expect(**NOT_KEY_HOLDERS, dsl="key", dsl_unlocked="method", other_dsl="method"),
    ),
    # A child's key facts (issue 21): for key holders of the child's school, as the chronology.
    **dict.fromkeys(
        [
            f"key_facts:{name}"
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
        ],
        expect(**NOT_KEY_HOLDERS, dsl="key", other_dsl="missing"),
    ),
    # The download-link route: the sender's pages at the due transfer (its file not prepared:
    # the page says so), and the receiving DSL's public pages at a link's token ("set-password"
    # opens none: refused as unknown, 404, for everyone; POST-only pages 405 first).
    "transfer_pages:link_send": expect(**NOT_KEY_HOLDERS, dsl="key", other_dsl="missing"),
    "transfer_pages:link_withdraw": expect(**NOT_KEY_HOLDERS, dsl="key", full="method"),
    **dict.fromkeys(
        [
            f"transfer_pages:{name}"
            for name in (
                "link_open",
                "link_code",
                "link_name",
                "link_file",
                "link_download",
                "link_download_files",
            )
        ],
        dict.fromkeys(ROLES, "missing"),
    ),
    **dict.fromkeys(
        ["transfer_pages:link_email_code", "transfer_pages:link_confirm"],
        dict.fromkeys(ROLES, "method"),
    ),
    # Files received from another school on Kestrel (issue 22): key holders of the school with
    # their key unlocked, at the received file `transfers_of` makes (it has no package stored:
    # nothing to download, 404); the POST-only pages answer 405 to a GET
    # (kestrel/transfer_pages/tests/test_received_pages.py posts to each).
    "transfer_pages:received_list": KEY_UNLOCKED,
    "transfer_pages:received": expect(**NOT_KEY_HOLDERS, dsl="key", other_dsl="missing"),
    "transfer_pages:received_download": expect(
        **NOT_KEY_HOLDERS, dsl="key", other_dsl="missing", dsl_unlocked="missing"
    ),
    # The route to a school on Kestrel: the DSL's send (POST) and its state at the due
    # transfer; another Kestrel's calls: the school's public keys (the first school's, by its
    # URN) for anyone, the inbox and receipts POST-only.
    "transfer_pages:kestrel_send": expect(**NOT_KEY_HOLDERS, dsl="key", full="method"),
    "transfer_pages:kestrel_status": expect(**NOT_KEY_HOLDERS, dsl="key", other_dsl="missing"),
    "transfer_pages:kestrel_keys": PUBLIC_PAGE,
    **dict.fromkeys(
        ["transfer_pages:kestrel_inbox", "transfer_pages:kestrel_receipts"],
        dict.fromkeys(ROLES, "method"),
    ),
    **dict.fromkeys(
        [f"transfer_pages:received_{name}" for name in ("match", "accept", "review", "refuse")],
        expect(**NOT_KEY_HOLDERS, dsl="key", full="method"),
    ),
    # The staff training log (issue 23): the administrator and the DSL team (no key needed: it
    # holds no child's data), each of their own school; the teacher's training record (with a
    # certificate) and an import waiting to be confirmed. The teacher opens their own
    # certificate (Account Settings links it); other teachers find no such record.
    **dict.fromkeys(
        [f"training_pages:{name}" for name in ("overview", "staff_list", "import")],
        expect(teacher="denied"),
    ),
    "training_pages:compliance_csv": expect(teacher="denied"),
    **dict.fromkeys(
        [
            f"training_pages:{name}"
            for name in (
                "staff",
                "record",
                "joined",
                "add_certificate",
                "remove",
                "import_preview",
                "import_refused",
            )
        ],
        expect(teacher="denied", other_admin="missing", other_dsl="missing"),
    ),
    **dict.fromkeys(
        ["training_pages:import_confirm", "training_pages:import_cancel"],
        expect(teacher="denied", full="method"),
    ),
    "training_pages:certificate": expect(
        teacher="ok",
        alerted="missing",
        alerted_read="missing",
        reporter="missing",
        reporter_after_7_days="missing",
        other_admin="missing",
        other_dsl="missing",
    ),
}


def _walk(resolver, prefix="", namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or ''}", prefix + str(entry.pattern), entry.callback


def all_urls():
    return list(_walk(get_resolver()))


def _concrete(
    name: str,
    route: str,
    student_pk: int,
    staff_pk: int,
    incident_pk: int,
    file_key="",
    document_pk=0,
    roster=(0, 0),
    key_facts=(0, 0),
    case_file=(0, 0),
    transfers=(0, 0),
    training=(0, 0),
) -> str:
    pk = student_pk
    if name in {"training_pages:staff", "training_pages:record", "training_pages:joined"}:
        pk = staff_pk
    elif name.startswith("training_pages:import"):
        pk = training[1]
    elif name.startswith("training_pages:"):
        pk = training[0]
    elif name.startswith("transfer_pages:received"):
        pk = transfers[1]
    elif name.startswith("transfer_pages:") and name != "transfer_pages:mark_left":
        pk = transfers[0]
    elif name.startswith("roster:"):
        pk = roster[0]
    elif name in {"audit:staff", "schools:staff_reset_second_factor"}:
        pk = staff_pk
    elif name in {
        "incidents:view",
        "incidents:add_action",
        "incidents:correct",
        "incidents:encompass_acknowledge",
    }:
        pk = incident_pk
    elif name.startswith("library:"):
        pk = document_pk
    return "/" + (
        route.replace("<slug:slug>", "students")
        .replace("<int:pk>", str(pk))
        .replace("<uidb64>", "MQ")
        .replace("<token>", "set-password")
        .replace("<uuid:key>", str(file_key))
        .replace("<int:number>", "1")
        .replace("<slug:kind>", "students")
        .replace("<slug:outcome>", "held")
        .replace("<int:row>", str(roster[1]))
        .replace("<int:contact>", str(key_facts[0]))
        .replace("<int:professional>", str(key_facts[1]))
        .replace("<int:status>", str(case_file[0]))
        .replace("<slug:record_type>", "status")
        .replace("<int:record>", str(case_file[0]))
        .replace("<int:referral>", str(case_file[1]))
        .replace("<str:urn>", URN)
    )


def held_import(school, admin):
    """An import of the school's roster waiting to be confirmed, with one row held for a
    decision: (its id, the row's id)."""
    from kestrel.roster.models import Kind, Outcome, RosterImport, RosterRow, State

    roster_import = RosterImport.objects.create(
        school=school,
        kind=Kind.STUDENTS,
        state=State.PREVIEW,
        file_name="roll.csv",
        file_sha256="0" * 64,
        uploaded_by=admin,
        counts={
            "rows": 1,
            "new": 0,
            "changed": 0,
            "unchanged": 0,
            "leaving": 0,
            "held": 1,
            "refused": 0,
            "on_roll": 1,
        },
    )
    row = RosterRow.objects.create(
        roster_import=roster_import,
        row=2,
        outcome=Outcome.HELD,
        student=StudentFactory(school=school),
        values={"legal_first_name": "Ada", "legal_last_name": "Lovelace"},
        reason="Same name and date of birth.",
    )
    return roster_import.pk, row.pk


def key_facts_of(student, dsl):
    """A contact and a professional of the student's key facts: (their ids)."""
    from kestrel.key_facts.services import add_contact, add_professional

    contact = add_contact(actor=dsl, student=student, name="Mark", relationship="Father")
    professional = add_professional(
        actor=dsl, student=student, role="social_worker", name="Priya Shah"
    )
    return contact.contact_id, professional.professional_id


def case_file_of(student, dsl):
    """An open case with a status and a referral awaiting feedback: (their ids)."""
    from kestrel.casefile.services import make_referral, start_status

    day = timezone.localdate()
    status = start_status(actor=dsl, student=student, kind="child_in_need", started_on=day)
    referral = make_referral(
        actor=dsl,
        student=student,
        target="police",
        to_label="Police",
        made_on=day,
        made_by=dsl,
        reason="Matrix",
        feedback_due_on=day,
    )
    return status.pk, referral.pk


def transfers_of(student, dsl):
    """A transfer due for the student (marked as left, destination a school) and a file received
    at the school from another: (their ids)."""
    from kestrel.transfers.models import Received
    from kestrel.transfers.services import mark_left

    transfer = mark_left(
        actor=dsl,
        student=student,
        left_on=timezone.localdate(),
        destination="school",
        details={"destination_name": "Brook Academy"},
    )
    received = Received.objects.create(
        school=student.school,
        from_school_name="Alder Primary",
        from_address="https://kestrel.alder.example",
        from_transfer="T-1-1",
        child_name="Matrix Child",
    )
    return transfer.pk, received.pk


def training_of(teacher, admin):
    """The teacher's training record, with a certificate, and an import of training records
    waiting to be confirmed: (their ids)."""
    import io

    from kestrel.files import encrypted
    from kestrel.testing.factories import TrainingRecordFactory
    from kestrel.training.models import Certificate, TrainingImport

    training = TrainingRecordFactory(
        requirement__school=teacher.school, staff=teacher, recorded_by=admin
    )
    kept = encrypted.store(io.BytesIO(b"%PDF-1.4 m"), folder="certificates/matrix", suffix=".pdf")
    Certificate.objects.create(
        school=teacher.school,
        record=training,
        original_name="certificate.pdf",
        stored_name=kept.name,
        content_type="application/pdf",
        size=kept.size,
        sha256=kept.sha256,
        uploaded_by=admin,
    )
    waiting = TrainingImport.objects.create(
        school=teacher.school, file_name="training.csv", file_sha256="0" * 64, uploaded_by=admin
    )
    return training.pk, waiting.pk


def _outcome(response) -> str:
    if response.status_code == 200:
        return "ok"
    if response.status_code in (301, 302):
        path = urlsplit(response["Location"]).path
        if path == "/login/verify/":
            return "verify"
        if path == "/account/two-factor/setup/":
            return "enrol"
        if path == "/key/":
            return "key"
        return "login" if path == "/login/" else "redirect"
    return {403: "denied", 404: "missing", 405: "method"}.get(response.status_code, "other")


def publish_document(school, dsl):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kestrel.library.services import category_named, publish

    return publish(
        actor=dsl,
        title="Child protection policy",
        category=category_named(school=school, name="Policies"),
        summary="",
        is_policy=True,
        upload=SimpleUploadedFile("policy.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
    )


def other_dsl(people):
    return UserFactory(
        school=people.other_admin.school,
        is_key_holder=True,
        access_level=AccessLevelFactory(school=people.other_admin.school, rank=40),
    )


def _password_only(client, user):
    client.force_login(user)
    session = client.session
    session[SIGNED_IN_AT] = timezone.now().isoformat()
    session.save()


def test_every_url_has_an_entry_in_the_access_matrix():
    names = {name for name, _, _ in all_urls()}
    assert names - set(EXPECTED) == set(), "add these URLs to the access matrix"
    assert set(EXPECTED) - names == set(), "these matrix entries match no URL"


def test_every_view_declares_its_permission():
    undeclared = [
        route for _, route, view in all_urls() if getattr(view, "kestrel_permission", None) is None
    ]
    assert undeclared == []


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_expected_answer_from_every_url(role, people, client, school):
    student = StudentFactory(school=school)
    reporter = UserFactory(school=school, access_level=people.teacher.access_level)
    days_ago = {"reporter": 2, "reporter_after_7_days": 8}.get(role, 30)
    incident = IncidentFactory(
        school=school,
        student=student,
        reporter=reporter,
        categories=[CategoryFactory(school=school, access_level=people.dsl.access_level)],
        recorded_at=timezone.now() - datetime.timedelta(days=days_ago),
    )
    attachment = Attachment.objects.create(
        school=school,
        uploaded_by=reporter,
        incident=incident,
        original_name="minutes.pdf",
        stored_name=default_storage.save("attachments/matrix.pdf", ContentFile(b"%PDF-1.4 m")),
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
    )
    document = publish_document(school, people.dsl)
    roster = held_import(school, people.admin)
    key_facts = key_facts_of(student, people.dsl)
    case_file = case_file_of(student, people.dsl)
    type(school).objects.filter(pk=school.pk).update(urn=URN)
    transfers = transfers_of(student, people.dsl)
    training = training_of(people.teacher, people.admin)
    if role in {"reporter", "reporter_after_7_days"}:
        sign_in_fully(client, reporter)
    elif role in {"alerted", "alerted_read"}:
        teacher = UserFactory(school=school, access_level=people.teacher.access_level)
        AlertFactory(
            incident=incident,
            recipient=teacher,
            read_at=timezone.now() if role == "alerted_read" else None,
        )
        sign_in_fully(client, teacher)
    elif role == "password_only":
        authenticator_for(people.teacher)
        _password_only(client, people.teacher)
    elif role == "enrolling":
        _password_only(client, UserFactory(school=school))
    elif role in {"dsl_unlocked", "other_dsl"}:
        key_holder = people.dsl if role == "dsl_unlocked" else other_dsl(people)
        sign_in_fully(client, key_holder)
        unlock_key(client)
    elif role != "anonymous":
        sign_in_fully(client, getattr(people, role))
    unexpected = {}
    for name, route, _ in all_urls():
        url = _concrete(
            name,
            route,
            student.pk,
            people.teacher.pk,
            incident.pk,
            attachment.key,
            document.pk,
            roster,
            key_facts,
            case_file,
            transfers,
            training,
        )
        response = client.get(url)
        got = _outcome(response)
        if got != EXPECTED[name][role]:
            unexpected[name] = (got, EXPECTED[name][role])
    assert unexpected == {}, "URL: (got, expected)"
