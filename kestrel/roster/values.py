"""The cells of a roster file, read as Kestrel's values.

Each parser takes a cell's text, already stripped, and returns the value, or raises ValueError
with a message for the administrator that says what was expected. The message does not name the
row or the column: the caller adds them ("Row 12, Date of birth: ...").

The same texts come from a CSV, an Excel file (dates as yyyy-mm-dd, see `reading`) and a Common
Transfer File (see `ctf`), so one set of parsers serves all three.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from kestrel.students.upn import validate_upn

# --- Dates ----------------------------------------------------------------------------------

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
MONTH_NAMES = [
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# A time after a date is accepted only at midnight: an export that writes dates as date-times
# writes 00:00:00. Any other time may be a midnight shifted by a time zone (23:00 the day
# before, in British Summer Time), so the date could be a day out.
_MIDNIGHT = r"(?:[ T]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?)?"
_ISO = re.compile(rf"(\d{{4}})[-/](\d{{1,2}})[-/](\d{{1,2}})({_MIDNIGHT}|[ T].*)")
_DAY_FIRST = re.compile(rf"(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d+)({_MIDNIGHT}|[ T].*)")
_NAMED_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[ -]([a-z]+)\.?,?[ -](\d+)")
_SERIAL = re.compile(r"(\d{1,5})(?:\.0+)?")

EXAMPLE = "for example 03/09/2019"
# Excel's 1900 date system counts 1 January 1900 as day 1 and, copying Lotus 1-2-3, has a 29
# February 1900 (day 60) that never was; from day 61 on, day N is N days after 30 December
# 1899. Serials stop at 60,000 (2064): a larger number is not a date in a roster.
EXCEL_EPOCH = datetime.date(1899, 12, 30)
MAX_SERIAL = 60000


def parse_date(text: str) -> datetime.date | None:
    """A date written day first (03/09/2019, 3/9/2019, 03-09-2019, 03.09.2019), as yyyy-mm-dd
    (with a time of midnight or not), as '3 Sep 2019', or as an Excel serial number (43711).
    Never month first: 09/25/2019 is refused, not read as 25 September."""
    if not text:
        return None
    value = text.strip()
    if match := _ISO.fullmatch(value):
        year, month, day, time = match.groups()
        _midnight(value, time)
        return _date(value, int(year), int(month), int(day))
    if match := _DAY_FIRST.fullmatch(value):
        day, _, month, year, time = match.groups()
        _midnight(value, time)
        _four_digit_year(value, year)
        if int(month) > 12 and int(day) <= 12:
            raise ValueError(
                f"“{value}” looks like a date written month first, as in the United States. "
                f"Write dates day first, as dd/mm/yyyy ({int(month):02d}/{int(day):02d}/{year} "
                "if that is the date meant)."
            )
        return _date(value, int(year), int(month), int(day))
    if match := _NAMED_MONTH.fullmatch(value.lower()):
        day, month_name, year = match.groups()
        if month_name not in MONTHS:
            raise ValueError(f"“{value}” is not a date: “{month_name}” is not a month. {_WRITE}")
        _four_digit_year(value, year)
        return _date(value, int(year), MONTHS[month_name], int(day))
    if match := _SERIAL.fullmatch(value):
        return _from_serial(value, int(match.group(1)))
    raise ValueError(f"“{value}” is not a date. {_WRITE}")


_WRITE = f"Write dates as dd/mm/yyyy, {EXAMPLE}."


def _midnight(value: str, time: str) -> None:
    if time and not re.fullmatch(_MIDNIGHT, time):
        raise ValueError(
            f"“{value}” has a time of day. Give the date alone, as dd/mm/yyyy ({EXAMPLE})."
        )


def _four_digit_year(value: str, year: str) -> None:
    if len(year) != 4:
        raise ValueError(
            f"“{value}” does not give the year in full. Write the year with four digits, "
            f"as dd/mm/yyyy ({EXAMPLE})."
        )


def _date(value: str, year: int, month: int, day: int) -> datetime.date:
    if not 1 <= month <= 12:
        raise ValueError(f"“{value}” is not a date: there is no month {month}. {_WRITE}")
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(
            f"“{value}” is not a date: {MONTH_NAMES[month]} {year} has no day {day}. {_WRITE}"
        ) from None


def _from_serial(value: str, serial: int) -> datetime.date:
    if serial == 60:
        raise ValueError(
            f"“{value}” is Excel's day number for 29 February 1900, a date that never was. {_WRITE}"
        )
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"“{value}” is not a date. {_WRITE}")
    if serial < 60:
        serial += 1  # before Excel's phantom 29 February 1900
    return EXCEL_EPOCH + datetime.timedelta(days=serial)


def excel_serial(day: datetime.date) -> int:
    """The Excel serial number (1900 date system) of a date: the inverse of `parse_date` on a
    serial."""
    serial = (day - EXCEL_EPOCH).days
    return serial - 1 if serial <= 60 else serial


# --- Yes and no -----------------------------------------------------------------------------

TRUE = {"y", "yes", "true", "t", "1", "eligible", "✓", "✔"}
FALSE = {"n", "no", "false", "f", "0", "ineligible", "not eligible"}


def parse_bool(text: str) -> bool | None:
    """Y/N, Yes/No, True/False, T/F, 1/0, Eligible/Not eligible, a tick; '' is not known."""
    if not text:
        return None
    value = " ".join(text.split()).lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"“{text}” is not yes or no. Write Yes or No (or Y or N), or leave it empty.")


def parse_list(text: str) -> list[str]:
    """Several names in one cell, separated by ';' or ',' (alert groups): stripped, without
    empty ones or repeats, in the order written."""
    names = [" ".join(part.split()) for part in re.split(r"[;,]", text)]
    return list(dict.fromkeys(name for name in names if name))


# --- Year groups ----------------------------------------------------------------------------

NURSERY, RECEPTION = -1, 0
# The DfE's NCyearActual codes (as in a CTF) and what schools write. Early years (E1, E2) and
# nursery (N1, N2) are all Kestrel's one Nursery year group; F1/F2 are the Foundation Stage's
# two years as some schools name them (nursery and reception).
_YEAR_WORDS = {
    "n": NURSERY,
    "n1": NURSERY,
    "n2": NURSERY,
    "e1": NURSERY,
    "e2": NURSERY,
    "f1": NURSERY,
    "fs1": NURSERY,
    "nursery": NURSERY,
    "nur": NURSERY,
    "-1": NURSERY,
    "r": RECEPTION,
    "yr": RECEPTION,
    "yrr": RECEPTION,
    "rec": RECEPTION,
    "reception": RECEPTION,
    "yearr": RECEPTION,
    "yearreception": RECEPTION,
    "f2": RECEPTION,
    "fs2": RECEPTION,
}
_YEAR_NUMBER = re.compile(r"(?:y|yr|yrs|year|ncyear|nc)?0*(\d{1,2})")


def parse_year_group(text: str) -> int | None:
    """Kestrel's year group: -1 Nursery, 0 Reception, 1 to 13. Accepts '7', '07', 'Y7', 'Yr 7',
    'Year 7', 'R', 'Rec', 'Reception', 'N', 'N1', 'N2', 'Nursery' and the like."""
    if not text:
        return None
    value = re.sub(r"[\s._]", "", text.lower())
    if value in _YEAR_WORDS:
        return _YEAR_WORDS[value]
    if (match := _YEAR_NUMBER.fullmatch(value)) and 0 <= int(match.group(1)) <= 13:
        return int(match.group(1))
    raise ValueError(
        f"“{text}” is not a year group Kestrel has. Write Nursery (or N1, N2), Reception "
        "(or R), or a year from 1 to 13 (for example 7 or Year 7)."
    )


# --- Sex, as the DfE census records it ------------------------------------------------------

# The census and the CTF record sex as M, F or U (not known). Text that says neither is
# refused rather than kept as not known, so that nothing a file says is silently lost: the
# message tells the administrator what to write.
_GENDERS = {
    "m": "M",
    "male": "M",
    "boy": "M",
    "f": "F",
    "female": "F",
    "girl": "F",
    "u": "U",
    "unknown": "U",
    "notknown": "U",
    "notstated": "U",
    "notspecified": "U",
    "notrecorded": "U",
    "prefernottosay": "U",
    "w": "U",  # "withheld", in some older exports
}


def parse_gender(text: str) -> str:
    """'F', 'M' or 'U' (not known), the DfE's codes; '' for an empty cell."""
    if not text:
        return ""
    value = re.sub(r"[^a-z]", "", text.lower())
    if value in _GENDERS:
        return _GENDERS[value]
    raise ValueError(
        f"“{text}” is not a sex Kestrel records. Write F (female), M (male) or U (not known), "
        "as in the school census."
    )


# --- Special educational needs --------------------------------------------------------------

NO_SEN, SEN_SUPPORT, EHC_PLAN = "N", "K", "E"
# The DfE's SEN provision codes since 2014: N, K (SEN support), E (education, health and care
# plan). Older files may still carry A (School Action) and P (School Action Plus), which became
# SEN support, and S (statement), which became an EHC plan.
_SEN = {
    "n": NO_SEN,
    "none": NO_SEN,
    "no": NO_SEN,
    "nosen": NO_SEN,
    "nospecialeducationalneed": NO_SEN,
    "nospecialeducationalneeds": NO_SEN,
    "k": SEN_SUPPORT,
    "sensupport": SEN_SUPPORT,
    "support": SEN_SUPPORT,
    "a": SEN_SUPPORT,
    "schoolaction": SEN_SUPPORT,
    "p": SEN_SUPPORT,
    "schoolactionplus": SEN_SUPPORT,
    "e": EHC_PLAN,
    "ehcp": EHC_PLAN,
    "ehcplan": EHC_PLAN,
    "educationhealthandcareplan": EHC_PLAN,
    "educationhealthcareplan": EHC_PLAN,
    "s": EHC_PLAN,
    "statement": EHC_PLAN,
    "statementofsen": EHC_PLAN,
    "statementofspecialeducationalneeds": EHC_PLAN,
}


def parse_sen(text: str) -> str:
    """The DfE SEN provision code: 'N' no special educational need, 'K' SEN support, 'E'
    education, health and care plan; '' for an empty cell. Accepts the codes, their names and
    'K - SEN Support' as some MIS show them."""
    if not text:
        return ""
    value = re.sub(r"[^a-z]", "", text.lower())
    if value in _SEN:
        return _SEN[value]
    # "K - SEN Support", "E: EHC Plan": a code, then its name.
    if match := re.fullmatch(r"\s*([NKEAPS])\s*[-:–]\s*(.+)", text, re.IGNORECASE):
        code, name = match.groups()
        if _SEN.get(re.sub(r"[^a-z]", "", name.lower())) == _SEN[code.lower()]:
            return _SEN[code.lower()]
    raise ValueError(
        f"“{text}” is not an SEN status. Write N (no special educational need), "
        "K (SEN support) or E (education, health and care plan), or leave it empty."
    )


# --- Identifiers and email ------------------------------------------------------------------


def parse_upn(text: str) -> str:
    """A UPN, upper case, without spaces, its check letter checked; '' for an empty cell."""
    upn = re.sub(r"\s", "", text).upper()
    if not upn:
        return ""
    try:
        validate_upn(upn)
    except ValidationError as error:
        raise ValueError(f"“{text.strip()}”: {error.messages[0]}") from None
    return upn


def parse_upns(text: str) -> list[str]:
    """Former UPNs: one cell may hold several, separated by commas, semicolons or spaces."""
    upns = [parse_upn(part) for part in re.split(r"[,;\s]+", text) if part]
    return list(dict.fromkeys(upns))


def parse_email(text: str) -> str:
    """An email address, in lower case; '' for an empty cell."""
    email = text.strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError(
            f"“{text.strip()}” is not an email address. Write it in full, like name@school.org.uk."
        ) from None
    return email


def split_name(text: str) -> tuple[str, str]:
    """A staff member's full name in one cell, as (first name, last name). 'Abbott, Wendy'
    splits at the comma (the surname first, as MIS staff lists show it); 'Wendy Abbott' at the
    first space, so that a surname of several words stays whole ('Juan Ruiz Nuñez' is Juan,
    Ruiz Nuñez). A single word is refused: Kestrel needs both names."""
    value = " ".join(text.split())
    if "," in value:
        last, _, first = value.partition(",")
        first, last = first.strip(), last.strip()
    else:
        first, _, last = value.partition(" ")
    if not first or not last:
        raise ValueError(
            f"“{value}” is not a first name and a last name. Write both, as “Wendy Abbott” or "
            "“Abbott, Wendy”, or give them in two columns."
        )
    return first, last


# --- Writing CSV ----------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """The text for a cell of a CSV Kestrel writes, so that a spreadsheet opening it never runs
    it as a formula: a cell starting with = + - @, a tab or a carriage return is prefixed with
    an apostrophe (OWASP's guidance on CSV injection)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
