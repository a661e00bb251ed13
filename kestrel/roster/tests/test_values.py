import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kestrel.roster.values import (
    excel_serial,
    parse_bool,
    parse_date,
    parse_email,
    parse_gender,
    parse_list,
    parse_sen,
    parse_upn,
    parse_upns,
    parse_year_group,
    safe_cell,
    split_name,
)
from kestrel.students.upn import make_upn

SEPT_3 = datetime.date(2019, 9, 3)


def refusal(parser, text: str) -> str:
    with pytest.raises(ValueError) as error:
        parser(text)
    return str(error.value)


# --- Dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "03/09/2019",
        "3/9/2019",
        "03-09-2019",
        "03.09.2019",
        "2019-09-03",
        "2019/09/03",
        "2019-09-03 00:00:00",
        "2019-09-03T00:00:00",
        "2019-09-03T00:00:00.000Z",
        "03/09/2019 00:00",
        "03 Sep 2019",
        "3 September 2019",
        "03-Sep-2019",
        "3rd Sept 2019",
        "43711",
        "43711.0",
    ],
)
def test_a_date_reads_in_each_format_the_mis_write(text):
    assert parse_date(text) == SEPT_3


def test_an_empty_date_is_none():
    assert parse_date("") is None


def test_a_date_is_never_read_month_first():
    assert parse_date("09/03/2019") == datetime.date(2019, 3, 9)
    assert refusal(parse_date, "09/25/2019") == (
        "“09/25/2019” looks like a date written month first, as in the United States. Write "
        "dates day first, as dd/mm/yyyy (25/09/2019 if that is the date meant)."
    )


def test_a_date_with_no_month_13_or_more_is_refused():
    assert refusal(parse_date, "13/25/2019") == (
        "“13/25/2019” is not a date: there is no month 25. Write dates as dd/mm/yyyy, for "
        "example 03/09/2019."
    )


def test_a_two_digit_year_is_refused():
    assert refusal(parse_date, "03/09/19") == (
        "“03/09/19” does not give the year in full. Write the year with four digits, as "
        "dd/mm/yyyy (for example 03/09/2019)."
    )
    assert refusal(parse_date, "3 Sep 19").startswith("“3 Sep 19” does not give the year in full.")


def test_a_day_the_month_does_not_have_is_refused():
    assert refusal(parse_date, "31/02/2019") == (
        "“31/02/2019” is not a date: February 2019 has no day 31. Write dates as dd/mm/yyyy, "
        "for example 03/09/2019."
    )
    assert parse_date("29/02/2020") == datetime.date(2020, 2, 29)


def test_a_date_with_a_time_of_day_is_refused():
    # 23:00 may be midnight in British Summer Time written in UTC: the date could be a day out.
    assert refusal(parse_date, "2019-09-02T23:00:00Z") == (
        "“2019-09-02T23:00:00Z” has a time of day. Give the date alone, as dd/mm/yyyy (for "
        "example 03/09/2019)."
    )


def test_text_that_is_not_a_date_is_refused():
    assert refusal(parse_date, "next Tuesday") == (
        "“next Tuesday” is not a date. Write dates as dd/mm/yyyy, for example 03/09/2019."
    )
    assert refusal(parse_date, "3 Spetember 2019") == (
        "“3 Spetember 2019” is not a date: “spetember” is not a month. Write dates as "
        "dd/mm/yyyy, for example 03/09/2019."
    )


def test_excel_serials_follow_excels_1900_date_system():
    assert parse_date("1") == datetime.date(1900, 1, 1)
    assert parse_date("59") == datetime.date(1900, 2, 28)
    assert parse_date("61") == datetime.date(1900, 3, 1)
    assert parse_date("36526") == datetime.date(2000, 1, 1)


def test_excels_29_february_1900_which_never_was_is_refused():
    assert refusal(parse_date, "60") == (
        "“60” is Excel's day number for 29 February 1900, a date that never was. Write dates "
        "as dd/mm/yyyy, for example 03/09/2019."
    )


def test_a_number_past_excels_serials_for_a_roster_is_refused():
    assert refusal(parse_date, "60001") == (
        "“60001” is not a date. Write dates as dd/mm/yyyy, for example 03/09/2019."
    )
    assert refusal(parse_date, "0").startswith("“0” is not a date.")


ROSTER_DATES = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2064, 1, 1))
FORMATS = ["%d/%m/%Y", "%-d/%-m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %b %Y", "%d %B %Y"]


@given(day=ROSTER_DATES, fmt=st.sampled_from(FORMATS))
def test_any_date_written_in_a_supported_format_reads_back(day, fmt):
    text = day.strftime(fmt).replace(f"{day:%Y}", f"{day.year:04d}")
    assert parse_date(text) == day
    assert parse_date(f"{day.isoformat()} 00:00:00") == day


@given(day=ROSTER_DATES)
def test_any_date_written_as_its_excel_serial_reads_back(day):
    assert parse_date(str(excel_serial(day))) == day


# --- Yes and no -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["Y", "y", "Yes", "YES", "True", "TRUE", "T", "1", "Eligible", "✓"]
)
def test_yes_in_each_form(text):
    assert parse_bool(text) is True


@pytest.mark.parametrize(
    "text", ["N", "No", "False", "FALSE", "F", "0", "Not eligible", "Not  Eligible"]
)
def test_no_in_each_form(text):
    assert parse_bool(text) is False


def test_an_empty_yes_or_no_is_not_known():
    assert parse_bool("") is None


def test_anything_else_is_not_yes_or_no():
    assert refusal(parse_bool, "Maybe") == (
        "“Maybe” is not yes or no. Write Yes or No (or Y or N), or leave it empty."
    )


def test_a_cell_of_several_names_separated_by_semicolons_or_commas():
    assert parse_list("DSL team; Pastoral, Year 6 ;; pastoral ;Pastoral") == [
        "DSL team",
        "Pastoral",
        "Year 6",
        "pastoral",
    ]
    assert parse_list("") == []


# --- Year groups ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("7", 7),
        ("07", 7),
        ("Y7", 7),
        ("Y07", 7),
        ("Yr 7", 7),
        ("Year 7", 7),
        ("year  7", 7),
        ("NC Year 7", 7),
        ("13", 13),
        ("Year 1", 1),
        ("R", 0),
        ("YR", 0),
        ("Rec", 0),
        ("Reception", 0),
        ("Year R", 0),
        ("0", 0),
        ("F2", 0),
        ("N", -1),
        ("N1", -1),
        ("N2", -1),
        ("E2", -1),
        ("Nursery", -1),
        ("-1", -1),
    ],
)
def test_a_year_group_in_each_form_schools_write(text, year):
    assert parse_year_group(text) == year


def test_an_empty_year_group_is_none():
    assert parse_year_group("") is None


@pytest.mark.parametrize("text", ["X", "14", "Year 14", "Sixth form", "7B"])
def test_a_year_group_kestrel_does_not_have_is_refused(text):
    assert refusal(parse_year_group, text) == (
        f"“{text}” is not a year group Kestrel has. Write Nursery (or N1, N2), Reception "
        "(or R), or a year from 1 to 13 (for example 7 or Year 7)."
    )


# --- Sex ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("F", "F"),
        ("f", "F"),
        ("Female", "F"),
        ("Girl", "F"),
        ("M", "M"),
        ("Male", "M"),
        ("Boy", "M"),
        ("U", "U"),
        ("Unknown", "U"),
        ("Not known", "U"),
        ("Not Known", "U"),
        ("Prefer not to say", "U"),
        ("", ""),
    ],
)
def test_sex_as_the_census_codes_it(text, code):
    assert parse_gender(text) == code


def test_text_that_is_not_a_census_sex_is_refused_not_kept_as_not_known():
    assert refusal(parse_gender, "Other") == (
        "“Other” is not a sex Kestrel records. Write F (female), M (male) or U (not known), as "
        "in the school census."
    )


# --- SEN ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("N", "N"),
        ("None", "N"),
        ("No SEN", "N"),
        ("N - No Special Educational Need", "N"),
        ("K", "K"),
        ("k", "K"),
        ("SEN Support", "K"),
        ("K - SEN Support", "K"),
        ("A", "K"),
        ("P", "K"),
        ("School Action Plus", "K"),
        ("E", "E"),
        ("EHCP", "E"),
        ("EHC Plan", "E"),
        ("E - EHC Plan", "E"),
        ("Education, Health and Care Plan", "E"),
        ("S", "E"),
        ("Statement", "E"),
        ("", ""),
    ],
)
def test_sen_provision_as_the_dfe_codes_it(text, code):
    assert parse_sen(text) == code


@pytest.mark.parametrize("text", ["Dyslexia", "K - EHC Plan", "Q"])
def test_text_that_is_not_an_sen_status_is_refused(text):
    assert refusal(parse_sen, text) == (
        f"“{text}” is not an SEN status. Write N (no special educational need), K (SEN "
        "support) or E (education, health and care plan), or leave it empty."
    )


# --- Identifiers ----------------------------------------------------------------------------

UPN = make_upn(823, 4001, 19, 1)
OTHER_UPN = make_upn(919, 2044, 17, 42)


def test_a_upn_is_upper_case_without_spaces():
    spaced = f"{UPN[:4]} {UPN[4:8]} {UPN[8:]}".lower()
    assert parse_upn(spaced) == UPN
    assert parse_upn("") == ""


def test_a_upn_with_the_wrong_check_letter_is_refused_with_the_students_apps_message():
    wrong = ("B" if UPN[0] != "B" else "C") + UPN[1:]
    assert refusal(parse_upn, wrong) == (
        f"“{wrong}”: This UPN's check letter does not match its digits. Check it against the MIS."
    )


def test_a_upn_of_the_wrong_shape_is_refused():
    assert refusal(parse_upn, "12345") == (
        "“12345”: Enter a UPN of 13 characters: a letter, 11 digits, then a digit or letter "
        "(for example A123456789012)."
    )


@pytest.mark.parametrize("separator", [",", ";", " ", ", ", " ; "])
def test_former_upns_in_one_cell(separator):
    assert parse_upns(f"{UPN}{separator}{OTHER_UPN.lower()}") == [UPN, OTHER_UPN]


def test_former_upns_without_repeats_or_empty_ones():
    assert parse_upns(f"{UPN};;{UPN}, ") == [UPN]
    assert parse_upns("") == []


def test_a_wrong_former_upn_is_refused():
    assert refusal(parse_upns, f"{UPN}, 12345").startswith("“12345”: Enter a UPN of 13")


def test_an_email_address_is_lower_case():
    assert parse_email(" Wendy.Abbott@Example.ORG ") == "wendy.abbott@example.org"
    assert parse_email("") == ""


def test_text_that_is_not_an_email_address_is_refused():
    assert refusal(parse_email, "wendy.abbott") == (
        "“wendy.abbott” is not an email address. Write it in full, like name@school.org.uk."
    )


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Wendy Abbott", ("Wendy", "Abbott")),
        ("Abbott, Wendy", ("Wendy", "Abbott")),
        ("Juan Ruiz Nuñez", ("Juan", "Ruiz Nuñez")),
        ("Ruiz Nuñez, Juan", ("Juan", "Ruiz Nuñez")),
        ("  Siân   O'Brien ", ("Siân", "O'Brien")),
    ],
)
def test_a_staff_members_full_name_splits_into_first_and_last(text, names):
    assert split_name(text) == names


def test_a_single_name_is_refused():
    assert refusal(split_name, "Cher") == (
        "“Cher” is not a first name and a last name. Write both, as “Wendy Abbott” or "
        "“Abbott, Wendy”, or give them in two columns."
    )


# --- Writing CSV ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "+44 1234", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]
)
def test_a_cell_that_could_start_a_formula_is_written_as_text(text):
    assert safe_cell(text) == f"'{text}"


@pytest.mark.parametrize("text", ["Hannah Greenwood", "1B", "O'Brien", "", "a=b"])
def test_other_cells_are_written_as_they_are(text):
    assert safe_cell(text) == text


@given(st.text())
def test_no_safe_cell_starts_a_formula(text):
    cell = safe_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in (text, f"'{text}")
