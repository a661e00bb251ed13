"""Hide Names is applied by one presenter (issue 18, item 5): kestrel.students.names.NamesShown.
Read from the source: no product module but names.py stars out text itself (`mask_text`), reads
the Hide Names choice from the session, or decides with `names_hidden`; no template decides
with a `names_hidden` variable. And the presenter's own outputs, as pages use them."""

import ast
import datetime
from pathlib import Path

from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from kestrel.students.names import HIDE_NAMES_SESSION_KEY, NamesShown, switch_hide_names
from kestrel.testing.factories import StudentFactory

KESTREL = Path(__file__).resolve().parent.parent
NAMES = KESTREL / "students" / "names.py"
# Only names.py may use these: they decide, or do, the starring out.
OWN_WORDS = {"mask_text", "HIDE_NAMES_SESSION_KEY", "names_hidden", "_names_hidden"}


def product_modules() -> list[Path]:
    return sorted(
        path
        for path in KESTREL.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts and path != NAMES
    )


def uses(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in OWN_WORDS:
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in OWN_WORDS:
            found.add(node.attr)
        elif isinstance(node, ast.alias) and node.name in OWN_WORDS:
            found.add(node.name)
        elif isinstance(node, ast.Constant) and node.value == "kestrel_hide_names":
            found.add("the session key's string")
    return found


def test_no_module_but_names_py_masks_text_or_reads_the_hide_names_choice():
    offenders = {
        str(path.relative_to(KESTREL.parent)): sorted(found)
        for path in product_modules()
        if (found := uses(ast.parse(path.read_text(), str(path))))
    }
    assert offenders == {}


def test_the_check_finds_an_import_a_call_and_the_session_key():
    tree = ast.parse(
        "from kestrel.students.names import mask_text\n"
        "names.mask_text(text, [])\n"
        "request.session.get('kestrel_hide_names')\n"
    )
    assert uses(tree) == {"mask_text", "the session key's string"}


def test_no_template_decides_hide_names_itself():
    deciding = [
        str(path.relative_to(KESTREL.parent))
        for path in KESTREL.rglob("*.html")
        if "names_hidden" in path.read_text()
    ]
    assert deciding == []


def test_text_as_shown_is_gone_and_names_hidden_is_private_to_names_py():
    from kestrel.students import names

    assert not hasattr(names, "text_as_shown")
    assert not hasattr(names, "names_hidden")


def _request(hidden: bool):
    request = RequestFactory().get("/")
    request.session = {HIDE_NAMES_SESSION_KEY: True} if hidden else {}
    return request


def test_the_presenter_shows_a_date_of_birth_or_hidden():
    student = StudentFactory.build(date_of_birth=datetime.date(2015, 3, 4))

    assert NamesShown(hidden=False).date_of_birth(student, "j M Y") == "4 Mar 2015"
    assert NamesShown(hidden=False).date_of_birth(student, "j F Y") == "4 March 2015"
    assert NamesShown(hidden=True).date_of_birth(student, "j M Y") == "Hidden"


def test_the_presenter_says_what_was_searched_for_only_with_names_shown():
    assert NamesShown(hidden=False).searched_for("Hannah") == "matching “Hannah”"
    assert NamesShown(hidden=True).searched_for("Hannah") == "matching your search"
    assert NamesShown(hidden=False).searched_for("") == ""


def test_the_template_tags_use_the_requests_presenter_and_escape_what_was_typed():
    student = StudentFactory.build(
        legal_first_name="Hannah",
        legal_last_name="Greenwood",
        preferred_first_name="",
        preferred_last_name="",
        tutor_group="1B",
        date_of_birth=datetime.date(2015, 3, 4),
    )
    template = Template(
        '{% student_label student %}|{% date_of_birth student "j M Y" %}|{% searched_for query %}'
    )
    query = "<b>Hannah</b>"

    shown = template.render(
        Context({"request": _request(False), "student": student, "query": query})
    )
    hidden = template.render(
        Context({"request": _request(True), "student": student, "query": query})
    )

    assert shown == "Hannah Greenwood (1B)|4 Mar 2015|matching “&lt;b&gt;Hannah&lt;/b&gt;”"
    assert hidden == "***** ***** (1B)|Hidden|matching your search"


def test_the_switch_turns_hide_names_on_and_off_and_the_presenter_follows():
    request = _request(False)
    assert NamesShown.of(request).hidden is False

    assert switch_hide_names(request) is True
    assert NamesShown.of(request).hidden is True
    assert switch_hide_names(request) is False
    assert NamesShown.of(request).hidden is False


def test_a_school_set_up_search_under_hide_names_does_not_repeat_the_words(signed_in, people):
    admin = signed_in(people.admin)
    url = reverse("schools:section", args=["students"])

    assert "matching “Greenwood”" in admin.get(url, {"q": "Greenwood"}).text
    admin.post("/hide-names/", {"next": url})
    html = admin.get(url, {"q": "Greenwood"}).text

    assert "matching “Greenwood”" not in html
    assert "matching your search" in html
