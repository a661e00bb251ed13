"""The student type-ahead: every word typed is found inside a student's names, UPN or
registration group, in any order, whatever the case and accents; never another school's students.
"""

import importlib
import io
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from kestrel.schools.scope import scope
from kestrel.search import fold
from kestrel.students.models import Student
from kestrel.students.search import search_text
from kestrel.students.selectors import search_students
from kestrel.students.upn import make_upn
from kestrel.testing.factories import StudentFactory

HANNAH_UPN = make_upn(886, 3001, 21, 101)


@pytest.fixture
def hannah(school):
    return StudentFactory(
        school=school,
        legal_first_name="Hannah",
        legal_last_name="Greenwood",
        preferred_first_name="Annie",
        upn=HANNAH_UPN,
        tutor_group="1B",
    )


@pytest.fixture
def zoe(school):
    return StudentFactory(
        school=school, legal_first_name="Zoë", legal_last_name="O'Brien", tutor_group="2A"
    )


@pytest.fixture
def siobhan(school):
    return StudentFactory(
        school=school, legal_first_name="Siobhán", legal_last_name="Ó Briain", tutor_group="5C"
    )


def found(school, query: str) -> list[Student]:
    with scope(school=school.pk):  # as a signed-in request of the school runs it
        return list(search_students(query=query))


@pytest.mark.parametrize(
    ("query", "name"),
    [("zoe", "Zoë"), ("ZOE o'brien", "Zoë"), ("siobhan", "Siobhán"), ("o briain", "Siobhán")],
)
def test_a_name_typed_without_its_accents_finds_the_student(zoe, siobhan, query, name):
    assert [student.legal_first_name for student in found(zoe.school, query)] == [name]


def test_a_name_typed_with_accents_finds_the_name_spelled_without_them(school):
    zoe = StudentFactory(school=school, legal_first_name="Zoe", legal_last_name="Clarke")
    jose = StudentFactory(school=school, legal_first_name="Jose", legal_last_name="Martinez")

    assert found(school, "Zoë") == [zoe]
    assert found(school, "JOSÉ Martínez") == [jose]


def test_accents_typed_as_separate_combining_marks_are_ignored_too(zoe):
    assert found(zoe.school, "Zoe\u0308") == [zoe]  # e and a combining diaeresis


@pytest.mark.parametrize("query", ["hANNah", "GREENWOOD", "annie", "Green 1b"])
def test_case_does_not_matter(hannah, zoe, query):
    assert found(hannah.school, query) == [hannah]


@pytest.mark.parametrize("query", ["greenwood hannah", "1b hann", "wood annie 1B"])
def test_words_match_in_any_order(hannah, zoe, query):
    assert found(hannah.school, query) == [hannah]


def test_every_word_must_be_found_in_the_same_student(hannah, zoe):
    assert found(hannah.school, "hannah o'brien") == []


def test_a_word_is_found_inside_a_name(hannah, zoe):
    assert found(hannah.school, "enwo") == [hannah]


@pytest.mark.parametrize("query", [HANNAH_UPN, HANNAH_UPN.lower(), HANNAH_UPN[5:], "1B", "1b"])
def test_a_student_is_found_by_upn_or_registration_group(hannah, zoe, query):
    assert found(hannah.school, query) == [hannah]


@pytest.mark.parametrize("query", ["%%", "__", "h%", "a_n"])
def test_wildcards_typed_are_matched_as_themselves(hannah, zoe, query):
    assert found(hannah.school, query) == []


@pytest.mark.parametrize("query", ["", "h", "  ", " h ", "\u0301\u0301"])
def test_a_query_too_short_or_of_accents_alone_finds_nobody_rather_than_everybody(hannah, query):
    assert found(hannah.school, query) == []


def test_another_schools_students_are_never_found(hannah, other_school):
    StudentFactory(school=other_school, legal_first_name="Hannah", legal_last_name="Greenwood")

    assert found(hannah.school, "hannah greenwood") == [hannah]


def test_students_on_roll_come_first_then_by_last_and_first_name(school):
    left = StudentFactory(
        school=school, legal_first_name="Ava", legal_last_name="Adams", on_roll=False
    )
    bella = StudentFactory(school=school, legal_first_name="Bella", legal_last_name="Zane")
    anna = StudentFactory(school=school, legal_first_name="Anna", legal_last_name="Zane")
    cara = StudentFactory(school=school, legal_first_name="Cara", legal_last_name="Moss")

    assert found(school, "3a") == [cara, anna, bella, left]
    with scope(school=school.pk):
        assert len(search_students(query="3a", limit=2)) == 2


def test_a_renamed_student_is_found_by_the_new_name_and_not_the_old(hannah):
    hannah.legal_last_name = "Siddiqui"
    hannah.save()

    assert found(hannah.school, "siddiqui") == [hannah]
    assert found(hannah.school, "greenwood") == []


def test_saving_some_fields_keeps_search_text_when_a_name_is_among_them(hannah):
    hannah.preferred_first_name = "Anouk"
    hannah.save(update_fields=["preferred_first_name"])
    hannah.on_roll = False
    hannah.save(update_fields=["on_roll"])

    assert found(hannah.school, "anouk") == [hannah]
    assert found(hannah.school, "annie") == []
    assert Student.objects.get(pk=hannah.pk).search_text == "hannah greenwood anouk  " + (
        f"{HANNAH_UPN.lower()} 1b"
    )


def test_a_partly_loaded_student_saved_keeps_the_names_it_did_not_load(hannah):
    student = Student.objects.only("id", "legal_first_name").get(pk=hannah.pk)
    student.legal_first_name = "Hana"
    student.save()

    assert found(hannah.school, "hana greenwood") == [hannah]


def test_a_student_renamed_in_school_set_up_is_found_by_the_new_name(signed_in, people, hannah):
    data = {
        "legal_first_name": "Hannah",
        "legal_last_name": "Grünewald",
        "preferred_first_name": "Annie",
        "preferred_last_name": "",
        "date_of_birth_0": "27",
        "date_of_birth_1": "3",
        "date_of_birth_2": "2017",
        "upn": HANNAH_UPN,
        "year_group": "1",
        "tutor_group": "1B",
        "on_roll": "on",
    }

    url = reverse("schools:edit", args=["students", hannah.pk])

    response = signed_in(people.admin).post(url, data)

    assert response.status_code == 302
    assert found(hannah.school, "grunewald") == [hannah]
    assert found(hannah.school, "greenwood") == []


def test_the_type_ahead_finds_a_name_typed_without_accents(signed_in, people, zoe):
    results = signed_in(people.teacher).get("/students/search/", {"q": "zoe"}).json()["results"]

    assert [row["label"] for row in results] == ["Zoë O'Brien (2A)"]


def test_students_created_in_bulk_are_found(school):
    Student.objects.bulk_create(
        StudentFactory.build(school=school, legal_first_name=name, legal_last_name="Nowak")
        for name in ("Siân", "Zoë")
    )

    assert [student.legal_first_name for student in found(school, "nowak sian")] == ["Siân"]
    assert [student.legal_first_name for student in found(school, "zoe")] == ["Zoë"]


def test_students_renamed_in_bulk_are_found_by_the_new_names(hannah, zoe):
    hannah.legal_last_name, zoe.legal_last_name = "Núñez", "Quinn"
    Student.objects.bulk_update([hannah, zoe], ["legal_last_name"])

    assert found(hannah.school, "nunez") == [hannah]
    assert found(hannah.school, "quinn") == [zoe]
    assert found(hannah.school, "greenwood") == []


def test_an_upsert_that_renames_a_student_keeps_search_text(hannah):
    renamed = Student.objects.get(pk=hannah.pk)
    renamed.legal_last_name = "Dvořák"
    Student.objects.bulk_create(
        [renamed], update_conflicts=True, unique_fields=["id"], update_fields=["legal_last_name"]
    )

    assert found(hannah.school, "dvorak") == [hannah]


def test_a_queryset_update_of_a_name_is_refused_rather_than_left_unsearchable(hannah):
    with pytest.raises(ValueError, match="search_text"):
        Student.objects.filter(pk=hannah.pk).update(legal_last_name="Siddiqui")

    Student.objects.filter(pk=hannah.pk).update(on_roll=False)  # not searched: allowed
    assert Student.objects.get(pk=hannah.pk).legal_last_name == "Greenwood"


def test_the_demo_school_students_are_found_without_accents(db):
    call_command("seed_demo", stdout=io.StringIO())

    students = list(Student.objects.all())
    assert students
    assert all(student.search_text == search_text(student) for student in students)
    zoe = Student.objects.get(legal_first_name="Zoë", legal_last_name="O'Brien")
    assert found(zoe.school, "zoe o'brien") == [zoe]


def test_the_migration_fills_in_every_students_search_text(school, hannah, zoe, monkeypatch):
    migration = importlib.import_module("kestrel.students.migrations.0002_student_search_text")
    monkeypatch.setattr(migration, "BATCH", 1)  # one student at a time, to pass every batch
    Student.objects.update(search_text="")

    migration.fill_search_text(apps, SimpleNamespace(connection=connection))

    assert found(school, "zoe") == [zoe]
    assert Student.objects.get(pk=hannah.pk).search_text == search_text(hannah)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a trigram index on PostgreSQL")
def test_search_text_has_a_trigram_index_on_postgresql(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'students_student' "
            "AND indexname = 'students_student_search_trgm'"
        )
        (definition,) = cursor.fetchone()

    assert "gin (search_text gin_trgm_ops)" in definition


@given(text=st.text(), data=st.data())
def test_what_a_name_contains_its_folded_form_contains_folded(text, data):
    start = data.draw(st.integers(min_value=0, max_value=len(text)))
    end = data.draw(st.integers(min_value=start, max_value=len(text)))

    assert fold(text[start:end]) in fold(text)


def test_folding_takes_off_accents_and_case():
    assert fold("Zoë DVOŘÁK Siobhán Ó Briain Straße") == "zoe dvorak siobhan o briain strasse"


def test_folding_turns_letters_unicode_keeps_whole_into_the_letters_typed_for_them():
    assert fold("Paweł ŁUKASZ Søren ØSTERGÅRD Æsa Œdipe Đurđa Þóra Ħal Işıl") == (
        "pawel lukasz soren ostergard aesa oedipe durda thora hal isil"
    )


@pytest.mark.parametrize(
    ("query", "name"), [("pawel", "Paweł"), ("LUKASZ", "Łukasz"), ("soren", "Søren")]
)
def test_a_polish_or_danish_name_typed_on_an_english_keyboard_finds_the_student(
    school, query, name
):
    StudentFactory(school=school, legal_first_name="Paweł", legal_last_name="Nowak")
    StudentFactory(school=school, legal_first_name="Łukasz", legal_last_name="Wójcik")
    StudentFactory(school=school, legal_first_name="Søren", legal_last_name="Østergård")

    assert [student.legal_first_name for student in found(school, query)] == [name]


def test_the_refolding_migration_fills_search_text_again(school, monkeypatch):
    pawel = StudentFactory(school=school, legal_first_name="Paweł", legal_last_name="Nowak")
    Student.objects.filter(pk=pawel.pk).update(search_text="paweł nowak")  # folded before
    assert found(school, "pawel") == []
    migration = importlib.import_module("kestrel.students.migrations.0003_fold_unsplit_letters")

    migration.fill(apps, SimpleNamespace(connection=connection))

    assert found(school, "pawel") == [pawel]
