"""Staff from the MIS (issue 20, point 5): matched by email address, new staff added deactivated
until their first-time email, leavers deactivated (never the administrator running the import,
nor the last one), alert groups and access levels named as the school names them."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kestrel.accounts.models import SignInSession, User
from kestrel.accounts.tasks import send_first_time_email
from kestrel.audit.models import AuditEvent
from kestrel.roster import pupils, staff
from kestrel.roster.models import Decision, Kind, Outcome, RosterImport, RosterRow, State
from kestrel.schools.scope import scope
from kestrel.testing.auth import sign_in_fully
from kestrel.testing.factories import AlertGroupFactory, UserFactory


@pytest.fixture
def groups(school):
    return {
        name: AlertGroupFactory(school=school, name=name)
        for name in ("SLT", "Year 6", "Safeguarding")
    }


def checked(school, rows, *, whole=False, uploaded_by=None):
    """An import of `rows` (row number, {field: text}), previewed as the check task does."""
    with scope(school=school.pk):
        roster_import = RosterImport.objects.create(
            school=school,
            kind=Kind.STAFF,
            file_name="staff.csv",
            file_sha256="0" * 64,
            whole_roster=whole,
            uploaded_by=uploaded_by,
        )
        counts = staff.preview(roster_import, list(rows))
        RosterImport.objects.filter(pk=roster_import.pk).update(state=State.PREVIEW, counts=counts)
    roster_import.refresh_from_db()
    return roster_import


def applied(roster_import, actor):
    """Confirms and applies the import as the apply task does; returns what was applied."""
    RosterImport.objects.filter(pk=roster_import.pk).update(
        state=State.APPLYING, confirmed_by=actor, confirmed_at=timezone.now()
    )
    roster_import.refresh_from_db()
    with scope(school=roster_import.school_id):
        counts = staff.apply(roster_import, actor=actor)
        pupils.finish(roster_import, actor=actor)
    roster_import.refresh_from_db()
    return counts


def rows_of(*rows: dict):
    return [(number, row) for number, row in enumerate(rows, start=2)]


def person(first, last, email, **fields):
    return {"first_name": first, "last_name": last, "email": email, **fields}


def only(roster_import, outcome) -> RosterRow:
    (row,) = RosterRow.objects.filter(roster_import=roster_import, outcome=outcome)
    return row


def everyone_in(people):
    return [
        person("Chloe", "Kelan", people.dsl.email),
        person("James", "Carter", people.teacher.email),
        person("School", "Office", people.admin.email),
    ]


# -- New staff ---------------------------------------------------------------------------------


def test_new_staff_are_added_deactivated_with_their_level_key_and_groups(
    school, people, levels, groups
):
    roster_import = checked(
        school,
        rows_of(
            person(
                "Ada",
                "Okafor",
                "Ada.Okafor@Example.org",
                job_title="Deputy head",
                access_level="dsl TEAM",
                key_holder="Y",
                alert_groups="slt; Year 6",
            )
        ),
        uploaded_by=people.admin,
    )
    assert roster_import.counts["new"] == 1
    assert roster_import.counts["on_roll"] == 3
    assert only(roster_import, Outcome.NEW).values == {
        "first_name": "Ada",
        "last_name": "Okafor",
        "email": "ada.okafor@example.org",
        "job_title": "Deputy head",
        "access_level": "DSL team",
        "key_holder": True,
        "alert_groups": ["SLT", "Year 6"],
    }

    assert applied(roster_import, people.admin) == {
        "added": 1,
        "changed": 0,
        "left": 0,
        "not_applied": 0,
    }
    ada = User.objects.get(email="ada.okafor@example.org")
    assert (ada.school, ada.first_name, ada.last_name, ada.job_title) == (
        school,
        "Ada",
        "Okafor",
        "Deputy head",
    )
    assert not ada.is_active
    assert not ada.has_usable_password()
    assert ada.access_level == levels.dsl and ada.is_key_holder
    assert {g.name for g in ada.alert_groups.all()} == {"SLT", "Year 6"}
    assert "okafor" in ada.search_text  # the staff searches find her
    assert only(roster_import, Outcome.NEW).staff == ada
    added = AuditEvent.objects.get(action="staff.added")
    assert (added.actor, added.object_id) == (people.admin, str(ada.pk))
    assert added.detail["import"] == roster_import.pk
    assert "alert_groups" in added.detail["fields"]
    assert staff.to_invite(roster_import) == 1


def test_inviting_activates_and_emails_each_new_colleague_once(
    school, people, django_capture_on_commit_callbacks
):
    roster_import = checked(
        school,
        rows_of(
            person("Ada", "Okafor", "ada.okafor@example.org"),
            person("D'Arcy", "O'Brien", "sian.obrien@example.org"),
        ),
    )
    applied(roster_import, people.admin)
    events_before = AuditEvent.objects.count()

    with scope(school=school.pk), django_capture_on_commit_callbacks(execute=True):
        assert staff.invite_new(roster_import, actor=people.admin) == 2

    ada = User.objects.get(email="ada.okafor@example.org")
    sian = User.objects.get(email="sian.obrien@example.org")
    assert ada.is_active and sian.is_active
    assert sorted(message.to[0] for message in mail.outbox) == [ada.email, sian.email]
    message = next(m for m in mail.outbox if m.to == [sian.email])
    assert message.subject == "Your Kestrel account at Ashdown Primary School"
    assert "School Office has added you to Kestrel" in message.body
    assert "Hello D'Arcy," in message.body  # plain text: nothing HTML-escaped
    assert "expires in one hour" in message.body
    link = re.search(r"http://testserver(/password-reset/\S+)", message.body).group(1)
    assert link in message.alternatives[0][0]
    opened = Client().get(link)  # the link is good: it leads on to setting a password
    assert opened.status_code == 302 and opened["Location"].endswith("/set-password/")

    invited = AuditEvent.objects.filter(action="staff.invited")
    assert {e.object_id for e in invited} == {str(ada.pk), str(sian.pk)}
    assert {e.actor for e in invited} == {people.admin}
    assert AuditEvent.objects.count() == events_before + 2  # and nothing else

    with scope(school=school.pk), django_capture_on_commit_callbacks(execute=True):
        assert staff.to_invite(roster_import) == 0
        assert staff.invite_new(roster_import, actor=people.admin) == 0
    assert len(mail.outbox) == 2


def test_new_staff_are_invited_only_once_the_import_is_done(school, people):
    roster_import = checked(school, rows_of(person("Ada", "Okafor", "ada@example.org")))
    with scope(school=school.pk):
        assert staff.to_invite(roster_import) == 0
        assert staff.invite_new(roster_import, actor=people.admin) == 0


def test_a_colleague_activated_and_deactivated_by_hand_is_not_invited(
    school, people, signed_in, django_capture_on_commit_callbacks
):
    roster_import = checked(school, rows_of(person("Ada", "Okafor", "ada@example.org")))
    applied(roster_import, people.admin)
    ada = User.objects.get(email="ada@example.org")
    admin = signed_in(people.admin)
    edit = reverse("schools:edit", args=["staff", ada.pk])
    form = {"first_name": "Ada", "last_name": "Okafor", "email": ada.email}
    assert admin.post(edit, {**form, "is_active": "on"}).status_code == 302
    assert admin.post(edit, form).status_code == 302  # deactivated again, on purpose
    ada.refresh_from_db()
    assert not ada.is_active

    with scope(school=school.pk), django_capture_on_commit_callbacks(execute=True):
        assert staff.to_invite(roster_import) == 0
        assert staff.invite_new(roster_import, actor=people.admin) == 0
    ada.refresh_from_db()
    assert not ada.is_active
    assert mail.outbox == []


def test_the_first_time_email_is_not_sent_to_an_account_deactivated_again(school, people):
    ada = UserFactory(school=school, email="ada@example.org", is_active=False)
    ada.set_unusable_password()
    ada.save()
    send_first_time_email.call(ada.pk, people.admin.pk)
    assert mail.outbox == []


# -- Refused rows ------------------------------------------------------------------------------


def test_an_address_of_another_school_is_refused_without_naming_that_school(
    school, people, other_school
):
    roster_import = checked(
        school,
        rows_of(person("Olu", "Other", "  OFFICE@BrookLane.example.org ")),
    )
    row = only(roster_import, Outcome.REFUSED)
    assert row.reason == (
        "Email address office@brooklane.example.org is already used by a Kestrel account at "
        "another school, and an address can have only one account. Use this colleague’s "
        "address at your school."
    )
    assert "Brook Lane" not in row.reason
    assert roster_import.counts["new"] == 0


def test_an_unknown_access_level_or_alert_group_is_refused_naming_those_the_school_has(
    school, people, levels, groups
):
    roster_import = checked(
        school,
        rows_of(
            person("Ada", "Okafor", "ada@example.org", access_level="Teachers"),
            person("Ben", "Ash", "ben@example.org", alert_groups="SLT, Lunch; Trips"),
            person("Cal", "Bay", "cal@example.org", access_level="Staff", alert_groups="Lunch"),
        ),
    )
    reasons = {
        row.row: row.reason
        for row in RosterRow.objects.filter(roster_import=roster_import, outcome=Outcome.REFUSED)
    }
    assert reasons == {
        2: "Access level “Teachers” does not exist. The school’s access levels are: DSL team, "
        "Staff. Use one of these names, or leave the cell empty for none.",
        3: "Alert groups “Lunch”, “Trips” do not exist. The school’s alert groups are: "
        "Safeguarding, SLT, Year 6. Separate names with ; or ,.",
        4: "Alert group “Lunch” does not exist. The school’s alert groups are: Safeguarding, "
        "SLT, Year 6. Separate names with ; or ,.",
    }


def test_a_retired_access_level_is_not_one_the_school_has(school, people, levels):
    levels.staff.is_active = False
    levels.staff.save()
    roster_import = checked(
        school, rows_of(person("Ada", "Okafor", "ada@example.org", access_level="Staff"))
    )
    assert (
        "The school’s access levels are: DSL team." in only(roster_import, Outcome.REFUSED).reason
    )


def test_rows_without_a_name_or_address_or_with_one_twice_are_refused(school, people):
    roster_import = checked(
        school,
        rows_of(
            person("Ada", "", "ada@example.org"),
            person("Ben", "Ash", ""),
            person("Cal", "Bay", "not an address"),
            person("Dee", "Cox", "dee@example.org"),
            person("Dee", "Cox", "DEE@example.org"),
            person("Eve", "Day\u200b", "eve@example.org"),
        ),
    )
    reasons = {
        row.row: row.reason
        for row in RosterRow.objects.filter(roster_import=roster_import, outcome=Outcome.REFUSED)
    }
    assert reasons == {
        2: "Last name is missing.",
        3: "Email address is missing.",
        4: "Email address: “not an address” is not an email address. Write it in full, like "
        "name@school.org.uk.",
        6: "Email address dee@example.org is also on row 5.",
        7: "Last name must be on one line, without hidden characters.",
    }
    assert roster_import.counts["new"] == 1


def test_a_full_name_column_is_split_surname_first_at_a_comma(school, people):
    roster_import = checked(
        school,
        rows_of(
            {"name": "van der Berg, Mary-Jane", "email": "mj@example.org"},
            {"name": "Mary-Jane  van der Berg", "email": "mj2@example.org"},
            {"name": "Prince", "email": "prince@example.org"},
        ),
    )
    new = RosterRow.objects.filter(roster_import=roster_import, outcome=Outcome.NEW)
    assert {(r.values["first_name"], r.values["last_name"]) for r in new} == {
        ("Mary-Jane", "van der Berg")
    }
    assert len(new) == 2
    assert only(roster_import, Outcome.REFUSED).reason.startswith(
        "Full name: “Prince” is not a first name and a last name."
    )


# -- Held rows ---------------------------------------------------------------------------------


def test_a_new_address_with_a_colleagues_name_is_held_never_merged(school, people):
    roster_import = checked(
        school,
        rows_of(
            person("james", "CARTER", "j.carter@example.org", job_title="Teacher"),
            person("Chloe", "Kelan", people.dsl.email),
            person("School", "Office", people.admin.email),
        ),
        whole=True,
        uploaded_by=people.admin,
    )
    held = only(roster_import, Outcome.HELD)
    assert held.staff == people.teacher
    assert held.reason == (
        "Same name as James Carter (james.carter@example.org), but a different email address. "
        "If it is the same person, their email address changes to the row’s."
    )
    assert held.changes["email"] == ["james.carter@example.org", "j.carter@example.org"]
    assert roster_import.counts["leaving"] == 0  # James may be this row: he is not leaving
    assert applied(roster_import, people.admin)["not_applied"] == 1  # undecided: nothing
    people.teacher.refresh_from_db()
    assert people.teacher.email == "james.carter@example.org"
    assert not User.objects.filter(email="j.carter@example.org").exists()


@pytest.mark.parametrize("decision", [Decision.SAME, Decision.NEW])
def test_a_held_row_is_the_same_person_or_a_new_one_as_the_administrator_says(
    school, people, decision
):
    roster_import = checked(
        school, rows_of(person("James", "Carter", "j.carter@example.org", job_title="Teacher"))
    )
    RosterRow.objects.filter(roster_import=roster_import).update(decision=decision)
    counts = applied(roster_import, people.admin)
    people.teacher.refresh_from_db()
    if decision == Decision.SAME:
        assert counts["changed"] == 1
        assert (people.teacher.email, people.teacher.job_title) == (
            "j.carter@example.org",
            "Teacher",
        )
        assert people.teacher.is_active
        with scope(school=school.pk):
            assert staff.to_invite(roster_import) == 0
    else:
        assert counts["added"] == 1
        assert people.teacher.email == "james.carter@example.org"
        twin = User.objects.get(email="j.carter@example.org")
        assert not twin.is_active
        with scope(school=school.pk):
            assert staff.to_invite(roster_import) == 1


def test_two_held_rows_said_to_be_one_colleague_change_them_once(school, people):
    roster_import = checked(
        school,
        rows_of(
            person("James", "Carter", "j.carter@example.org"),
            person("James", "Carter", "jc@example.org"),
        ),
    )
    assert roster_import.counts["held"] == 2
    RosterRow.objects.filter(roster_import=roster_import).update(decision=Decision.SAME)
    assert applied(roster_import, people.admin)["not_applied"] == 1
    people.teacher.refresh_from_db()
    assert people.teacher.email == "j.carter@example.org"
    second = RosterRow.objects.get(roster_import=roster_import, row=3)
    assert second.skipped == "Row 2 changed James Carter already: nothing was changed."


# -- Changes -----------------------------------------------------------------------------------


def test_changes_are_listed_old_and_new_and_applied_with_their_audit_event(
    school, people, levels, groups
):
    people.teacher.job_title = "Class teacher"
    people.teacher.save()
    groups["SLT"].members.add(people.teacher)
    roster_import = checked(
        school,
        rows_of(
            person(
                "James",
                "Carter",
                "James.Carter@example.org",
                job_title="",
                access_level="DSL team",
                key_holder="yes",
                alert_groups="Year 6",
            )
        ),
    )
    row = only(roster_import, Outcome.CHANGED)
    assert row.staff == people.teacher
    assert row.changes == {
        "job_title": ["Class teacher", ""],
        "access_level": ["Staff", "DSL team"],
        "key_holder": [False, True],
        "alert_groups": [["SLT"], ["Year 6"]],
    }
    assert applied(roster_import, people.admin)["changed"] == 1
    people.teacher.refresh_from_db()
    assert people.teacher.job_title == ""
    assert people.teacher.access_level == levels.dsl and people.teacher.is_key_holder
    assert [g.name for g in people.teacher.alert_groups.all()] == ["Year 6"]
    changed = AuditEvent.objects.get(action="staff.changed")
    assert changed.object_id == str(people.teacher.pk)
    assert changed.detail == {
        "fields": ["access_level", "alert_groups", "job_title", "key_holder"],
        "import": roster_import.pk,
    }


def test_alert_groups_are_replaced_only_when_the_file_has_the_column(school, people, groups):
    retired = AlertGroupFactory(school=school, name="Old group", is_active=False)
    retired.members.add(people.teacher)
    groups["SLT"].members.add(people.teacher)
    without = checked(school, rows_of(person("James", "Carter", people.teacher.email)))
    assert without.counts["unchanged"] == 1
    applied(without, people.admin)
    assert {g.name for g in people.teacher.alert_groups.all()} == {"SLT", "Old group"}

    emptied = checked(
        school, rows_of(person("James", "Carter", people.teacher.email, alert_groups=""))
    )
    assert only(emptied, Outcome.CHANGED).changes == {"alert_groups": [["SLT"], []]}
    applied(emptied, people.admin)
    # Only the groups in use: a retired group's membership is not the file's to change.
    assert {g.name for g in people.teacher.alert_groups.all()} == {"Old group"}


def test_a_change_made_since_the_preview_is_left_out(school, people):
    roster_import = checked(
        school, rows_of(person("James", "Carter", people.teacher.email, job_title="Teacher"))
    )
    people.teacher.job_title = "Head of Year 6"
    people.teacher.save()
    assert applied(roster_import, people.admin)["not_applied"] == 1
    people.teacher.refresh_from_db()
    assert people.teacher.job_title == "Head of Year 6"
    assert only(roster_import, Outcome.CHANGED).skipped == (
        "James Carter was changed in Kestrel after this file was checked (Job title): nothing "
        "was changed. Import the file again to see the changes as they are now."
    )


def test_an_address_taken_since_the_preview_is_left_out_and_the_rest_applied(
    school, people, other_school
):
    roster_import = checked(
        school,
        rows_of(
            person("Ada", "Okafor", "ada@example.org"),
            person("Ben", "Ash", "ben@example.org"),
        ),
    )
    UserFactory(school=other_school, email="ada@example.org")
    assert applied(roster_import, people.admin) == {
        "added": 1,
        "changed": 0,
        "left": 0,
        "not_applied": 1,
    }
    ada_row = RosterRow.objects.get(roster_import=roster_import, row=2)
    assert ada_row.skipped == "Another account now has this email address: nothing was changed."
    assert ada_row.staff is None
    assert User.objects.get(email="ben@example.org").school == school


def test_an_import_never_activates_an_account(school, people):
    people.teacher.is_active = False
    people.teacher.save()
    roster_import = checked(
        school,
        rows_of(person("James", "Carter", people.teacher.email, job_title="Teacher")),
        whole=True,
        uploaded_by=people.admin,
    )
    row = only(roster_import, Outcome.CHANGED)
    assert "James Carter is deactivated in Kestrel, and stays so" in row.reason
    applied(roster_import, people.admin)
    people.teacher.refresh_from_db()
    assert people.teacher.job_title == "Teacher" and not people.teacher.is_active


def test_importing_the_same_file_again_changes_nothing(school, people, levels, groups):
    rows = rows_of(
        *everyone_in(people),
        person("Ada", "Okafor", "ada@example.org", access_level="Staff", alert_groups="SLT;Year 6"),
        {"name": "van der Berg, Mary-Jane", "email": "mj@example.org", "key_holder": "N"},
    )
    first = checked(school, rows, whole=True, uploaded_by=people.admin)
    assert applied(first, people.admin)["added"] == 2
    events = AuditEvent.objects.order_by("pk").last().pk
    again = checked(school, rows, whole=True, uploaded_by=people.admin)
    counts = again.counts
    assert (counts["new"], counts["changed"], counts["leaving"], counts["held"]) == (0, 0, 0, 0)
    assert (counts["unchanged"], counts["refused"]) == (5, 0)
    assert applied(again, people.admin) == {"added": 0, "changed": 0, "left": 0, "not_applied": 0}
    # The import's own event, and nothing about any colleague.
    assert list(AuditEvent.objects.filter(pk__gt=events).values_list("action", flat=True)) == [
        "roster.imported"
    ]


# -- Leavers -----------------------------------------------------------------------------------


def test_a_leaver_is_deactivated_and_signed_out_never_deleted(school, people):
    teacher_browser = sign_in_fully(Client(), people.teacher)
    assert teacher_browser.get("/dashboard/").status_code == 200
    roster_import = checked(
        school,
        rows_of(
            person("Chloe", "Kelan", people.dsl.email), person("S", "Office", people.admin.email)
        ),
        whole=True,
        uploaded_by=people.admin,
    )
    leaving = only(roster_import, Outcome.LEAVING)
    assert (leaving.staff, leaving.changes) == (people.teacher, {"active": [True, False]})
    assert roster_import.counts["leaving"] == 1
    assert pupils.needs_second_confirmation(roster_import.counts)  # 1 of 3 is past a tenth

    assert applied(roster_import, people.admin)["left"] == 1
    people.teacher.refresh_from_db()
    assert not people.teacher.is_active
    assert (people.teacher.first_name, people.teacher.last_name) == ("James", "Carter")
    assert teacher_browser.get("/dashboard/").status_code == 302  # sent to sign in
    assert not SignInSession.objects.filter(user=people.teacher, ended_at=None).exists()
    assert not Session.objects.filter(session_key=teacher_browser.session.session_key).exists()
    deactivated = AuditEvent.objects.get(action="staff.deactivated")
    assert (deactivated.actor, deactivated.object_id) == (people.admin, str(people.teacher.pk))
    assert deactivated.detail == {"fields": ["active"], "import": roster_import.pk}


def test_a_colleague_whose_row_was_refused_is_not_leaving(school, people):
    roster_import = checked(
        school,
        rows_of(
            *everyone_in(people)[::2],
            person("James", "", people.teacher.email.upper()),
        ),
        whole=True,
        uploaded_by=people.admin,
    )
    assert roster_import.counts["leaving"] == 0
    assert roster_import.counts["refused"] == 1


def test_a_partial_file_deactivates_nobody(school, people):
    roster_import = checked(
        school, rows_of(person("Chloe", "Kelan", people.dsl.email)), uploaded_by=people.admin
    )
    assert roster_import.counts["leaving"] == 0
    applied(roster_import, people.admin)
    assert User.objects.filter(school=school, is_active=True).count() == 3


def test_the_administrator_running_the_import_is_never_deactivated(school, people):
    roster_import = checked(
        school,
        rows_of(*everyone_in(people)[:2]),  # the office is not in the file
        whole=True,
        uploaded_by=people.admin,
    )
    refused = only(roster_import, Outcome.REFUSED)
    assert refused.staff == people.admin
    assert refused.reason.startswith(
        "School Office is not in the file, but uploaded it: Kestrel never deactivates the "
        "administrator running an import."
    )
    assert roster_import.counts["leaving"] == 0
    applied(roster_import, people.admin)
    people.admin.refresh_from_db()
    assert people.admin.is_active


def test_the_administrator_confirming_the_import_is_never_deactivated(school, people):
    deputy = UserFactory(school=school, first_name="Dee", last_name="Puty", is_school_admin=True)
    roster_import = checked(  # the nightly command: nobody uploaded it
        school,
        rows_of(*everyone_in(people)[:2], person("Dee", "Puty", deputy.email)),
        whole=True,
    )
    assert only(roster_import, Outcome.LEAVING).staff == people.admin
    assert applied(roster_import, people.admin)["not_applied"] == 1
    people.admin.refresh_from_db()
    assert people.admin.is_active
    assert only(roster_import, Outcome.LEAVING).skipped == (
        "School Office confirmed this import: Kestrel never deactivates the administrator "
        "running an import. Nothing was changed."
    )


def test_the_last_active_administrator_is_never_deactivated(school, people):
    roster_import = checked(school, rows_of(*everyone_in(people)[:2]), whole=True)
    refused = only(roster_import, Outcome.REFUSED)
    assert refused.staff == people.admin
    assert "is the school’s last active administrator" in refused.reason
    assert roster_import.counts["leaving"] == 0


def test_the_last_active_administrator_is_kept_when_the_other_left_since_the_preview(
    school, people
):
    deputy = UserFactory(school=school, first_name="Dee", last_name="Puty", is_school_admin=True)
    roster_import = checked(
        school,
        rows_of(*everyone_in(people)[:2], person("Dee", "Puty", deputy.email)),
        whole=True,
    )
    assert only(roster_import, Outcome.LEAVING).staff == people.admin
    deputy.is_active = False  # deactivated by hand before the import is confirmed
    deputy.save()
    assert applied(roster_import, None)["not_applied"] == 1
    people.admin.refresh_from_db()
    assert people.admin.is_active
    assert "is the school’s last active administrator" in (
        only(roster_import, Outcome.LEAVING).skipped
    )


# -- Crashes and the whole flow ----------------------------------------------------------------


def test_applying_again_after_a_crash_carries_on_from_the_rows_not_applied(
    school, people, monkeypatch
):
    rows = rows_of(
        *everyone_in(people), *(person(f"N{i}", "New", f"n{i}@example.org") for i in range(5))
    )
    roster_import = checked(school, rows, uploaded_by=people.admin)
    monkeypatch.setattr(staff, "CHUNK", 2)
    calls = []
    write = staff._write

    def crashing(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return write(*args)

    monkeypatch.setattr(staff, "_write", crashing)
    with pytest.raises(RuntimeError):
        applied(roster_import, people.admin)
    assert User.objects.filter(last_name="New").count() == 2  # the first chunk, whole

    with scope(school=school.pk):
        counts = staff.apply(roster_import, actor=people.admin)
    assert counts == {"added": 5, "changed": 0, "left": 0, "not_applied": 0}
    assert User.objects.filter(last_name="New").count() == 5
    assert AuditEvent.objects.filter(action="staff.added").count() == 5


def test_a_staff_csv_through_the_pages_from_upload_to_first_time_emails(
    school, people, levels, groups, signed_in, django_capture_on_commit_callbacks
):
    admin = signed_in(people.admin)
    text = (
        "Staff Name,Work Email,Role,Access Level,Key Holder,Alert Groups\r\n"
        f'"Kelan, Chloe",{people.dsl.email},Designated Safeguarding Lead,DSL team,Yes,SLT\r\n'
        f"School Office,{people.admin.email},School administrator,,No,\r\n"
        "Mary-Jane van der Berg,mj.vanderberg@example.org,Teaching assistant,Staff,No,Year 6\r\n"
    )
    upload = SimpleUploadedFile("staff.csv", text.encode("utf-8-sig"), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            reverse("roster:upload", args=["staff"]), {"file": upload, "whole_roster": "on"}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    roster_import = RosterImport.objects.get()
    assert roster_import.state == State.PREVIEW, roster_import.message
    counts = roster_import.counts
    assert (counts["new"], counts["changed"], counts["leaving"], counts["unchanged"]) == (
        1,
        1,
        1,
        1,
    )
    page = admin.get(reverse("roster:detail", args=[roster_import.pk])).content.decode()
    assert "Mary-Jane van der Berg" in page and "James Carter" in page

    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("roster:confirm", args=[roster_import.pk]), {"confirm_leavers": "on"})
    roster_import.refresh_from_db()
    assert roster_import.state == State.DONE, roster_import.counts
    assert roster_import.counts["added"] == 1 and roster_import.counts["left"] == 1
    people.teacher.refresh_from_db()
    assert not people.teacher.is_active
    mary_jane = User.objects.get(email="mj.vanderberg@example.org")
    assert (mary_jane.first_name, mary_jane.last_name, mary_jane.is_active) == (
        "Mary-Jane",
        "van der Berg",
        False,
    )
    page = admin.get(reverse("roster:detail", args=[roster_import.pk])).content.decode()
    assert "Activate and send first-time emails" in page

    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("roster:invite", args=[roster_import.pk]))
    mary_jane.refresh_from_db()
    assert mary_jane.is_active
    (message,) = mail.outbox
    assert message.to == [mary_jane.email]
    page = admin.get(reverse("roster:detail", args=[roster_import.pk])).content.decode()
    assert "Activate and send first-time emails" not in page
