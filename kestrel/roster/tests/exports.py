"""Roster files built the way the MIS export them, for tests: SIMS, Arbor and Bromcom CSV, Excel
workbooks, DfE Common Transfer Files, and the files a school might send by mistake.

Students are plain dicts of Kestrel's field names (those of `columns.STUDENT_FIELDS`) to Python
values: names and ids as str, dates as datetime.date, year_group as int (-1 Nursery, 0
Reception), gender 'F'/'M'/'U', sen_status 'N'/'K'/'E', the flags as bool, former_upns as a str
of UPNs separated by spaces. A key left out is an empty cell. `sample_students` makes a school's
worth of valid ones.

Each builder returns the file's bytes; `save` writes them under a test's tmp_path.

What each MIS writes (headers, dates, codes) follows `columns`' notes on what is confirmed; the
rest is how these systems show the same data on screen. Excel on Windows ends lines with CRLF,
and its plain "CSV" is Windows-1252, so é is the single byte 0xE9.
"""

import csv
import datetime
import io
import struct
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import openpyxl

from kestrel.roster.values import excel_serial
from kestrel.students.upn import make_upn

# --- Names ----------------------------------------------------------------------------------

# Names with accents, apostrophes and hyphens, every one in Windows-1252 (so a Bromcom CSV in
# that encoding can hold them): some from the ONS baby names 2024 (shared/data/names), some
# that schools' rosters have.
FIRST_NAMES = (
    "Zoë",
    "Siân",
    "Mary-Jane",
    "Chloé",
    "José",
    "Ivy-Rose",
    "A'isha",
    "Is'haaq",
    "Oluwapamilerinayo",
    "Md",
    "Hannah",
    "Matthew",
    "Danielle",
    "Asif",
    "Leah",
    "Björn",
    "Renée",
    "Du'aa",
    "Noël",
    "Olivia",
    "Muhammad",
    "Amelia",
    "Oliver",
    "Isla",
)
LAST_NAMES = (
    "Nuñez",
    "O'Brien",
    "Greenwood",
    "Bradshaw",
    "Hussain",
    "Simpson",
    "Ruiz Nuñez",
    "Smith-Jones",
    "Müller",
    "D'Souza",
    "Ó Briain",
    "Kowalski",
    "Nguyen",
    "Adeyemi",
    "Åberg",
    "McAllister",
)
# Names Windows-1252 cannot hold, for UTF-8 files only.
UNICODE_ONLY_NAMES = (("Łucja", "Wójcik"), ("Dvořák", "Šťastná"), ("Yusuf", "Çelik"))

LA, ESTAB = 823, 4001  # the demo school's numbers


def sample_students(
    count: int,
    *,
    start: int = 1,
    academic_year: int = 2025,
    year_groups: Iterable[int] = range(-1, 7),
    la: int = LA,
    estab: int = ESTAB,
) -> list[dict]:
    """`count` valid students numbered from `start` (the same number gives the same student, so
    two calls can build a roster and its next day's export), spread across `year_groups`, with
    dates of birth that fit their year in the academic year starting September `academic_year`."""
    years = tuple(year_groups)
    students = []
    for number in range(start, start + count):
        year = years[number % len(years)]
        born_from = datetime.date(academic_year - year - 5, 9, 1)
        born = born_from + datetime.timedelta(days=(number * 37) % 365)
        group = {-1: "N", 0: "R"}.get(year, str(year)) + "AB"[number % 2]
        students.append(
            {
                "mis_id": f"{number:06d}",
                "upn": make_upn(la, estab, number // 1000, number % 1000),
                "legal_first_name": FIRST_NAMES[number % len(FIRST_NAMES)],
                "legal_last_name": LAST_NAMES[(number // 3) % len(LAST_NAMES)],
                "preferred_first_name": "Sunny" if number % 11 == 0 else "",
                "date_of_birth": born,
                "year_group": year,
                "tutor_group": group,
                "gender": "FM"[number % 2] if number % 13 else "U",
                "admission_date": datetime.date(academic_year - max(year, 0), 9, 3),
                "sen_status": "NNNNKNNNE"[number % 9],
                "pupil_premium": number % 4 == 0,
                "free_school_meals": number % 5 == 0,
                "eal": number % 6 == 0,
                "looked_after": number % 50 == 0,
            }
        )
    return students


# --- What each MIS writes -------------------------------------------------------------------

Column = tuple[str, str, Callable[[object], str]]  # header, field, how the MIS writes it


def _text(value) -> str:
    return "" if value is None else str(value)


def _date(fmt: str) -> Callable[[object], str]:
    return lambda value: value.strftime(fmt) if value else ""


def _flag(yes: str, no: str) -> Callable[[object], str]:
    return lambda value: "" if value is None else (yes if value else no)


def _choices(table: dict) -> Callable[[object], str]:
    return lambda value: "" if value in (None, "") else table[value]


def _year(nursery: str, reception: str, numbered: str) -> Callable[[object], str]:
    def write(value) -> str:
        if value is None:
            return ""
        return {-1: nursery, 0: reception}.get(value) or numbered.format(value)

    return write


def sims_columns(date_format: str = "%d/%m/%Y") -> list[Column]:
    """A SIMS student list: legal and preferred names apart, NC year as the DfE writes it, SEN
    provision codes, Yes/No flags."""
    date = _date(date_format)
    yes_no = _flag("Yes", "No")
    return [
        ("Adno", "mis_id", _text),
        ("UPN", "upn", _text),
        ("Former UPN", "former_upns", lambda value: _text(value).replace(" ", ",")),
        ("Legal Surname", "legal_last_name", _text),
        ("Legal Forename", "legal_first_name", _text),
        ("Preferred Surname", "preferred_last_name", _text),
        ("Preferred Forename", "preferred_first_name", _text),
        ("DOB", "date_of_birth", date),
        ("Gender", "gender", _text),
        ("Year", "year_group", _year("N2", "R", "{}")),
        ("Reg Group", "tutor_group", _text),
        ("Admission Date", "admission_date", date),
        ("Leaving Date", "left_on", date),
        ("SEN Status", "sen_status", _text),
        ("Pupil Premium Indicator", "pupil_premium", yes_no),
        ("FSM Eligible", "free_school_meals", yes_no),
        ("EAL", "eal", yes_no),
        ("In LA Care", "looked_after", yes_no),
    ]


def arbor_columns(date_format: str = "%Y-%m-%d") -> list[Column]:
    """An Arbor student export: "First Name" and "Last Name" are the names in everyday use
    (the legal ones where the student has no preferred name), beside "Legal First Name"."""
    date = _date(date_format)
    yes_no = _flag("Yes", "No")
    return [
        ("Student ID", "mis_id", lambda value: _text(value).lstrip("0")),
        ("UPN", "upn", _text),
        ("Former UPN", "former_upns", _text),
        ("Legal First Name", "legal_first_name", _text),
        ("Legal Last Name", "legal_last_name", _text),
        ("First Name", "preferred_first_name", _text),
        ("Last Name", "preferred_last_name", _text),
        ("Date Of Birth", "date_of_birth", date),
        ("Gender", "gender", _choices({"F": "Female", "M": "Male", "U": "Unknown"})),
        ("Year Group", "year_group", _year("Nursery", "Reception", "Year {}")),
        ("Registration Form", "tutor_group", _text),
        ("Enrolment Start Date", "admission_date", date),
        ("Enrolment End Date", "left_on", date),
        (
            "SEN Status",
            "sen_status",
            _choices({"N": "No SEN", "K": "SEN Support", "E": "EHC Plan"}),
        ),
        ("Pupil Premium", "pupil_premium", yes_no),
        ("FSM", "free_school_meals", yes_no),
        ("EAL", "eal", yes_no),
        ("Looked After", "looked_after", yes_no),
    ]


def bromcom_columns(date_format: str = "%d/%m/%Y") -> list[Column]:
    """A Bromcom student list: Male/Female (its import refuses M and F), Y/N flags, the SEN
    code with its name."""
    date = _date(date_format)
    y_n = _flag("Y", "N")
    return [
        ("Student Id", "mis_id", _text),
        ("UPN", "upn", _text),
        ("Former UPN", "former_upns", lambda value: _text(value).replace(" ", "; ")),
        ("Legal Surname", "legal_last_name", _text),
        ("Legal Forename", "legal_first_name", _text),
        ("Preferred Surname", "preferred_last_name", _text),
        ("Preferred Forename", "preferred_first_name", _text),
        ("Date of Birth", "date_of_birth", date),
        ("Gender", "gender", _choices({"F": "Female", "M": "Male", "U": "Not Known"})),
        ("Year", "year_group", _year("N1", "YR", "Y{}")),
        ("Tutor Group", "tutor_group", _text),
        ("Admission Date", "admission_date", date),
        ("Leaving Date", "left_on", date),
        (
            "SEN Status",
            "sen_status",
            _choices({"N": "N - No SEN", "K": "K - SEN Support", "E": "E - EHC Plan"}),
        ),
        ("Pupil Premium", "pupil_premium", y_n),
        ("FSM", "free_school_meals", y_n),
        ("EAL", "eal", y_n),
        ("Looked After", "looked_after", y_n),
    ]


def _arbor_names(student: dict) -> dict:
    """Arbor's First Name and Last Name hold the legal name where there is no preferred one."""
    return {
        **student,
        "preferred_first_name": student.get("preferred_first_name")
        or student.get("legal_first_name", ""),
        "preferred_last_name": student.get("preferred_last_name")
        or student.get("legal_last_name", ""),
    }


def rows_for(
    columns: list[Column], students: Iterable[dict], fields: Iterable[str] | None = None
) -> tuple[list[str], list[list[str]]]:
    """The headers and rows of `students` in these columns (only those of `fields`, if given)."""
    if fields is not None:
        wanted = set(fields)
        columns = [column for column in columns if column[1] in wanted]
    headers = [header for header, _, _ in columns]
    rows = [[write(student.get(field)) for _, field, write in columns] for student in students]
    return headers, rows


def csv_bytes(
    headers: list[str],
    rows: Iterable[list[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    lineterminator: str = "\r\n",
) -> bytes:
    """A CSV as Excel and the MIS write it: cells quoted where they need to be, CRLF."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerow(headers)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def sims_csv(
    students: Iterable[dict],
    *,
    encoding: str = "utf-8-sig",
    delimiter: str = ",",
    date_format: str = "%d/%m/%Y",
    fields: Iterable[str] | None = None,
) -> bytes:
    """SIMS: UTF-8 with a byte order mark (as Excel's "CSV UTF-8" saves it), commas."""
    headers, rows = rows_for(sims_columns(date_format), students, fields)
    return csv_bytes(headers, rows, encoding=encoding, delimiter=delimiter)


def arbor_csv(
    students: Iterable[dict],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    date_format: str = "%Y-%m-%d",
    fields: Iterable[str] | None = None,
) -> bytes:
    """Arbor: UTF-8 without a BOM, commas, dates as yyyy-mm-dd."""
    students = [_arbor_names(student) for student in students]
    headers, rows = rows_for(arbor_columns(date_format), students, fields)
    return csv_bytes(headers, rows, encoding=encoding, delimiter=delimiter)


def bromcom_csv(
    students: Iterable[dict],
    *,
    encoding: str = "cp1252",
    delimiter: str = ";",
    date_format: str = "%d/%m/%Y",
    fields: Iterable[str] | None = None,
) -> bytes:
    """Bromcom saved through Excel in a European locale: Windows-1252, semicolons."""
    headers, rows = rows_for(bromcom_columns(date_format), students, fields)
    return csv_bytes(headers, rows, encoding=encoding, delimiter=delimiter)


def staff_columns(*, full_name: bool = False) -> list[Column]:
    """A staff list as an MIS exports it; with `full_name`, one "Name" column written surname
    first ("Abbott, Wendy"), as MIS staff lists show it."""
    names: list[Column] = [
        ("Forename", "first_name", _text),
        ("Surname", "last_name", _text),
    ]
    if full_name:
        names = [("Name", "name", _text)]
    return [
        ("Title", "title", _text),
        *names,
        ("Email Address", "email", _text),
        ("Job Title", "job_title", _text),
        ("Access Level", "access_level", _text),
        ("Key Holder", "key_holder", _flag("Yes", "No")),
        (
            "Alert Groups",
            "alert_groups",
            lambda value: value if isinstance(value, str) else "; ".join(value or ()),
        ),
    ]


def staff_csv(
    staff: Iterable[dict],
    *,
    full_name: bool = False,
    encoding: str = "utf-8-sig",
    delimiter: str = ",",
    fields: Iterable[str] | None = None,
) -> bytes:
    """Staff as dicts of first_name, last_name, email, job_title, access_level, key_holder
    (bool), alert_groups (a list, or a str as the cell holds it), and an optional title."""
    staff = [
        {**member, "name": f"{member.get('last_name', '')}, {member.get('first_name', '')}"}
        for member in staff
    ]
    headers, rows = rows_for(staff_columns(full_name=full_name), staff, fields)
    return csv_bytes(headers, rows, encoding=encoding, delimiter=delimiter)


# --- Excel ----------------------------------------------------------------------------------


def xlsx(
    headers: list,
    rows: Iterable[list],
    *,
    sheet: str = "Students",
    other_sheets: Iterable[str] = (),
    number_formats: dict[int, str] | None = None,
    before: Iterable[list] = (),
) -> bytes:
    """A workbook whose first worksheet has `headers` then `rows`. Dates (datetime.date) become
    date cells shown dd/mm/yyyy, as Excel stores them; an int stays a number (write
    `values.excel_serial(day)` for a date kept as its serial number). `number_formats` gives a
    column (by index) a number format, as "000000" for an admission number with its zeros;
    `before` are rows above the header row (blank ones to shift it down)."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in [*before, headers, *rows]:
        worksheet.append(row)
    for cells in worksheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, datetime.date):
                cell.number_format = "dd/mm/yyyy"
            elif number_formats and cell.column - 1 in number_formats and cell.row > 1:
                cell.number_format = number_formats[cell.column - 1]
    for name in other_sheets:
        workbook.create_sheet(name).append(["Notes"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def students_xlsx(
    students: Iterable[dict],
    *,
    columns: list[Column] | None = None,
    serial_dates: Iterable[str] = ("admission_date",),
    fields: Iterable[str] | None = None,
) -> bytes:
    """Students in an Excel workbook with SIMS's headers: dates as date cells, except the fields
    of `serial_dates`, written as Excel serial numbers; the admission number as a number shown
    with its leading zeros (format 000000); the year group as a number where it is one."""
    columns = columns or sims_columns()
    if fields is not None:
        wanted = set(fields)
        columns = [column for column in columns if column[1] in wanted]
    serial = set(serial_dates)
    headers = [header for header, _, _ in columns]
    rows = []
    formats = {}
    for student in students:
        row = []
        for index, (_, field, write) in enumerate(columns):
            value = student.get(field)
            if isinstance(value, datetime.date):
                row.append(excel_serial(value) if field in serial else value)
            elif field == "mis_id" and value and value.isdigit():
                formats[index] = "0" * len(value)
                row.append(int(value))
            elif field == "year_group" and value is not None and value > 0:
                row.append(value)
            else:
                row.append(write(value))
        rows.append(row)
    return xlsx(headers, rows, number_formats=formats)


# --- Common Transfer Files ------------------------------------------------------------------

SOURCE = {"la": "919", "estab": "2044", "name": "Oakfield Primary School"}
DESTINATION = {"la": str(LA), "estab": str(ESTAB), "name": "Ashdown Primary School"}


def ctf(
    pupils: Iterable[dict],
    *,
    source: dict | None = None,
    destination: dict | None = None,
    version: str = "25.0",
    created: datetime.datetime = datetime.datetime(2025, 7, 18, 14, 5, 0),
    sex_element: str = "Sex",
    declaration: str = '<?xml version="1.0" encoding="UTF-8"?>\n',
) -> bytes:
    """A Common Transfer File as a previous school's MIS writes it (CTF 25 by default; give
    sex_element="Gender" for an older one). Besides the pupils' details, each pupil has the
    address, contacts and attendance a real CTF carries, which the reader must pass over. A
    pupil's `first_language` (a DfE code such as "ENG" or "POL") is written as the CTF has it;
    `eal` alone writes ENG or, for True, POL."""
    source = source or SOURCE
    destination = destination or DESTINATION
    root = ET.Element("CTfile")
    header = ET.SubElement(root, "Header")
    _add(header, "DocumentName", "Common Transfer File")
    _add(header, "CTFversion", version)
    _add(header, "DateTime", created.isoformat(timespec="seconds"))
    _add(header, "DocumentQualifier", "partial")
    _add(header, "DataQualifier", "partial")
    _add(header, "DataDescriptor", "")
    _add(header, "SupplierID", "SIMS")
    school = ET.SubElement(header, "SourceSchool")
    _add(school, "LEA", source["la"])
    _add(school, "Estab", source["estab"])
    _add(school, "URN", "100000")
    _add(school, "SchoolName", source["name"])
    _add(school, "AcademicYear", str(created.year - (created.month < 9)))
    dest = ET.SubElement(header, "DestSchool")
    _add(dest, "LEA", destination["la"])
    _add(dest, "Estab", destination["estab"])
    data = ET.SubElement(root, "CTFpupilData")
    for pupil in pupils:
        _ctf_pupil(data, pupil, sex_element, created.date())
    ET.indent(root)
    return declaration.encode() + ET.tostring(root, encoding="utf-8")


def _ctf_pupil(data: ET.Element, pupil: dict, sex_element: str, as_at: datetime.date) -> None:
    element = ET.SubElement(data, "Pupil")
    _add(element, "UPN", pupil.get("upn"))
    _add(element, "UniqueLearnerNumber", "")
    _add(element, "Surname", pupil.get("legal_last_name"))
    _add(element, "Forename", pupil.get("legal_first_name"))
    if pupil.get("date_of_birth"):
        _add(element, "DOB", pupil["date_of_birth"].isoformat())
    _add(element, sex_element, pupil.get("gender"))
    details = ET.SubElement(element, "BasicDetails")
    for former in (pupil.get("former_upns") or "").split():
        _add(details, "FormerUPN", former)
    _add(details, "PreferredSurname", pupil.get("preferred_last_name"))
    _add(details, "PreferredForename", pupil.get("preferred_first_name"))
    _add(details, "MiddleNames", pupil.get("middle_names"))
    if pupil.get("year_group") is not None:
        year = pupil["year_group"]
        _add(details, "NCyearActual", {-1: "N2", 0: "R"}.get(year, str(year)))
    _add(details, "Ethnicity", "WBRI")
    _add(details, "EthnicitySource", "P")
    language = pupil.get("first_language") or (
        None if pupil.get("eal") is None else ("POL" if pupil["eal"] else "ENG")
    )
    if language:
        languages = ET.SubElement(details, "Languages")
        kind = ET.SubElement(languages, "Type")
        _add(kind, "LanguageType", "F")
        _add(kind, "Language", language)
    _add(details, "MedicalFlag", "false")
    if pupil.get("looked_after") is not None:
        cared = ET.SubElement(element, "LookedAfter")
        _add(cared, "InCare", "true" if pupil["looked_after"] else "false")
    if pupil.get("sen_status"):
        history = ET.SubElement(element, "SENhistory")
        if pupil["sen_status"] != "N":  # an earlier record, superseded by the latest
            earlier = ET.SubElement(history, "SEN")
            _add(earlier, "StartDate", "2019-09-04")
            _add(earlier, "SENprovision", "N")
        sen = ET.SubElement(history, "SEN")
        _add(sen, "StartDate", "2023-01-10")
        _add(sen, "SENprovision", pupil["sen_status"])
    if pupil.get("free_school_meals") is not None:
        fsm = ET.SubElement(element, "FSMhistory")
        _add(fsm, "FSMreviewDate", "2025-06-01")
        past = ET.SubElement(fsm, "FSMinstance")  # an eligibility that ended
        _add(past, "FSMstartDate", "2020-01-06")
        _add(past, "FSMendDate", "2021-03-31")
        _add(past, "UKcountry", "ENG")
        if pupil["free_school_meals"]:
            now = ET.SubElement(fsm, "FSMinstance")
            _add(now, "FSMstartDate", (as_at - datetime.timedelta(days=200)).isoformat())
            _add(now, "UKcountry", "ENG")
    address = ET.SubElement(element, "Address")
    _add(address, "Postcode", "TN1 1AA")
    contacts = ET.SubElement(element, "Contacts")
    contact = ET.SubElement(contacts, "Contact")
    _add(contact, "Surname", pupil.get("legal_last_name"))
    _add(contact, "Forename", "Sam")
    attendance = ET.SubElement(element, "Attendance")
    year_data = ET.SubElement(attendance, "YearData")
    _add(year_data, "Year", "2024")
    _add(year_data, "SessionsPossible", "380")


def _add(parent: ET.Element, tag: str, value) -> None:
    """A child element with the value as its text; none for None or '' (as CTFs leave out the
    elements they have no value for)."""
    if value is None or value == "":
        return
    ET.SubElement(parent, tag).text = str(value)


# --- Files a school might send by mistake ---------------------------------------------------


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (the container of Excel 97-2003 workbooks and of password-protected
    Office files) holding `streams`, each stored in whole 512-byte sectors (at least 4,096
    bytes, so none goes to the mini stream)."""
    end_of_chain, fat_sector, free = 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    ordered = sorted(streams.items(), key=lambda item: (len(item[0]), item[0].upper()))
    sectors: list[bytes] = []
    fat: list[int] = []
    starts = []
    for _, content in ordered:
        content = content.ljust(max(4096, -(-len(content) // 512) * 512), b"\x00")
        starts.append(len(sectors))
        count = len(content) // 512
        for index in range(count):
            sectors.append(content[index * 512 : (index + 1) * 512])
            fat.append(len(sectors) if index < count - 1 else end_of_chain)
    entries = [_directory_entry("Root Entry", 5, child=1, start=end_of_chain, size=0)]
    for number, ((stream_name, content), start) in enumerate(zip(ordered, starts, strict=True)):
        right = number + 2 if number + 1 < len(ordered) else free
        entry = _directory_entry(stream_name, 2, right=right, start=start, size=len(content))
        entries.append(entry)
    directory = b"".join(entries).ljust(-(-len(entries) // 4) * 512, b"\x00")
    first_directory = len(sectors)
    for index in range(len(directory) // 512):
        sectors.append(directory[index * 512 : (index + 1) * 512])
        last = index == len(directory) // 512 - 1
        fat.append(end_of_chain if last else len(sectors))
    fat_count = 1
    while len(fat) + fat_count > fat_count * 128:
        fat_count += 1
    fat_sectors = list(range(len(sectors), len(sectors) + fat_count))
    fat += [fat_sector] * fat_count
    fat += [free] * (fat_count * 128 - len(fat))
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 0x2C, fat_count)
    struct.pack_into("<I", header, 0x30, first_directory)
    struct.pack_into("<III", header, 0x38, 4096, end_of_chain, 0)
    struct.pack_into("<II", header, 0x44, end_of_chain, 0)
    difat = fat_sectors + [free] * (109 - len(fat_sectors))
    struct.pack_into("<109I", header, 0x4C, *difat)
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    return bytes(header) + b"".join(sectors) + fat_bytes


def _directory_entry(
    name: str, kind: int, *, child: int = 0xFFFFFFFF, right: int = 0xFFFFFFFF, start: int, size: int
) -> bytes:
    entry = bytearray(128)
    encoded = name.encode("utf-16-le")
    entry[: len(encoded)] = encoded
    struct.pack_into("<HBB", entry, 64, len(encoded) + 2, kind, 1)
    struct.pack_into("<III", entry, 68, 0xFFFFFFFF, right, child)
    struct.pack_into("<IQ", entry, 116, start, size)
    return bytes(entry)


def old_xls() -> bytes:
    """An Excel 97-2003 workbook (.xls): a compound file with a Workbook stream, which starts
    with a BIFF8 beginning-of-file record."""
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0)
    return compound_file({"Workbook": bof, "\x05SummaryInformation": b"\xfe\xff"})


def password_protected_xlsx() -> bytes:
    """An .xlsx saved with a password: Office encrypts the whole package into a compound file
    with EncryptionInfo and EncryptedPackage streams (MS-OFFCRYPTO), so it is no longer a ZIP."""
    info = struct.pack("<HHI", 4, 4, 0x40) + (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption">'
        b'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" '
        b'cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512"/>'
        b"</encryption>"
    )
    package = struct.pack("<Q", 8192) + bytes(range(256)) * 32
    return compound_file(
        {"EncryptionInfo": info, "EncryptedPackage": package, "\x06DataSpaces": b"\x08"}
    )


def pdf() -> bytes:
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
        b"%%EOF\n"
    )


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def ods() -> bytes:
    """An OpenDocument spreadsheet (LibreOffice's own format): a ZIP whose first entry,
    stored, is its mimetype."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def save(folder: Path, name: str, content: bytes) -> Path:
    """Writes a built file as an upload is saved, and gives its path."""
    path = Path(folder) / name
    path.write_bytes(content)
    return path
