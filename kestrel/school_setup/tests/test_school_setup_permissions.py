"""Only a school administrator may open School set-up: other staff are refused (and the refusal
is audited), and anyone not signed in is sent to sign in."""

import datetime

import pytest
from django.urls import reverse

from kestrel.audit.models import AuditEvent
from kestrel.casefile.models import RiskLevel, StatusKind
from kestrel.school_calendar.models import Closure, Term
from kestrel.school_setup.sections import SECTIONS
from kestrel.schools.models import Agency
from kestrel.testing.factories import (
    AgencyFactory,
    AlertGroupFactory,
    CategoryFactory,
    RequirementFactory,
    StudentFactory,
)


def _rows(school, people, levels) -> dict:
    """One row of each section at the school, for its edit page."""
    return {
        "staff": people.teacher,
        "students": StudentFactory(school=school),
        "categories": CategoryFactory(school=school, access_level=levels.staff),
        "alert-groups": AlertGroupFactory(school=school),
        "agencies": AgencyFactory(school=school),
        "access-levels": levels.dsl,
        "terms": Term.objects.create(
            school=school,
            name="Autumn 2026",
            starts_on=datetime.date(2026, 9, 2),
            ends_on=datetime.date(2026, 12, 18),
        ),
        "closures": Closure.objects.create(
            school=school,
            name="INSET day",
            starts_on=datetime.date(2027, 1, 4),
            ends_on=datetime.date(2027, 1, 4),
        ),
        "case-statuses": StatusKind.objects.create(school=school, name="Subject to a court order"),
        "risk-levels": RiskLevel.objects.create(school=school, name="Critical", position=3),
        "training": RequirementFactory(school=school),
    }


@pytest.fixture
def pages(school, people, levels) -> list[str]:
    """Every School set-up page."""
    rows = _rows(school, people, levels)
    return [
        reverse("schools:overview"),
        reverse("schools:details"),
        *[reverse("schools:section", args=[slug]) for slug in SECTIONS],
        *[reverse("schools:add", args=[slug]) for slug in SECTIONS],
        *[reverse("schools:edit", args=[slug, rows[slug].pk]) for slug in SECTIONS],
    ]


def test_every_section_is_covered_by_these_pages(pages):
    sections = {
        "staff",
        "students",
        "categories",
        "alert-groups",
        "agencies",
        "terms",
        "closures",
        "case-statuses",
        "risk-levels",
        "access-levels",
        "training",
    }
    assert set(SECTIONS) == sections
    assert len(pages) == 2 + 3 * len(SECTIONS)


def test_the_administrator_may_open_every_page(pages, signed_in, people):
    client = signed_in(people.admin)

    for url in pages:
        assert client.get(url).status_code == 200, url

    assert not AuditEvent.objects.filter(action="access.refused").exists()


@pytest.mark.parametrize("persona", ["teacher", "dsl"])
def test_staff_who_are_not_administrators_are_refused_every_page(pages, signed_in, people, persona):
    user = getattr(people, persona)
    client = signed_in(user)

    for url in pages:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "School Office" not in response.text

    refusals = AuditEvent.objects.filter(action="access.refused").order_by("id")
    assert [event.detail["path"] for event in refusals] == pages
    assert {(event.actor, event.school) for event in refusals} == {(user, user.school)}
    assert {event.detail["permission"] for event in refusals} == {"configure_school"}


@pytest.mark.parametrize("persona", ["teacher", "dsl"])
def test_staff_who_are_not_administrators_cannot_add_or_change_anything(
    school, signed_in, people, persona
):
    agency = AgencyFactory(school=school, name="Police")
    client = signed_in(getattr(people, persona))

    added = client.post(reverse("schools:add", args=["agencies"]), {"name": "Social care"})
    changed = client.post(
        reverse("schools:edit", args=["agencies", agency.pk]), {"name": "Changed"}
    )
    details = client.post(reverse("schools:details"), {"name": "Renamed", "key_unlock_minutes": 5})

    assert (added.status_code, changed.status_code, details.status_code) == (403, 403, 403)
    assert list(Agency.objects.values_list("name", flat=True)) == ["Police"]
    school.refresh_from_db()
    assert school.name == "Ashdown Primary School"
    assert AuditEvent.objects.filter(action="access.refused").count() == 3
    assert not AuditEvent.objects.filter(action__in=["agency.added", "agency.changed"]).exists()


def test_anyone_not_signed_in_is_sent_to_sign_in(pages, client):
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
        assert "next=" in response["Location"]


def test_a_deactivated_administrator_is_refused(signed_in, people):
    people.admin.is_active = False
    people.admin.save()
    client = signed_in(people.admin)

    response = client.get(reverse("schools:overview"))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_teacher_made_administrator_may_then_open_school_set_up(signed_in, people):
    client = signed_in(people.teacher)
    assert client.get(reverse("schools:overview")).status_code == 403

    people.teacher.is_school_admin = True
    people.teacher.save()

    assert client.get(reverse("schools:overview")).status_code == 200
