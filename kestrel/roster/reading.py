"""Reading a roster file as the school's MIS exported it: a table of text, streamed.

A CSV is read with Python's `csv` module over a text stream, one row at a time, so that memory
does not grow with the file (the issue asks for this: 50,000 pupils and more). tablib, which the
issue suggests, loads the whole dataset into memory before the first row can be used, so it is
not used here. The encoding is found by decoding the file strictly as UTF-8 in chunks (a BOM is
allowed) and, where that fails, reading it as Windows-1252, which is what Excel on Windows saves
as "CSV (Comma delimited)". A file with a UTF-16 BOM (Excel's "Unicode Text") is read as UTF-16.
The delimiter (comma, semicolon or tab) is judged from the header line alone.

An Excel workbook (.xlsx) is known by its content (a ZIP with xl/workbook.xml), not its name,
and read with openpyxl in read-only mode: rows are parsed from the sheet's XML as they are asked
for, formulas are never evaluated (their cached values are read), and only the first worksheet
is read (`Table.sheet` names it, `Table.other_sheets` the others, for the preview to say so).
openpyxl keeps the workbook's shared-strings table in memory: it grows with the number of
distinct texts, not the rows, and the archive is first checked by `kestrel.files.office`, which
refuses one that unpacks to more than FILES_MAX_UNPACKED_MB or holds macros.

Callers check `kestrel.roster.ctf.looks_like_ctf` first: a Common Transfer File is XML, read by
`kestrel.roster.ctf`; `open_table` refuses XML.

Every refusal is `Unreadable`, whose message says what is wrong and what to do. A file is judged
as a whole before its first row is given (empty, not a table, protected, too many columns), but
a damaged row or an over-long cell is only found when it is reached, so `Unreadable` can also be
raised while `Table.rows` is iterated; the caller then discards what it read.
"""

import codecs
import csv
import datetime
import re
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from kestrel.files.errors import Refused
from kestrel.files.office import OLE_SIGNATURE, ZIP_SIGNATURE, zip_document_type

MAX_COLUMNS = 200
MAX_CELL = 1000
CHUNK = 64 * 1024
HEAD = 8 * 1024

EXPORT_AGAIN = (
    "Export the students from your MIS as CSV (comma separated) or Excel (.xlsx) and try again."
)


class Unreadable(Exception):
    """The whole file is refused; str(error) is the message the administrator sees, saying what
    is wrong and what to do."""


@dataclass(frozen=True)
class Table:
    headers: list[str]  # the header row's cells, stripped, as in the file
    # (row number as the spreadsheet shows it, cells as text, stripped); blank rows skipped.
    # Rows are as long as the header row, or longer when a row has more cells than it (an
    # unquoted comma in a name does that: the caller refuses such a row).
    rows: Iterator[tuple[int, list[str]]]
    format: str  # "CSV (UTF-8)", "CSV (Windows-1252)", "CSV (UTF-16)", "Excel (.xlsx)"
    delimiter: str = ""  # for a CSV: ",", ";" or "\t"
    sheet: str = ""  # for Excel: the worksheet read
    other_sheets: tuple[str, ...] = field(default=())  # for Excel: the worksheets not read


@contextmanager
def open_table(path: str | Path, *, name: str) -> Iterator[Table]:
    """Opens an uploaded file (saved at `path`; `name` is the name the user gave it) as a table
    of text. Raises Unreadable for a file that is empty, not a CSV or Excel file, protected with
    a password, an old .xls, without a header row, or with more than MAX_COLUMNS columns."""
    path = Path(path)
    with path.open("rb") as raw:
        head = raw.read(HEAD)
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise Unreadable(
            f"“{name}” is empty. Export the students from your MIS again, check the file has "
            "their rows, and try again."
        )
    with ExitStack() as stack:
        if head.startswith(ZIP_SIGNATURE):
            table = _open_xlsx(path, name, stack)
        elif head.startswith(OLE_SIGNATURE):
            raise Unreadable(_ole_refusal(path, name))
        else:
            table = _open_csv(path, name, head, stack)
        yield table


# --- CSV ------------------------------------------------------------------------------------

UTF8_BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}
# Bytes that start other kinds of file, for a message that names what was sent.
KNOWN_BINARY = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a picture",
    b"\xff\xd8\xff": "a picture",
    b"GIF8": "a picture",
    b"{\\rtf": "a Word (rich text) document",
}


def _open_csv(path: Path, name: str, head: bytes, stack: ExitStack) -> Table:
    encoding, label = _encoding(path, name, head)
    stream = stack.enter_context(path.open(encoding=encoding, newline="", errors="strict"))
    first_line = _first_line(path, encoding)
    if first_line.lstrip().startswith("<"):
        raise Unreadable(
            f"“{name}” is an XML or web page file, not a CSV or Excel file, and not a Common "
            f"Transfer File. {EXPORT_AGAIN}"
        )
    delimiter = _delimiter(first_line)
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    rows = _csv_rows(reader, name)
    headers, rows = _headers(rows, name)
    return Table(headers=headers, rows=rows, format=f"CSV ({label})", delimiter=delimiter)


def _encoding(path: Path, name: str, head: bytes) -> tuple[str, str]:
    """The file's encoding for `open`, and its name for the administrator."""
    if head.startswith(UTF16_BOMS):
        return "utf-16", "UTF-16"
    kind = next((kind for magic, kind in KNOWN_BINARY.items() if head.startswith(magic)), "")
    if kind or _is_binary(head):
        what = f"is {kind}, not" if kind else "is not"
        raise Unreadable(f"“{name}” {what} a CSV or Excel file. {EXPORT_AGAIN}")
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    cp1252 = codecs.getincrementaldecoder("cp1252")("strict")
    is_utf8 = is_cp1252 = True
    with path.open("rb") as raw:
        while (chunk := raw.read(CHUNK)) and (is_utf8 or is_cp1252):
            is_utf8 = is_utf8 and _decodes(utf8, chunk)
            is_cp1252 = is_cp1252 and _decodes(cp1252, chunk)
    is_utf8 = is_utf8 and _decodes(utf8, b"", final=True)
    if is_utf8:
        return ("utf-8-sig", "UTF-8") if head.startswith(UTF8_BOM) else ("utf-8", "UTF-8")
    if is_cp1252:
        return "cp1252", "Windows-1252"
    raise Unreadable(
        f"“{name}” has characters that are neither UTF-8 nor Windows-1252 text, so Kestrel "
        "cannot read its names correctly. Save it from your MIS or Excel as “CSV UTF-8 (Comma "
        "delimited)” and try again."
    )


def _decodes(decoder, chunk: bytes, final: bool = False) -> bool:
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return False
    return True


def _is_binary(head: bytes) -> bool:
    """NUL bytes, or many control characters, mean a file that is not text."""
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return controls > len(head) // 100


def _first_line(path: Path, encoding: str) -> str:
    """The header line, up to its end or MAX_COLUMNS * MAX_CELL characters."""
    with path.open(encoding=encoding, newline="") as stream:
        line = ""
        while not line.strip():
            line = stream.readline(MAX_COLUMNS * MAX_CELL)
            if not line:
                break
        return line


def _delimiter(line: str) -> str:
    """The delimiter the header line uses most, outside quotes; a comma if it has none."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _csv_rows(reader, name: str) -> Iterator[tuple[int, list[str]]]:
    """Every row (blank ones too) with its number as a spreadsheet shows it: one per record,
    however many lines a quoted cell spans."""
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise Unreadable(_too_long(name, number)) from None
            raise Unreadable(
                f"“{name}” cannot be read as CSV at row {number}: a cell's quotation marks do "
                'not match (a cell that starts with " must end with ", and a " inside it '
                f"must be doubled). Correct that row or export the file again. {EXPORT_AGAIN}"
            ) from None
        except UnicodeDecodeError:
            raise Unreadable(
                f"“{name}” has characters Kestrel cannot read at row {number}. {EXPORT_AGAIN}"
            ) from None
        yield number, cells


# --- Both -----------------------------------------------------------------------------------


def _headers(
    rows: Iterator[tuple[int, list[str]]], name: str
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The first row that is not blank as the header row, and the rows after it, checked."""
    for number, cells in rows:
        cells = _checked(cells, number, name, header=True)
        if any(cells):
            headers = _trailing_blanks_removed(cells)
            if len(headers) > MAX_COLUMNS:
                raise Unreadable(
                    f"“{name}” has {len(headers)} columns; Kestrel reads at most {MAX_COLUMNS}. "
                    "Export only the students' details (names, date of birth, UPN, year and "
                    "registration group and the like) and try again."
                )
            return headers, _data_rows(rows, len(headers), name)
    raise Unreadable(
        f"“{name}” has no header row: its first row must name the columns (for example "
        f"Legal Surname, Legal Forename, DOB). {EXPORT_AGAIN}"
    )


def _data_rows(rows, width: int, name: str) -> Iterator[tuple[int, list[str]]]:
    for number, cells in rows:
        cells = _checked(cells, number, name)
        if not any(cells):
            continue
        if len(cells) > width:
            cells = _trailing_blanks_removed(cells)
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        yield number, cells


def _checked(cells, number: int, name: str, header: bool = False) -> list[str]:
    """The cells stripped, none too long; a data row of more than MAX_COLUMNS cells refused (a
    header row of too many is refused with its count, by `_headers`)."""
    stripped = [cell.strip() for cell in cells]
    if not header and len(_trailing_blanks_removed(stripped)) > MAX_COLUMNS:
        raise Unreadable(
            f"“{name}” has more than {MAX_COLUMNS} cells in row {number}; Kestrel reads at "
            f"most {MAX_COLUMNS} columns. {EXPORT_AGAIN}"
        )
    if any(len(cell) > MAX_CELL for cell in stripped):
        raise Unreadable(_too_long(name, number))
    return stripped


def _trailing_blanks_removed(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _too_long(name: str, number: int) -> str:
    return (
        f"“{name}” has a cell longer than {MAX_CELL:,} characters in row {number}. A roster "
        "holds names, dates and codes: check that row (a missing quotation mark can run cells "
        "together), or export the file again."
    )


# --- Excel ----------------------------------------------------------------------------------

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
EXCEL_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ZERO_PADDED = re.compile(r"0+")


def _open_xlsx(path: Path, name: str, stack: ExitStack) -> Table:
    _check_is_xlsx(path, name)
    # An open file, not the path: given a path, openpyxl refuses any name not ending .xlsx,
    # and an upload is kept under a name of its own (kestrel.roster.uploads.materialised).
    source = stack.enter_context(path.open("rb"))
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise Unreadable(_damaged_excel(name)) from None
    stack.callback(workbook.close)
    sheets = workbook.worksheets
    if not sheets:
        raise Unreadable(f"“{name}” has no worksheet with the students in it. {EXPORT_AGAIN}")
    sheet = sheets[0]
    # A sheet's declared size can be wrong (some programs write A1:A1): read what is there.
    sheet.reset_dimensions()
    rows = _xlsx_rows(sheet, name)
    headers, rows = _headers(rows, name)
    return Table(
        headers=headers,
        rows=rows,
        format="Excel (.xlsx)",
        sheet=sheet.title,
        other_sheets=tuple(other.title for other in sheets[1:]),
    )


def _check_is_xlsx(path: Path, name: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError):
        raise Unreadable(_damaged_excel(name)) from None
    if mimetype.startswith(ODS_MIMETYPE):
        raise Unreadable(
            f"“{name}” is an OpenDocument spreadsheet (.ods), which Kestrel cannot read. Open "
            "it and save it as Excel Workbook (.xlsx) or CSV, then try again."
        )
    if "xl/workbook.xml" not in names:
        raise Unreadable(
            f"“{name}” is a compressed (ZIP) file, not an Excel workbook. {EXPORT_AGAIN}"
        )
    try:
        with path.open("rb") as file:
            content_type = zip_document_type(file, name)
    except Refused as refusal:
        raise Unreadable(_excel_refusal(name, refusal.reason)) from None
    if content_type != EXCEL_CONTENT_TYPE:
        raise Unreadable(_damaged_excel(name))


def _excel_refusal(name: str, reason: str) -> str:
    if reason == "macros":
        return (
            f"“{name}” is a macro-enabled workbook, which Kestrel does not accept. Save it as "
            "Excel Workbook (.xlsx) or CSV, then try again."
        )
    if reason == "unpacks too large":
        return (
            f"“{name}” is too large once unpacked, or is built to look smaller than it is. "
            f"{EXPORT_AGAIN}"
        )
    return _damaged_excel(name)


def _damaged_excel(name: str) -> str:
    return (
        f"“{name}” could not be opened as an Excel workbook: it may be damaged. Open it in "
        "Excel and save it again as Excel Workbook (.xlsx) or CSV, then try again."
    )


def _xlsx_rows(sheet, name: str) -> Iterator[tuple[int, list[str]]]:
    # openpyxl gives every row from the first, an empty one for each row the sheet leaves
    # out, so counting from 1 gives the row numbers Excel shows.
    try:
        for number, row in enumerate(sheet.iter_rows(), start=1):
            yield number, [_excel_text(cell) for cell in row]
    except (KeyError, ValueError, zipfile.BadZipFile, OSError, EOFError) as error:
        raise Unreadable(_damaged_excel(name)) from error


def _excel_text(cell) -> str:
    """A cell as the text a CSV export of it would hold: dates as yyyy-mm-dd, whole numbers
    without '.0', and numbers shown with leading zeros (an admission number formatted 000123)
    with them."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        number_format = getattr(cell, "number_format", "") or ""
        if _ZERO_PADDED.fullmatch(number_format) and value >= 0:
            text = text.zfill(len(number_format))
        return text
    return str(value).strip()


# --- Other binary files ---------------------------------------------------------------------

ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
OLD_WORKBOOK = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le") + b"\x00\x00")
OLD_WORD = "WordDocument".encode("utf-16-le")


def _ole_refusal(path: Path, name: str) -> str:
    """An OLE compound file is a password-protected Office file (Office encrypts a workbook
    into an OLE file with an EncryptedPackage stream), an Excel 97-2003 workbook, or something
    else. The names of its streams are searched for in chunks, not read whole."""
    found = _contains(path, [ENCRYPTED_PACKAGE, *OLD_WORKBOOK, OLD_WORD])
    if ENCRYPTED_PACKAGE in found:
        return (
            f"“{name}” is protected with a password, so Kestrel cannot read it. Open it in "
            "Excel, remove the password (File, Info, Protect Workbook), save it and try again; "
            "or export the students again without a password."
        )
    if found & set(OLD_WORKBOOK):
        return (
            f"“{name}” is an Excel 97-2003 workbook (.xls), which Kestrel cannot read. Open it "
            "in Excel and save it as Excel Workbook (.xlsx) or CSV, then try again."
        )
    if OLD_WORD in found:
        return f"“{name}” is a Word document, not a CSV or Excel file. {EXPORT_AGAIN}"
    return f"“{name}” is not a CSV or Excel file. {EXPORT_AGAIN}"


def _contains(path: Path, needles: list[bytes]) -> set[bytes]:
    overlap = max(len(needle) for needle in needles) - 1
    found = set()
    tail = b""
    with path.open("rb") as raw:
        while chunk := raw.read(CHUNK):
            window = tail + chunk
            found.update(needle for needle in needles if needle in window)
            tail = window[-overlap:]
    return found
