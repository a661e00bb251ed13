import pytest
from hypothesis import given
from hypothesis import strategies as st

from kestrel.roster.columns import (
    STAFF_FIELDS,
    STUDENT_FIELDS,
    clashes,
    missing_required,
    normalise,
    recognise,
)
from kestrel.roster.tests import exports


def named(headers: list[str], mapping: dict[int, str]) -> dict[str, str]:
    return {headers[index]: field for index, field in mapping.items()}


@pytest.mark.parametrize(
    "header",
    ["Legal Forename", "legal_forename", "LegalForename", "LEGAL FORENAME", "\ufeffLegal Forename",
     " Legal-Forename: ", "Legal.Forename"],
)  # fmt: skip
def test_headers_compare_without_case_spaces_punctuation_or_a_bom(header):
    assert normalise(header) == "legalforename"


def test_accents_make_no_difference_to_a_header():
    assert normalise("Prénom") == normalise("Prenom") == "prenom"


@given(st.text())
def test_normalising_twice_changes_nothing(header):
    assert normalise(normalise(header)) == normalise(header)


def test_every_field_knows_its_headers_normalised_and_no_header_names_two_fields():
    for fields in (STUDENT_FIELDS, STAFF_FIELDS):
        seen: dict[str, str] = {}
        for field in fields:
            for header in field.headers:
                assert header == normalise(header)
                assert seen.setdefault(header, field.name) == field.name, header


EXPECTED_STUDENT_FIELDS = {
    "legal_first_name", "legal_last_name", "preferred_first_name", "preferred_last_name",
    "date_of_birth", "upn", "former_upns", "mis_id", "tutor_group", "year_group", "gender",
    "admission_date", "left_on", "sen_status", "pupil_premium", "free_school_meals", "eal",
    "looked_after",
}  # fmt: skip


def test_the_student_fields_and_those_required():
    assert {field.name for field in STUDENT_FIELDS} == EXPECTED_STUDENT_FIELDS
    assert [field.name for field in STUDENT_FIELDS if field.required] == [
        "legal_first_name",
        "legal_last_name",
        "date_of_birth",
        "year_group",
    ]


@pytest.mark.parametrize(
    "columns", [exports.sims_columns(), exports.arbor_columns(), exports.bromcom_columns()]
)
def test_every_column_of_each_mis_export_is_recognised_as_its_field(columns):
    headers = [header for header, _, _ in columns]
    mapping = recognise(headers, STUDENT_FIELDS)
    assert named(headers, mapping) == {header: field for header, field, _ in columns}
    assert missing_required(mapping, STUDENT_FIELDS) == []


def test_arbors_first_name_beside_its_legal_first_name_is_the_preferred_name():
    headers = ["Legal First Name", "First Name", "Last Name", "Legal Last Name"]
    assert named(headers, recognise(headers, STUDENT_FIELDS)) == {
        "Legal First Name": "legal_first_name",
        "First Name": "preferred_first_name",
        "Last Name": "preferred_last_name",
        "Legal Last Name": "legal_last_name",
    }


def test_a_plain_forename_is_the_legal_one_where_no_column_says_legal():
    headers = ["Surname", "Forename", "Preferred Forename", "DOB"]
    assert named(headers, recognise(headers, STUDENT_FIELDS)) == {
        "Surname": "legal_last_name",
        "Forename": "legal_first_name",
        "Preferred Forename": "preferred_first_name",
        "DOB": "date_of_birth",
    }


def test_bromcoms_import_template_headers():
    headers = ["Last Name", "First Name", "Admission Number", "UPN", "Gender", "Year Group",
               "Tutor Group"]  # fmt: skip
    assert named(headers, recognise(headers, STUDENT_FIELDS)) == {
        "Last Name": "legal_last_name",
        "First Name": "legal_first_name",
        "Admission Number": "mis_id",
        "UPN": "upn",
        "Gender": "gender",
        "Year Group": "year_group",
        "Tutor Group": "tutor_group",
    }


def test_a_column_no_field_knows_is_left_unmapped():
    headers = ["Legal Surname", "House", "Ethnicity", ""]
    assert recognise(headers, STUDENT_FIELDS) == {0: "legal_last_name"}


def test_the_schools_remembered_mapping_comes_before_the_usual_names():
    headers = ["Pupil Surname", "Known As", "DOB", "Form"]
    remembered = {
        "pupilsurname": "legal_last_name",
        "knownas": "legal_first_name",  # this school's Known As is the legal name
        "form": "",  # and its Form column is ignored
    }
    assert named(headers, recognise(headers, STUDENT_FIELDS, remembered)) == {
        "Pupil Surname": "legal_last_name",
        "Known As": "legal_first_name",
        "DOB": "date_of_birth",
    }


def test_a_remembered_field_that_is_not_among_the_fields_is_passed_over():
    headers = ["Email", "Legal Surname"]
    remembered = {"email": "email", "legalsurname": "no_such_field"}
    assert recognise(headers, STUDENT_FIELDS, remembered) == {1: "legal_last_name"}


def test_two_columns_for_one_field_the_first_wins_and_the_other_is_reported():
    headers = ["DOB", "Legal Surname", "Date of Birth", "Surname", "D.O.B."]
    mapping = recognise(headers, STUDENT_FIELDS)
    assert named(headers, mapping) == {
        "DOB": "date_of_birth",
        "Legal Surname": "legal_last_name",
        "Surname": "preferred_last_name",
    }
    assert clashes(headers, STUDENT_FIELDS) == {"date_of_birth": [2, 4]}


def test_two_columns_remembered_as_one_field_are_reported_too():
    headers = ["Tutor", "Reg"]
    remembered = {"tutor": "tutor_group", "reg": "tutor_group"}
    assert recognise(headers, STUDENT_FIELDS, remembered) == {0: "tutor_group"}
    assert clashes(headers, STUDENT_FIELDS, remembered) == {"tutor_group": [1]}


def test_missing_required_fields_in_the_fields_order():
    headers = ["Surname", "UPN", "Year"]
    missing = missing_required(recognise(headers, STUDENT_FIELDS), STUDENT_FIELDS)
    assert [(field.name, field.label) for field in missing] == [
        ("legal_first_name", "Legal forename"),
        ("date_of_birth", "Date of birth"),
    ]


def test_staff_columns():
    headers = ["Title", "Forename", "Surname", "Email Address", "Job Title", "Access Level",
               "Key Holder", "Alert Groups"]  # fmt: skip
    mapping = recognise(headers, STAFF_FIELDS)
    assert named(headers, mapping) == {
        "Forename": "first_name",
        "Surname": "last_name",
        "Email Address": "email",
        "Job Title": "job_title",
        "Access Level": "access_level",
        "Key Holder": "key_holder",
        "Alert Groups": "alert_groups",
    }
    assert missing_required(mapping, STAFF_FIELDS) == []


def test_a_staff_file_with_one_name_column_needs_no_first_and_last_name():
    headers = ["Name", "Email"]
    mapping = recognise(headers, STAFF_FIELDS)
    assert named(headers, mapping) == {"Name": "name", "Email": "email"}
    assert missing_required(mapping, STAFF_FIELDS) == []


def test_a_staff_file_without_names_or_email_misses_them():
    headers = ["Job Title"]
    missing = missing_required(recognise(headers, STAFF_FIELDS), STAFF_FIELDS)
    assert [field.name for field in missing] == ["first_name", "last_name", "email"]
