"""Hide Names: one button in the top bar stars out every student's name, for the rest of the
session, so that a screen seen over a shoulder gives no child away. The names never reach the
browser: not in the page, not in hidden text, not in a form."""

import pytest
from django.test import Client
from django.utils.html import escape

from kestrel.audit.models import AuditEvent
from kestrel.audit.services import record
from kestrel.students.names import HIDE_NAMES_SESSION_KEY
from kestrel.testing.auth import sign_in_fully, unlock_key
from kestrel.testing.factories import StudentFactory

STUDENTS = "/school/students/"
STARS = "***** *****"


@pytest.fixture
def siobhan(school):
    """A student whose names need escaping in HTML, so that both forms can be looked for."""
    return StudentFactory(
        school=school,
        legal_first_name="Siobhán",
        legal_last_name="O'Brien",
        preferred_first_name="Shiv",
        preferred_last_name="D'Arcy",
        upn="K886241721010",
        tutor_group="5D",
    )


@pytest.fixture
def admin(signed_in, people):
    return signed_in(people.admin)


@pytest.fixture
def dsl(signed_in, people):
    return unlock_key(signed_in(people.dsl))


def toggle(client, next_url: str = STUDENTS):
    return client.post("/hide-names/", {"next": next_url})


def names_in(html: str, student) -> set[str]:
    """Which of the student's names appear in `html`, as typed or HTML-escaped."""
    return {name for name in student.all_names() if name in html or escape(name) in html}


def test_names_are_escaped_in_html_as_the_checks_expect(siobhan):
    assert escape("O'Brien") == "O&#x27;Brien"
    assert siobhan.all_names() == {"Siobhán", "O'Brien", "Shiv", "D'Arcy"}


# The button


def test_hide_names_turns_the_button_into_show_names_on_the_next_page(admin):
    response = toggle(admin)
    page = admin.get(STUDENTS)

    assert response.status_code == 302
    assert response.url == STUDENTS
    assert ">Show Names</button>" in page.text
    assert ">Hide Names</button>" not in page.text
    assert 'aria-pressed="true"' in page.text


def test_the_button_reads_hide_names_before_it_is_pressed(admin):
    page = admin.get(STUDENTS)

    assert ">Hide Names</button>" in page.text
    assert 'aria-pressed="false"' in page.text


def test_pressing_hide_names_and_then_show_names_is_audited_each_time(admin, people):
    toggle(admin)
    toggle(admin)

    actions = list(
        AuditEvent.objects.filter(actor=people.admin, action__startswith="names.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["names.hidden", "names.shown"]


def test_show_names_turns_the_button_back_and_shows_names_again(admin, siobhan):
    toggle(admin)
    toggle(admin)

    page = admin.get(STUDENTS)

    assert ">Hide Names</button>" in page.text
    assert names_in(page.text, siobhan) == siobhan.all_names()


def test_hide_names_lasts_for_the_rest_of_the_session(admin, siobhan):
    toggle(admin)

    pages = [admin.get(STUDENTS), admin.get("/dashboard/"), admin.get(STUDENTS)]

    assert all(">Show Names</button>" in page.text for page in pages)
    assert names_in(pages[-1].text, siobhan) == set()


def test_hide_names_is_for_this_session_only(admin, people, siobhan):
    toggle(admin)
    elsewhere = sign_in_fully(Client(), people.admin)

    page = elsewhere.get(STUDENTS)

    assert ">Hide Names</button>" in page.text
    assert names_in(page.text, siobhan) == siobhan.all_names()
    assert HIDE_NAMES_SESSION_KEY not in elsewhere.session


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "http://testserver.evil.example/", ""],
    ids=["other-site", "scheme-relative", "lookalike-host", "none"],
)
def test_hide_names_does_not_follow_an_off_site_next(admin, next_url):
    response = toggle(admin, next_url)

    assert response.status_code == 302
    assert response.url == "/dashboard/"


def test_the_button_returns_to_the_page_it_was_pressed_on(admin):
    here = "/school/students/?status=on_roll"
    page = admin.get(here)

    assert f'<input type="hidden" name="next" value="{here}">' in page.text
    assert toggle(admin, here).url == here


def test_hide_names_needs_a_post(admin):
    assert admin.get("/hide-names/").status_code == 405


def test_hide_names_needs_someone_signed_in(client):
    response = client.post("/hide-names/", {"next": STUDENTS})

    assert response.status_code == 302
    assert response.url.startswith("/login/")


# School set-up's students


def test_the_students_list_shows_no_name_of_any_student_with_names_hidden(admin, siobhan):
    toggle(admin)

    page = admin.get(STUDENTS)

    assert page.status_code == 200
    assert names_in(page.text, siobhan) == set()
    assert siobhan.upn in page.text
    assert "5D" in page.text
    assert f'href="/school/students/{siobhan.pk}/"' in page.text


def test_the_students_list_shows_names_while_they_are_not_hidden(admin, siobhan):
    page = admin.get(STUDENTS)

    assert names_in(page.text, siobhan) == siobhan.all_names()
    assert "O&#x27;Brien" in page.text


def test_the_student_page_withholds_the_form_and_every_name_with_names_hidden(admin, siobhan):
    toggle(admin)

    page = admin.get(f"/school/students/{siobhan.pk}/")

    assert page.status_code == 200
    assert names_in(page.text, siobhan) == set()
    assert 'name="legal_first_name"' not in page.text
    assert "Save changes" not in page.text
    assert f"Change {STARS} (5D)" in page.text
    assert "Names are hidden." in page.text


def test_the_student_page_shows_the_form_again_once_names_are_shown(admin, siobhan):
    toggle(admin)
    toggle(admin)

    page = admin.get(f"/school/students/{siobhan.pk}/")

    assert 'name="legal_first_name"' in page.text
    assert names_in(page.text, siobhan) == siobhan.all_names()


# The audit pages


def test_the_audit_student_page_stars_out_the_name_in_its_title_and_heading(dsl, siobhan):
    toggle(dsl)

    page = dsl.get(f"/audit/students/{siobhan.pk}/")

    assert page.status_code == 200
    assert f"<title>Audit trail for {STARS} (5D) – " in page.text
    assert f'<h1 class="govuk-heading-l">{STARS} (5D)</h1>' in page.text
    assert names_in(page.text, siobhan) == set()


def test_the_audit_staff_page_stars_out_the_student_column(dsl, people, siobhan):
    record(action="students.viewed", actor=people.teacher, student=siobhan, school=siobhan.school)
    toggle(dsl)

    page = dsl.get(f"/audit/staff/{people.teacher.pk}/")

    assert f'<a class="govuk-link" href="/audit/students/{siobhan.pk}/">{STARS} (5D)</a>' in (
        page.text
    )
    assert names_in(page.text, siobhan) == set()
    assert "James Carter" in page.text  # staff are not starred out


def test_the_audit_pages_show_the_names_again_once_they_are_shown(dsl, people, siobhan):
    record(action="students.viewed", actor=people.teacher, student=siobhan, school=siobhan.school)
    toggle(dsl)
    toggle(dsl)

    student_page = dsl.get(f"/audit/students/{siobhan.pk}/")
    staff_page = dsl.get(f"/audit/staff/{people.teacher.pk}/")

    assert "<title>Audit trail for Shiv D&#x27;Arcy (5D) – " in student_page.text
    assert "Shiv D&#x27;Arcy (5D)</a>" in staff_page.text


def test_the_audit_search_stars_out_the_students_it_finds(dsl, siobhan):
    toggle(dsl)

    page = dsl.get("/audit/", {"q": "brien"})

    assert f'href="/audit/students/{siobhan.pk}/">{STARS} (5D)</a>' in page.text
    assert names_in(page.text, siobhan) == set()
