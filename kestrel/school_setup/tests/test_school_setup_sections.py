"""School set-up, section by section: the administrator lists, adds, changes and retires the
school's configuration through the pages, and every change is scoped, audited and kept.

`form_fields` reads a page's form as a browser would submit it; the other School set-up tests use
it to post back what a page offers and to see what a re-rendered form still holds.
"""

from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, reverse

from kestrel.accounts.models import User
from kestrel.alerts.models import AlertGroup
from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import Category
from kestrel.school_setup import urls as school_urls
from kestrel.schools.models import AccessLevel, Agency
from kestrel.students.models import Student
from kestrel.students.upn import make_upn
from kestrel.testing.factories import (
    AgencyFactory,
    AlertGroupFactory,
    CategoryFactory,
    SchoolFactory,
    StudentFactory,
)


class _PostForm(HTMLParser):
    """The page's own POST form: what a browser would submit, and the choices each field offers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = {}
        self.choices: dict[str, list[str]] = {}
        self._in_form = False
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            # The sign-out form in the header posts elsewhere; the page's form posts to itself.
            self._in_form = attrs.get("method") == "post" and "action" not in attrs
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"}:
                self.choices.setdefault(name, []).append(attrs.get("value") or "on")
                if "checked" in attrs:
                    self.data.setdefault(name, []).append(attrs.get("value") or "on")
            elif kind not in {"submit", "button"}:
                self.data.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.choices[name] = []
        elif tag == "option" and self._select:
            value = attrs.get("value") or ""
            self.choices[self._select].append(value)
            if "selected" in attrs:
                self.data[self._select] = [value]

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select:
            # With nothing selected a browser submits the first option.
            if self._select not in self.data and self.choices[self._select]:
                self.data[self._select] = [self.choices[self._select][0]]
            self._select = None


def form_fields(response) -> SimpleNamespace:
    """`data`: the form as a browser would post it; `choices`: what each field offers."""
    parser = _PostForm()
    parser.feed(response.content.decode())
    return SimpleNamespace(data=parser.data, choices=parser.choices)


@dataclass(frozen=True)
class Case:
    slug: str
    model: type
    existing: object  # (world) -> a row of the first school
    shown: str  # how the existing row appears in the list
    new_data: object  # (world) -> POST data for a new row
    new_row: dict  # finds the new row
    change: tuple[str, str]  # field and new value for an edit
    kind: str  # the audit action's prefix


def _student(world):
    return StudentFactory(
        school=world.school,
        legal_first_name="Hannah",
        legal_last_name="Greenwood",
        tutor_group="1B",
    )


def _alert_group(world):
    group = AlertGroupFactory(school=world.school, name="SLT")
    group.members.add(world.people.dsl)
    return group


NEW_UPN = make_upn(886, 3001, 21, 500)

CASES = [
    Case(
        slug="staff",
        model=User,
        existing=lambda w: w.people.teacher,
        shown="James Carter",
        new_data=lambda w: {
            "first_name": "Priya",
            "last_name": "Shah",
            "email": "priya.shah@example.org",
            "job_title": "Teaching assistant",
            "access_level": w.levels.staff.pk,
            "is_active": "on",
        },
        new_row={"email": "priya.shah@example.org"},
        change=("job_title", "Head of Year 3"),
        kind="user",
    ),
    Case(
        slug="students",
        model=Student,
        existing=_student,
        shown="Hannah Greenwood",
        new_data=lambda w: {
            "legal_first_name": "Oliver",
            "legal_last_name": "Brennan",
            "preferred_first_name": "Olly",
            "date_of_birth_0": "27",
            "date_of_birth_1": "3",
            "date_of_birth_2": "2017",
            "upn": NEW_UPN,
            "year_group": "3",
            "tutor_group": "3A",
            "on_roll": "on",
        },
        new_row={"upn": NEW_UPN},
        change=("tutor_group", "2C"),
        kind="student",
    ),
    Case(
        slug="categories",
        model=Category,
        existing=lambda w: CategoryFactory(
            school=w.school, name="Bullying", access_level=w.levels.staff
        ),
        shown="Bullying",
        new_data=lambda w: {
            "name": "Online safety",
            "parent": "",
            "access_level": w.levels.dsl.pk,
            "position": "3",
            "is_active": "on",
        },
        new_row={"name": "Online safety"},
        change=("name", "Bullying and harassment"),
        kind="category",
    ),
    Case(
        slug="alert-groups",
        model=AlertGroup,
        existing=_alert_group,
        shown="SLT",
        new_data=lambda w: {
            "name": "Pastoral team",
            "description": "Heads of year",
            "members": [w.people.dsl.pk, w.people.teacher.pk],
            "is_active": "on",
        },
        new_row={"name": "Pastoral team"},
        change=("description", "Senior leadership team"),
        kind="alertgroup",
    ),
    Case(
        slug="agencies",
        model=Agency,
        existing=lambda w: AgencyFactory(school=w.school, name="Police"),
        shown="Police",
        new_data=lambda w: {"name": "Children's social care", "is_active": "on"},
        new_row={"name": "Children's social care"},
        change=("name", "Police (MASH)"),
        kind="agency",
    ),
    Case(
        slug="access-levels",
        model=AccessLevel,
        existing=lambda w: w.levels.dsl,
        shown="DSL team",
        new_data=lambda w: {
            "name": "Senior leaders",
            "rank": "30",
            "description": "Heads of year and SLT",
            "is_active": "on",
        },
        new_row={"name": "Senior leaders"},
        change=("description", "The DSL and deputies"),
        kind="accesslevel",
    ),
]
CASE = {case.slug: case for case in CASES}
RETIRABLE = [case for case in CASES if case.slug != "students"]


def by_slug(case: Case) -> str:
    return case.slug


@pytest.fixture
def world(school, other_school, levels, people):
    return SimpleNamespace(school=school, other_school=other_school, levels=levels, people=people)


@pytest.fixture
def admin(signed_in, people):
    return signed_in(people.admin)


def edit_url(case: Case, obj) -> str:
    return reverse("schools:edit", args=[case.slug, obj.pk])


@pytest.mark.parametrize("case", CASES, ids=by_slug)
def test_administrator_sees_the_school_rows_in_each_section_list(case, world, admin):
    obj = case.existing(world)

    response = admin.get(reverse("schools:section", args=[case.slug]))

    assert response.status_code == 200
    assert case.shown in response.text
    assert f'href="{edit_url(case, obj)}"' in response.text


@pytest.mark.parametrize("case", CASES, ids=by_slug)
def test_administrator_adds_a_row_to_each_section_for_their_own_school(case, world, admin):
    assert admin.get(reverse("schools:add", args=[case.slug])).status_code == 200

    response = admin.post(reverse("schools:add", args=[case.slug]), case.new_data(world))

    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == reverse("schools:section", args=[case.slug])
    row = case.model.objects.get(**case.new_row)
    assert row.school == world.school
    listing = admin.get(reverse("schools:section", args=[case.slug]))
    assert f'href="{edit_url(case, row)}"' in listing.text


def test_a_new_alert_group_keeps_the_members_ticked(world, admin):
    case = CASE["alert-groups"]

    admin.post(reverse("schools:add", args=[case.slug]), case.new_data(world))

    group = AlertGroup.objects.get(name="Pastoral team")
    assert set(group.members.all()) == {world.people.dsl, world.people.teacher}


def test_a_new_student_is_saved_with_the_date_of_birth_typed(world, admin):
    case = CASE["students"]

    admin.post(reverse("schools:add", args=["students"]), case.new_data(world))

    student = Student.objects.get(upn=NEW_UPN)
    assert student.date_of_birth.isoformat() == "2017-03-27"
    assert (student.preferred_first_name, student.on_roll, student.left_on) == ("Olly", True, None)


@pytest.mark.parametrize("case", CASES, ids=by_slug)
def test_administrator_changes_a_row_through_its_edit_page(case, world, admin):
    obj = case.existing(world)
    form = form_fields(admin.get(edit_url(case, obj)))
    field, value = case.change
    form.data[field] = [value]

    response = admin.post(edit_url(case, obj), form.data)

    assert response.status_code == 302, response.context["form"].errors
    obj.refresh_from_db()
    assert getattr(obj, field) == value
    assert obj.school == world.school


@pytest.mark.parametrize("case", CASES, ids=by_slug)
def test_saving_an_edit_page_unchanged_changes_nothing(case, world, admin):
    obj = case.existing(world)
    before = case.model.objects.filter(pk=obj.pk).values().get()
    form = form_fields(admin.get(edit_url(case, obj)))

    response = admin.post(edit_url(case, obj), form.data)

    assert response.status_code == 302, response.context["form"].errors
    assert case.model.objects.filter(pk=obj.pk).values().get() == before
    event = AuditEvent.objects.get(action=f"{case.kind}.changed")
    assert event.detail["fields"] == []


@pytest.mark.parametrize("case", CASES, ids=by_slug)
def test_adding_writes_one_audit_event_naming_the_actor_the_row_and_its_fields(case, world, admin):
    data = case.new_data(world)
    before = AuditEvent.objects.count()

    admin.post(reverse("schools:add", args=[case.slug]), data)

    assert AuditEvent.objects.count() == before + 1
    row = case.model.objects.get(**case.new_row)
    event = AuditEvent.objects.get(action=f"{case.kind}.added")
    assert event.actor == world.people.admin
    assert event.actor_label == "School Office"
    assert event.school == world.school
    assert (event.object_type, event.object_id) == (row._meta.label_lower, str(row.pk))
    assert event.object_label == str(row)
    # Ticked boxes that were ticked already and an empty parent are not changes.
    typed = {name.removesuffix("_0").removesuffix("_1").removesuffix("_2") for name in data}
    assert sorted(event.detail["fields"]) == sorted(typed - {"is_active", "on_roll", "parent"})


@pytest.mark.parametrize("case", CASES, ids=by_slug)
def test_changing_writes_one_audit_event_naming_only_the_changed_field(case, world, admin):
    obj = case.existing(world)
    form = form_fields(admin.get(edit_url(case, obj)))
    field, value = case.change
    form.data[field] = [value]
    before = AuditEvent.objects.count()

    admin.post(edit_url(case, obj), form.data)

    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action=f"{case.kind}.changed")
    assert event.actor == world.people.admin
    assert (event.object_type, event.object_id) == (obj._meta.label_lower, str(obj.pk))
    assert event.detail["fields"] == [field]


def test_a_change_is_not_kept_when_its_audit_event_cannot_be_written(admin, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("kestrel.school_setup.services.record", fail)

    with pytest.raises(RuntimeError):
        admin.post(reverse("schools:add", args=["agencies"]), {"name": "Police"})

    assert not Agency.objects.filter(name="Police").exists()


def test_the_student_audit_events_name_the_student(world, admin):
    student = _student(world)
    form = form_fields(admin.get(reverse("schools:edit", args=["students", student.pk])))
    form.data["tutor_group"] = ["2C"]

    admin.post(reverse("schools:edit", args=["students", student.pk]), form.data)

    assert AuditEvent.objects.get(action="student.changed").student == student


def test_school_details_page_changes_the_school_name(school, admin, people):
    form = form_fields(admin.get(reverse("schools:details")))
    assert form.data["name"] == ["Ashdown Primary School"]
    form.data["name"] = ["Ashdown Primary and Nursery School"]

    response = admin.post(reverse("schools:details"), form.data)

    assert response.status_code == 302
    assert response["Location"] == reverse("schools:overview")
    school.refresh_from_db()
    assert school.name == "Ashdown Primary and Nursery School"
    event = AuditEvent.objects.get(action="school.changed")
    assert (event.actor, event.school, event.detail["fields"]) == (people.admin, school, ["name"])


@pytest.mark.parametrize("name", ["", "   "])
def test_school_details_page_refuses_a_blank_name(school, admin, name):
    form = form_fields(admin.get(reverse("schools:details")))
    form.data["name"] = [name]

    response = admin.post(reverse("schools:details"), form.data)

    assert response.status_code == 200
    assert "Enter the school's name." in unescape(response.text)
    school.refresh_from_db()
    assert school.name == "Ashdown Primary School"


def test_overview_links_every_section_with_its_count(world, admin):
    AgencyFactory(school=world.school, name="Police")
    AgencyFactory(school=world.other_school, name="Brook Lane police")

    response = admin.get(reverse("schools:overview"))

    assert response.status_code == 200
    for case in CASES:
        assert f'href="{reverse("schools:section", args=[case.slug])}"' in response.text
    counts = {section.slug: count for section, count in response.context["sections"]}
    assert counts["agencies"] == 1
    assert counts["staff"] == 3  # the DSL, the teacher and the administrator


def test_school_set_up_has_no_url_that_deletes(world, admin):
    routes = [str(entry.pattern) for entry in school_urls.urlpatterns]
    names = [entry.name for entry in school_urls.urlpatterns if isinstance(entry, URLPattern)]
    assert not [text for text in routes + names if "delete" in text or "remove" in text]
    agency = AgencyFactory(school=world.school, name="Police")

    response = admin.post(f"/school/agencies/{agency.pk}/delete/")

    assert response.status_code == 404
    assert Agency.objects.filter(pk=agency.pk).exists()


@pytest.mark.parametrize("case", RETIRABLE, ids=by_slug)
def test_unticking_in_use_retires_the_row_and_keeps_it(case, world, admin):
    obj = case.existing(world)
    form = form_fields(admin.get(edit_url(case, obj)))
    assert form.data["is_active"] == ["on"]
    del form.data["is_active"]

    response = admin.post(edit_url(case, obj), form.data)

    assert response.status_code == 302, response.context["form"].errors
    obj = case.model.objects.get(pk=obj.pk)
    assert obj.is_active is False
    listing = admin.get(reverse("schools:section", args=[case.slug]))
    assert f'href="{edit_url(case, obj)}"' in listing.text
    assert ("Deactivated" if case.slug == "staff" else "Retired") in listing.text


def test_a_retired_access_level_still_shows_on_a_category_that_uses_it(world, admin):
    level = AccessLevel.objects.create(school=world.school, name="Pastoral", rank=30)
    category = CategoryFactory(school=world.school, name="Attendance", access_level=level)
    level_form = form_fields(admin.get(edit_url(CASE["access-levels"], level)))
    del level_form.data["is_active"]
    admin.post(edit_url(CASE["access-levels"], level), level_form.data)
    assert AccessLevel.objects.get(pk=level.pk).is_active is False

    category_page = admin.get(reverse("schools:edit", args=["categories", category.pk]))
    form = form_fields(category_page)
    assert form.data["access_level"] == [str(level.pk)]
    form.data["name"] = ["Attendance and punctuality"]
    response = admin.post(reverse("schools:edit", args=["categories", category.pk]), form.data)

    assert response.status_code == 302, response.context["form"].errors
    category.refresh_from_db()
    assert (category.name, category.access_level) == ("Attendance and punctuality", level)
    listing = admin.get(reverse("schools:section", args=["categories"]))
    assert "Pastoral" in listing.text


def test_a_retired_access_level_is_not_offered_for_a_new_category(world, admin):
    level = AccessLevel.objects.create(
        school=world.school, name="Pastoral", rank=30, is_active=False
    )

    form = form_fields(admin.get(reverse("schools:add", args=["categories"])))

    assert str(level.pk) not in form.choices["access_level"]
    assert str(world.levels.staff.pk) in form.choices["access_level"]
    response = admin.post(
        reverse("schools:add", args=["categories"]),
        {"name": "Attendance", "access_level": level.pk, "is_active": "on"},
    )
    assert response.status_code == 200
    assert not Category.objects.filter(name="Attendance").exists()


def test_an_alert_group_keeps_a_deactivated_member_when_saved(world, admin):
    group = _alert_group(world)
    world.people.dsl.is_active = False
    world.people.dsl.save()
    form = form_fields(admin.get(edit_url(CASE["alert-groups"], group)))
    assert form.data["members"] == [str(world.people.dsl.pk)]

    response = admin.post(edit_url(CASE["alert-groups"], group), form.data)

    assert response.status_code == 302
    assert list(group.members.all()) == [world.people.dsl]


def test_narrow_inputs_are_drawn_at_their_width(admin):
    response = admin.get(reverse("schools:add", args=["access-levels"]))

    assert "govuk-input--width-3" in response.text


def test_help_links_appear_in_the_top_bar_once_the_school_sets_them(people, signed_in, school):
    client = signed_in(people.teacher)
    assert 'aria-label="Help"' not in client.get("/dashboard/").content.decode()
    school.user_guide_url = "https://guide.example.org/kestrel"
    school.support_url = "https://support.example.org/"
    school.faq_url = "https://faq.example.org/"
    school.save()
    page = client.get("/dashboard/").content.decode()
    assert (
        '<a class="kestrel-topbar__link" href="https://guide.example.org/kestrel">User Guide</a>'
        in page
    )
    assert ">Contact Support</a>" in page and ">FAQ</a>" in page


def test_school_details_keep_the_urn_and_the_copy_policy_after_a_transfer(school, admin):
    SchoolFactory(name="Brook Academy", urn="654321")
    form = form_fields(admin.get(reverse("schools:details")))
    form.data["urn"] = ["654321"]
    form.data["transfer_copy_policy"] = ["keep_chronology"]
    form.data["transfer_copy_years"] = ["25"]

    refused = admin.post(reverse("schools:details"), form.data)

    assert refused.status_code == 200
    assert "Another school on this Kestrel has this URN." in unescape(refused.text)
    assert 'value="25"' in refused.text  # what was typed is kept
    form.data["urn"] = ["123456"]
    assert admin.post(reverse("schools:details"), form.data).status_code == 302
    school.refresh_from_db()
    assert (school.urn, school.transfer_copy_policy, school.transfer_copy_years) == (
        "123456",
        "keep_chronology",
        25,
    )
