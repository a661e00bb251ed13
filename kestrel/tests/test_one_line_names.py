"""Names and other one-line values refuse line breaks, tabs and hidden characters, in every form
that takes them: a category or staff name with CR/LF broke the alert email's header, and the alert
stayed "sending" for ever."""

import io
from html import unescape

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from kestrel.accounts.models import User
from kestrel.alerts.models import AlertGroup
from kestrel.forms import hidden_characters
from kestrel.incidents.models import Category
from kestrel.school_setup.tests.test_school_setup_sections import form_fields
from kestrel.schools.models import AccessLevel, Agency, School
from kestrel.students.models import Student
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    AgencyFactory,
    AlertGroupFactory,
    CategoryFactory,
    IncidentFactory,
    StudentFactory,
)

MESSAGE = "must be on one line, without tabs or hidden characters."

# Each School set-up section's one-line fields, with the label its message starts with.
FIELDS = {
    "staff": (
        User,
        [
            ("first_name", "First name"),
            ("last_name", "Last name"),
            ("job_title", "Job title"),
            ("email", "Email address"),
        ],
    ),
    "students": (
        Student,
        [
            ("legal_first_name", "Legal first name"),
            ("legal_last_name", "Legal last name"),
            ("preferred_first_name", "Preferred first name"),
            ("preferred_last_name", "Preferred last name"),
            ("tutor_group", "Registration group"),
        ],
    ),
    "categories": (Category, [("name", "Category name")]),
    "alert-groups": (AlertGroup, [("name", "Group name")]),
    "agencies": (Agency, [("name", "Agency name")]),
    "access-levels": (AccessLevel, [("name", "Name")]),
}


def existing(slug, school, people, levels):
    return {
        "staff": lambda: people.teacher,
        "students": lambda: StudentFactory(school=school, legal_first_name="Hannah"),
        "categories": lambda: CategoryFactory(school=school, name="Bullying"),
        "alert-groups": lambda: AlertGroupFactory(school=school, name="SLT"),
        "agencies": lambda: AgencyFactory(school=school, name="Police"),
        "access-levels": lambda: levels.staff,
    }[slug]()


@pytest.mark.parametrize(
    ("slug", "field", "label"),
    [(slug, field, label) for slug, (_, fields) in FIELDS.items() for field, label in fields],
)
def test_a_line_break_in_any_school_set_up_name_is_refused_and_nothing_changes(
    school, people, levels, signed_in, slug, field, label
):
    row = existing(slug, school, people, levels)
    model = FIELDS[slug][0]
    before = model.objects.values(field).get(pk=row.pk)[field]
    client = signed_in(people.admin)
    url = reverse("schools:edit", args=[slug, row.pk])
    form = form_fields(client.get(url))
    typed = f"{form.data[field][0] or 'x'}\r\nBcc: someone@example.org"
    form.data[field] = [typed]
    response = client.post(url, form.data)
    assert response.status_code == 200
    text = unescape(response.content.decode())
    assert f"{label} {MESSAGE}" in text
    assert model.objects.values(field).get(pk=row.pk)[field] == before
    assert form_fields(response).data[field] == [typed]  # kept as typed


@pytest.mark.parametrize(
    "character",
    ["\n", "\r", "\t", "\x0b", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\u200b", "\u202e"],
)
def test_every_control_format_or_separator_character_is_refused_in_a_category_name(
    school, people, signed_in, character, levels
):
    response = signed_in(people.admin).post(
        reverse("schools:add", args=["categories"]),
        {"name": f"Home{character}Issues", "access_level": levels.staff.pk, "position": "1"},
    )
    assert f"Category name {MESSAGE}" in unescape(response.content.decode())
    assert not Category.objects.filter(school=school).exists()


def test_the_joiners_that_spell_names_in_other_scripts_are_kept(school, people, signed_in):
    name = "Mohammad\u200creza"  # Persian: the zero-width non-joiner is part of the spelling
    response = signed_in(people.admin).post(
        reverse("schools:add", args=["agencies"]), {"name": name, "is_active": "on"}
    )
    assert response.status_code == 302
    assert Agency.objects.get(school=school).name == name
    assert hidden_characters("A\u200dB") == []


def test_the_school_name_refuses_a_line_break(school, people, signed_in):
    client = signed_in(people.admin)
    form = form_fields(client.get(reverse("schools:details")))
    form.data["name"] = ["Ashdown\nPrimary"]
    response = client.post(reverse("schools:details"), form.data)
    assert f"School name {MESSAGE}" in unescape(response.content.decode())
    assert School.objects.get(pk=school.pk).name == "Ashdown Primary School"


def test_a_library_title_and_new_category_refuse_a_line_break(people, signed_in):
    response = signed_in(people.dsl).post(
        reverse("library:publish"),
        {"title": "Safeguarding\r\nPolicy", "new_category": "Policies\t2026"},
    )
    text = unescape(response.content.decode())
    assert f"Title {MESSAGE}" in text
    assert f"Or a new category {MESSAGE}" in text


def test_a_correction_reason_refuses_a_line_break(school, people, signed_in):
    incident = IncidentFactory(student=StudentFactory(school=school), reporter=people.teacher)
    client = unlock_key(signed_in(people.dsl))
    url = f"/incidents/{incident.pk}/correct/"
    form = form_fields(client.get(url))
    form.data["text"] = ["Corrected."]
    form.data["reason"] = ["Teacher\nasked"]
    response = client.post(url, form.data)
    assert f"Reason for the correction {MESSAGE}" in unescape(response.content.decode())
    assert not incident.corrections.exists()


def test_names_stored_before_the_forms_refused_them_are_found_by_table_row_and_field(
    school, people
):
    bad = CategoryFactory(school=school, name="Home\r\nIssues")
    people.teacher.job_title = "Teacher\u2028of maths"
    people.teacher.save()
    AgencyFactory(school=school, name="Police")
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 stored values hold"):
        call_command("find_hidden_characters", stdout=out)
    assert out.getvalue().splitlines() == [
        f"incidents.Category {bad.pk} name",
        f"accounts.User {people.teacher.pk} job_title",
    ]
    assert "Issues" not in out.getvalue()  # never the value itself


@pytest.mark.django_db
def test_a_clean_database_passes_the_check():
    out = io.StringIO()
    call_command("find_hidden_characters", stdout=out)
    assert "No stored name holds" in out.getvalue()
