"""The DfE Unique Pupil Number: shape, check letter, and what staff see when one is wrong.

The check letter is the sum of characters 2 to 13 weighted 2 to 13, modulo 23, read from
ABCDEFGHJKLMNPQRTUVWXYZ (no I, O or S); a temporary UPN's final letter counts by its place in that
alphabet (DfE, "Unique Pupil Numbers (UPNs): guidance"; UK Government Data Standards Catalogue,
Unique Pupil Number v2.0).
"""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from kestrel.students.forms import StudentForm
from kestrel.students.upn import check_letter, make_upn, validate_upn

# Remainder to letter as the DfE lists it: A=0 ... H=7, J=8 ... N=12, P=13 ... R=15, T=16 ... Z=22.
ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
SHAPE_MESSAGE = (
    "Enter a UPN of 13 characters: a letter, 11 digits, then a digit or letter "
    "(for example A123456789012)."
)
CHECK_MESSAGE = "This UPN's check letter does not match its digits. Check it against the MIS."

digits = st.text(alphabet="0123456789", min_size=11, max_size=11)
last_character = st.sampled_from("0123456789" + ALPHABET)
bodies = st.builds(lambda eleven, last: eleven + last, digits, last_character)


def refusal(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        validate_upn(value)
    return refused.value


def body_with_remainder(remainder: int) -> str:
    """Twelve digits whose weighted sum leaves `remainder` modulo 23 (weights 2 and 3 suffice)."""
    for a in range(10):
        for b in range(10):
            if (2 * a + 3 * b) % 23 == remainder:
                return f"{a}{b}" + "0" * 10
    raise AssertionError(remainder)


@pytest.mark.parametrize(("remainder", "letter"), list(enumerate(ALPHABET)))
def test_each_remainder_maps_to_the_dfes_letter_skipping_i_o_and_s(remainder, letter):
    body = body_with_remainder(remainder)

    assert check_letter(body) == letter
    validate_upn(letter + body)


@pytest.mark.parametrize(
    "upn",
    [
        "H801200001001",  # permanent UPN, DfE UPN guidance
        "G80120000101A",  # temporary UPN (final letter), DfE UPN guidance
        "B801200005001",  # python-stdnum's stdnum.gb.upn documentation
    ],
)
def test_published_example_upns_are_accepted(upn):
    validate_upn(upn)
    assert check_letter(upn[1:]) == upn[0]


@pytest.mark.parametrize("upn", ["Z801200001001", "A801200005001"])
def test_published_examples_with_the_wrong_check_letter_are_refused(upn):
    error = refusal(upn)

    assert error.code == "upn_check"
    assert error.messages == [CHECK_MESSAGE]


def test_check_letter_is_worked_out_as_the_dfe_describes():
    # 8x2 + 0x3 + 1x4 + 2x5 + 0x6 + 0x7 + 0x8 + 0x9 + 1x10 + 0x11 + 0x12 + 1x13 = 53;
    # 53 mod 23 = 7, the eighth letter: H.
    assert check_letter("801200001001") == "H"
    # A temporary UPN's final "A" counts 0, so it shares the digits' sum without the 1x13.
    assert check_letter("80120000101A") == "G"
    assert check_letter("000000000000") == "A"
    assert check_letter("00000000000Z") == ALPHABET[(13 * 22) % 23]


@given(
    la_code=st.integers(0, 999),
    establishment=st.integers(0, 9999),
    year=st.integers(0, 2099),
    serial=st.integers(0, 999),
)
def test_make_upn_always_makes_a_valid_upn_from_its_parts(la_code, establishment, year, serial):
    upn = make_upn(la_code, establishment, year, serial)

    validate_upn(upn)
    assert len(upn) == 13
    assert upn[1:] == f"{la_code:03d}{establishment:04d}{year % 100:02d}{serial:03d}"


@given(body=bodies)
def test_any_body_with_its_computed_check_letter_is_valid(body):
    letter = check_letter(body)

    assert letter in ALPHABET
    validate_upn(letter + body)


@given(body=bodies, data=st.data())
def test_any_other_check_letter_is_refused(body, data):
    wrong = data.draw(st.sampled_from(ALPHABET.replace(check_letter(body), "")))

    error = refusal(wrong + body)

    assert error.code == "upn_check"
    assert error.messages == [CHECK_MESSAGE]


@given(body=bodies, data=st.data())
def test_changing_any_single_digit_makes_the_upn_invalid(body, data):
    upn = check_letter(body) + body
    digit_positions = [i for i, char in enumerate(upn) if i > 0 and char.isdigit()]
    position = data.draw(st.sampled_from(digit_positions))
    replacement = data.draw(st.sampled_from("0123456789".replace(upn[position], "")))
    mistyped = upn[:position] + replacement + upn[position + 1 :]

    assert refusal(mistyped).code == "upn_check"


@given(body=bodies, data=st.data())
def test_swapping_two_different_neighbouring_digits_makes_the_upn_invalid(body, data):
    upn = check_letter(body) + body
    pairs = [i for i in range(1, 12) if upn[i] != upn[i + 1] and upn[i + 1].isdigit()]
    if not pairs:
        return
    i = data.draw(st.sampled_from(pairs))
    swapped = upn[:i] + upn[i + 1] + upn[i] + upn[i + 2 :]

    assert refusal(swapped).code == "upn_check"


@given(eleven=digits, data=st.data())
def test_changing_a_temporary_upns_final_letter_makes_it_invalid(eleven, data):
    final = data.draw(st.sampled_from(ALPHABET))
    other = data.draw(st.sampled_from(ALPHABET.replace(final, "")))
    upn = check_letter(eleven + final) + eleven + final

    assert refusal(upn[:-1] + other).code == "upn_check"


@given(body=bodies)
def test_lowercase_and_surrounding_spaces_are_accepted_by_the_validator(body):
    upn = check_letter(body) + body

    validate_upn(f"  {upn.lower()}\t")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("H80120000100", "12 characters"),
        ("H8012000010011", "14 characters"),
        ("", "empty"),
        ("H801 200 001 001", "spaces inside"),
        ("H801-2000-01001", "hyphens inside"),
        ("1801200001001", "no check letter"),
        ("H8012000010A1", "a letter among the digits"),
        ("I801200001001", "I as check letter"),
        ("O801200001001", "O as check letter"),
        ("S801200001001", "S as check letter"),
        ("G80120000101I", "I as final letter"),
        ("G80120000101O", "O as final letter"),
        ("G80120000101S", "S as final letter"),
        ("H80120000100.", "punctuation"),
        ("H8012000010\uff101", "a fullwidth digit"),
        ("H\u066801200001001", "an Arabic-Indic digit"),
        ("H801200001001\nH801200001001", "two UPNs on two lines"),
    ],
)
def test_malformed_upns_are_refused_with_the_shape_message(value, why):
    error = refusal(value)

    assert error.code == "upn_shape", why
    assert error.messages == [SHAPE_MESSAGE]


@pytest.fixture
def student_data():
    return {
        "legal_first_name": "Hannah",
        "legal_last_name": "Greenwood",
        "date_of_birth_0": "27",
        "date_of_birth_1": "3",
        "date_of_birth_2": "2017",
        "year_group": "3",
        "tutor_group": "3A",
        "on_roll": "on",
    }


def test_student_form_stores_a_lowercase_upn_in_capitals(school, student_data):
    form = StudentForm(data={**student_data, "upn": " h801200001001 "}, school=school)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["upn"] == "H801200001001"


def test_student_form_shows_the_check_letter_message_for_a_mistyped_upn(school, student_data):
    form = StudentForm(data={**student_data, "upn": "H801200001002"}, school=school)

    assert not form.is_valid()
    assert form.errors["upn"] == [CHECK_MESSAGE]


def test_student_form_allows_a_student_without_a_upn(school, student_data):
    form = StudentForm(data={**student_data, "upn": ""}, school=school)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["upn"] == ""
