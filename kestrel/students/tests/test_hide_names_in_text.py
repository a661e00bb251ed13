"""Hide Names in free text: incident and action text, correction reasons and file names.

Names are matched as names (see the rules in `kestrel.students.names`): in quotes, with either
apostrophe, with accents composed or not, in file names, and other students of the school named
by full name; words that are also names ("will", "an", "MD") stay where they are only words.
"""

import csv
import datetime
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kestrel.files.services import attach, store_upload
from kestrel.incidents.models import Correction
from kestrel.students.models import Student
from kestrel.students.names import MASK, SchoolNames, mask_text, name_rows
from kestrel.testing.auth import unlock_key
from kestrel.testing.factories import (
    ActionFactory,
    IncidentFactory,
    LinkedStudentFactory,
    StudentFactory,
)

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
# The ONS's 2024 baby names with apostrophes, hyphens, one or two letters, or great length
# (shared/data/names, beside the repository); the demo's extract of them if it is not there.
EDGE_CASES = Path(settings.BASE_DIR).parent / "shared/data/names/ons_babynames_2024_edgecases.csv"
DEMO_NAMES = Path(settings.BASE_DIR) / "demo/data/first_names.csv"


def edge_case_names() -> list[str]:
    source = EDGE_CASES if EDGE_CASES.exists() else DEMO_NAMES
    with source.open(newline="", encoding="utf-8") as rows:
        names = {row["name"] for row in csv.DictReader(rows) if row["features"] != "top100"}
    return sorted(names)


@pytest.fixture
def siobhan(school):
    return StudentFactory(school=school, legal_first_name="Siobhan", legal_last_name="O'Neill")


@pytest.fixture
def leah(school):
    return StudentFactory(school=school, legal_first_name="Leah", legal_last_name="Simpson")


def school_mask(text, students, school):
    return mask_text(text, students, school_names=SchoolNames.of(school))


# Matching names as names


def test_a_name_in_curly_or_straight_quotes_is_starred(siobhan):
    text = "She said ‘Siobhan’ and then 'Siobhan' and “Siobhan”."

    assert mask_text(text, [siobhan]) == "She said ‘*****’ and then '*****' and “*****”."


def test_a_curly_apostrophe_in_the_text_matches_a_straight_one_in_the_record(siobhan):
    curly = StudentFactory(
        school=siobhan.school, legal_first_name="Aoife", legal_last_name="D’Arcy"
    )

    assert (
        mask_text("Mrs O’Neill rang; O’Neill’s coat.", [siobhan]) == "Mrs ***** rang; *****’s coat."
    )
    assert mask_text("Mrs D'Arcy rang.", [curly]) == "Mrs ***** rang."


def test_a_decomposed_accent_matches_the_composed_record_and_the_other_way(school):
    composed = StudentFactory(school=school, legal_first_name="Zoë", legal_last_name="Brown")
    decomposed = StudentFactory(
        school=school, legal_first_name=unicodedata.normalize("NFD", "Renée"), legal_last_name="Li"
    )
    text = "Zoe\u0308 and Zoë, ZOË and Renée met Rene\u0301e."

    assert mask_text(text, [composed, decomposed]) == "***** and *****, ***** and ***** met *****."


def test_invisible_characters_inside_a_name_do_not_hide_it(siobhan):
    assert mask_text("Sio\u00adbhan and Siob\u200bhan", [siobhan]) == "***** and *****"


def test_file_names_with_underscores_hyphens_and_a_dropped_apostrophe_are_starred(siobhan):
    names = [
        "Siobhan_ONeill_statement.pdf",
        "siobhan-oneill.docx",
        "SiobhanONeill.pdf",
        "ONeill.Siobhan.jpg",
        "statement_Siobhan.pdf",
    ]

    assert [mask_text(name, [siobhan]) for name in names] == [
        "*****_*****_statement.pdf",
        "*****-*****.docx",
        "**********.pdf",
        "*****.*****.jpg",
        "statement_*****.pdf",
    ]


def test_words_that_are_also_names_stay_visible_where_they_are_only_words(school):
    will = StudentFactory(school=school, legal_first_name="Will", legal_last_name="Rose")
    an = StudentFactory(school=school, legal_first_name="An", legal_last_name="Nguyen")
    md = StudentFactory(school=school, legal_first_name="Md", legal_last_name="Islam")
    text = "Will said he will see an MD. An rang; Md's mum rose early. A rose for Rose."

    assert mask_text(text, [will, an, md]) == (
        "***** said he will see an MD. ***** rang; *****'s mum rose early. A rose for *****."
    )


def test_a_name_spelled_as_the_record_spells_it_is_starred_even_in_lower_case(school):
    souza = StudentFactory(school=school, legal_first_name="Ana", legal_last_name="de Souza")

    assert mask_text("Spoke to de Souza's dad and to Ana.", [souza]) == (
        "Spoke to *****'s dad and to *****."
    )


def test_each_part_of_a_hyphenated_name_is_starred_as_a_name(school):
    ivy = StudentFactory(school=school, legal_first_name="Ivy-Rose", legal_last_name="Smith-Jones")

    assert mask_text("Ivy-Rose (Ivy) and Mrs Jones; a rose.", [ivy]) == (
        "***** (*****) and Mrs *****; a rose."
    )


def test_initials_and_names_inside_other_words_are_left(siobhan):
    text = "S.O. saw Siobhanne and O'Neills. Siobhan's bag."

    assert mask_text(text, [siobhan]) == "S.O. saw Siobhanne and O'Neills. *****'s bag."


def test_the_rest_of_the_text_is_kept_exactly_as_typed(siobhan):
    text = "Café:\t‘Siobhan’ — O’Neill’s “coat”… Zoe\u0308\n\nEnd."

    assert mask_text(text, [siobhan]) == "Café:\t‘*****’ — *****’s “coat”… Zoe\u0308\n\nEnd."


def test_every_edge_case_name_is_starred_where_it_is_written_as_a_name():
    """Each name as a first name of two students of one school (as many as a trust's largest):
    starred where the text is about one of them, and by full name for the other."""
    names = edge_case_names()
    students = {
        name: (
            Student(pk=2 * index + 1, legal_first_name=name, legal_last_name="Okafor"),
            Student(pk=2 * index + 2, legal_first_name=name, legal_last_name="Lindqvist"),
        )
        for index, name in enumerate(names)
    }
    school_names = SchoolNames(name_rows(s for pair in students.values() for s in pair))
    wrong = {}
    for name, (student, _other) in students.items():
        curly = name.replace("'", "’")
        text = f"Spoke to {curly} and ‘{name}’; {name}'s mum and {name} Lindqvist came. End."
        # An initial is left, but not as part of a full name.
        single = name if sum(char.isalpha() for char in name) < 2 else MASK
        expected = f"Spoke to {single} and ‘{single}’; {single}'s mum and {MASK} {MASK} came. End."
        masked = mask_text(text, [student], school_names=school_names)
        if masked != expected:
            wrong[name] = masked
    assert len(names) > 100
    assert wrong == {}


# Other students of the school


def test_another_student_of_the_school_named_by_full_name_is_starred(school, siobhan, leah):
    text = "Leah Simpson saw it. SIMPSON, Leah wrote it down; leah simpson signed."

    assert school_mask(text, [siobhan], school) == (
        "***** ***** saw it. *****, ***** wrote it down; ***** ***** signed."
    )


def test_another_student_named_apart_in_the_text_is_starred(school, siobhan, leah):
    text = "Mrs Simpson had seen him when she was coming to pick Leah up."

    assert school_mask(text, [siobhan], school) == (
        "Mrs ***** had seen him when she was coming to pick ***** up."
    )


def test_a_single_name_of_a_student_the_text_is_not_about_stays(school, siobhan, leah):
    texts = ["Leah said so; the Simpsons is a programme.", "Mr Simpson said so."]

    assert [school_mask(text, [siobhan], school) for text in texts] == texts


def test_a_student_of_another_school_is_not_starred(school, other_school, siobhan):
    StudentFactory(school=other_school, legal_first_name="Leah", legal_last_name="Simpson")

    assert school_mask("Leah Simpson came.", [siobhan], school) == "Leah Simpson came."


def test_the_school_names_are_read_again_when_a_student_changes(school, siobhan, leah):
    assert school_mask("Leah Simpson came.", [siobhan], school) == "***** ***** came."
    leah.preferred_last_name = "Barnes"
    leah.save()

    assert school_mask("Leah Barnes came.", [siobhan], school) == "***** ***** came."
    StudentFactory(school=school, legal_first_name="Tariq", legal_last_name="Aziz")
    assert school_mask("Tariq Aziz came.", [siobhan], school) == "***** ***** came."


# The pages


@pytest.fixture
def hidden_dsl(signed_in, people):
    client = unlock_key(signed_in(people.dsl))
    client.post("/hide-names/", {"next": "/dashboard/"})
    return client


@pytest.fixture
def incident(people, school, siobhan, leah):
    matthew = StudentFactory(school=school, legal_first_name="Matthew", legal_last_name="Green")
    incident = IncidentFactory(
        student=siobhan,
        reporter=people.teacher,
        text="‘Siobhan’ told me that Leah Simpson and O’Neill will help. Mrs Simpson agreed.",
    )
    LinkedStudentFactory(incident=incident, student=matthew)
    ActionFactory(incident=incident, author=people.dsl, text="Rang 'Matthew' and Siobhan's mum.")
    Correction.objects.create(
        incident=incident,
        author=people.dsl,
        text="",
        occurred_at=timezone.now() - datetime.timedelta(hours=2),
        reason="Siobhan gave the wrong time",
    )
    upload = store_upload(
        actor=people.teacher, upload=SimpleUploadedFile("Siobhan_ONeill_statement.pdf", PDF)
    )
    attach(actor=people.teacher, ids=[upload.pk], incident=incident)
    incident.upload = upload
    return incident


def test_under_hide_names_the_incident_page_stars_every_name_in_text_reasons_and_files(
    hidden_dsl, incident
):
    html = hidden_dsl.get(f"/incidents/{incident.pk}/").content.decode()

    for name in ("Siobhan", "O’Neill", "ONeill", "Leah", "Simpson", "Matthew"):
        assert name not in html, name
    assert "&#x27;*****&#x27;" in html  # 'Matthew', in the action
    assert ": ***** gave the wrong time. Date/Time changed" in html
    assert "*****_*****_statement.pdf" in html
    assert "will help" in html


def test_under_hide_names_a_download_is_named_without_the_childs_name(hidden_dsl, incident):
    response = hidden_dsl.get(f"/files/{incident.upload.key}/")

    assert response.status_code == 200
    assert "Siobhan" not in response["Content-Disposition"]
    assert "*****_*****_statement.pdf" in response["Content-Disposition"]


def test_under_hide_names_the_chronology_stars_other_students_named_in_full(hidden_dsl, incident):
    html = hidden_dsl.get(f"/students/{incident.student_id}/").content.decode()

    assert "Leah" not in html and "Simpson" not in html and "Siobhan" not in html
    assert "will help" in html


def test_the_incident_page_under_hide_names_reads_the_school_names_in_one_query(
    hidden_dsl, incident, school
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert hidden_dsl.get(f"/incidents/{incident.pk}/").status_code == 200
        return len(captured)

    few = queries()
    StudentFactory.create_batch(30, school=school)

    assert queries() == few
