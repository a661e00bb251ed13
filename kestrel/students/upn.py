"""The DfE Unique Pupil Number (UPN): 13 characters whose first is a check letter.

The check letter is the sum of the other twelve characters' values weighted 2 to 13, modulo 23,
looked up in the DfE's 23-letter alphabet (no I, O or S). A temporary UPN ends in a letter, which
counts by its position in that alphabet.
"""

import re

from django.core.exceptions import ValidationError

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
# ASCII: a bare \d would let Arabic-Indic or fullwidth digits through as UPN digits.
UPN_SHAPE = re.compile(rf"^[{CHECK_LETTERS}]\d{{11}}[0-9{CHECK_LETTERS}]$", re.ASCII)


def check_letter(body: str) -> str:
    """The check letter for the twelve characters after it."""
    total = 0
    for weight, char in enumerate(body, start=2):
        total += weight * (int(char) if char.isdigit() else CHECK_LETTERS.index(char))
    return CHECK_LETTERS[total % 23]


def validate_upn(value: str) -> None:
    upn = value.strip().upper()
    if not UPN_SHAPE.match(upn):
        raise ValidationError(
            "Enter a UPN of 13 characters: a letter, 11 digits, then a digit or letter "
            "(for example A123456789012).",
            code="upn_shape",
        )
    if check_letter(upn[1:]) != upn[0]:
        raise ValidationError(
            "This UPN's check letter does not match its digits. Check it against the MIS.",
            code="upn_check",
        )


def make_upn(la_code: int, establishment: int, year: int, serial: int) -> str:
    """A valid UPN from its parts (used for demo and test data)."""
    body = f"{la_code:03d}{establishment:04d}{year % 100:02d}{serial:03d}"
    return check_letter(body) + body
