import datetime
import io
import re
import tracemalloc
import zipfile
from types import GeneratorType

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kestrel.roster import columns, values
from kestrel.roster.reading import CHUNK, Unreadable, open_table
from kestrel.roster.tests import exports
from kestrel.roster.values import excel_serial

EXPORT_AGAIN = (
    "Export the students from your MIS as CSV (comma separated) or Excel (.xlsx) and try again."
)

STUDENTS = [
    {
        "mis_id": "001234",
        "upn": "G823400100001",
        "legal_first_name": "Zoë",
        "legal_last_name": "Nuñez",
        "preferred_first_name": "Zoe",
        "date_of_birth": datetime.date(2016, 5, 4),
        "year_group": 3,
        "tutor_group": "3A",
        "gender": "F",
        "sen_status": "K",
        "free_school_meals": True,
    },
    {
        "mis_id": "001235",
        "upn": "W823400100002",
        "legal_first_name": "Mary-Jane",
        "legal_last_name": "O'Brien",
        "date_of_birth": datetime.date(2020, 1, 30),
        "year_group": 0,
        "tutor_group": "RB",
        "gender": "F",
        "former_upns": "K823400100003 Z823400100004",
    },
    {
        "mis_id": "001236",
        "upn": "N823400100005",
        "legal_first_name": "Chloé",
        "legal_last_name": "Siân, Smith",  # a comma inside a name: quoted in the CSV
        "date_of_birth": datetime.date(2021, 11, 9),
        "year_group": -1,
        "tutor_group": "N1",
        "gender": "U",
        "left_on": datetime.date(2025, 7, 18),
    },
]


def table_of(tmp_path, name: str, content: bytes):
    """Opens the file and reads it whole: (table, headers, rows as a list)."""
    path = exports.save(tmp_path, name, content)
    with open_table(path, name=name) as table:
        return table, table.headers, list(table.rows)


def refusal(tmp_path, name: str, content: bytes) -> str:
    path = exports.save(tmp_path, name, content)
    with pytest.raises(Unreadable) as error, open_table(path, name=name) as table:
        list(table.rows)
    return str(error.value)


# --- CSV as each MIS exports it -------------------------------------------------------------


def test_a_sims_export_in_utf8_with_a_byte_order_mark(tmp_path):
    content = exports.sims_csv(STUDENTS)
    assert content.startswith(b"\xef\xbb\xbfAdno,UPN,")
    table, headers, rows = table_of(tmp_path, "Students.csv", content)
    assert (table.format, table.delimiter) == ("CSV (UTF-8)", ",")
    assert headers[:8] == ["Adno", "UPN", "Former UPN", "Legal Surname", "Legal Forename",
                           "Preferred Surname", "Preferred Forename", "DOB"]  # fmt: skip
    assert [number for number, _ in rows] == [2, 3, 4]
    _, cells = rows[0]
    assert cells[:11] == ["001234", "G823400100001", "", "Nuñez", "Zoë", "", "Zoe", "04/05/2016",
                          "F", "3", "3A"]  # fmt: skip
    assert rows[1][1][2] == "K823400100003,Z823400100004"
    assert rows[2][1][3] == "Siân, Smith"
    assert rows[2][1][9] == "N2"


def test_an_arbor_export_in_utf8_without_a_bom(tmp_path):
    table, headers, rows = table_of(tmp_path, "arbor.csv", exports.arbor_csv(STUDENTS))
    assert table.format == "CSV (UTF-8)"
    assert headers[3:7] == ["Legal First Name", "Legal Last Name", "First Name", "Last Name"]
    assert rows[0][1][:10] == ["1234", "G823400100001", "", "Zoë", "Nuñez", "Zoe", "Nuñez",
                               "2016-05-04", "Female", "Year 3"]  # fmt: skip
    assert rows[2][1][9] == "Nursery"


def test_a_bromcom_export_in_windows_1252_with_semicolons(tmp_path):
    content = exports.bromcom_csv(STUDENTS)
    assert b"Chlo\xe9" in content  # é as Windows-1252 writes it: one byte, 0xE9
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    table, headers, rows = table_of(tmp_path, "bromcom.csv", content)
    assert (table.format, table.delimiter) == ("CSV (Windows-1252)", ";")
    assert headers[:5] == ["Student Id", "UPN", "Former UPN", "Legal Surname", "Legal Forename"]
    assert rows[0][1][3:5] == ["Nuñez", "Zoë"]
    assert rows[1][1][2] == "K823400100003; Z823400100004"
    assert rows[2][1][3:5] == ["Siân, Smith", "Chloé"]
    assert rows[2][1][9] == "N1"


def test_a_tab_separated_file_in_utf16_as_excel_saves_unicode_text(tmp_path):
    headers, rows = exports.rows_for(exports.sims_columns(), STUDENTS)
    content = exports.csv_bytes(headers, rows, encoding="utf-16", delimiter="\t")
    table, read_headers, read_rows = table_of(tmp_path, "students.txt", content)
    assert (table.format, table.delimiter) == ("CSV (UTF-16)", "\t")
    assert read_headers == headers
    assert [cells for _, cells in read_rows] == rows


def test_the_encoding_is_judged_on_the_whole_file_not_its_start(tmp_path):
    # A file that is plain ASCII for its first chunks and Windows-1252 near its end.
    filler = [["Smith", "John", "01/01/2015"]] * (2 * CHUNK // 20)
    content = exports.csv_bytes(
        ["Surname", "Forename", "DOB"], [*filler, ["Nuñez", "Renée", "02/02/2015"]],
        encoding="cp1252",
    )  # fmt: skip
    assert len(content) > 2 * CHUNK
    table, _, rows = table_of(tmp_path, "late accent.csv", content)
    assert table.format == "CSV (Windows-1252)"
    assert rows[-1][1] == ["Nuñez", "Renée", "02/02/2015"]


def test_a_utf8_character_split_across_two_chunks_is_still_utf8(tmp_path):
    header, line = b"Surname,Forename\r\n", b"Smith,John\r\n"
    lines, rest = divmod(CHUNK - 1 - len(header), len(line))
    if rest < len(b"Smith,x"):
        lines, rest = lines - 1, rest + len(line)
    last = b"Smith," + b"x" * (rest - len(b"Smith,"))
    content = header + line * lines + last + "é\r\n".encode()
    assert content[CHUNK - 1 : CHUNK + 1] == "é".encode()
    table, _, rows = table_of(tmp_path, "split.csv", content)
    assert table.format == "CSV (UTF-8)"
    assert rows[-1][1][1].endswith("xé")


def test_rows_are_numbered_as_the_spreadsheet_shows_them_and_blank_ones_skipped(tmp_path):
    content = (
        b"\r\n"  # a blank row above the header
        b"Surname,Forename,Note\r\n"
        b"Greenwood,Hannah,\r\n"
        b",,\r\n"
        b"\r\n"
        b'Bradshaw,Danielle,"two\r\nlines"\r\n'  # a quoted cell over two lines is one row
        b"Hussain,Asif,x\r\n"
    )
    _, headers, rows = table_of(tmp_path, "gaps.csv", content)
    assert headers == ["Surname", "Forename", "Note"]
    assert rows == [
        (3, ["Greenwood", "Hannah", ""]),
        (6, ["Bradshaw", "Danielle", "two\r\nlines"]),
        (7, ["Hussain", "Asif", "x"]),
    ]


def test_cells_are_stripped_short_rows_filled_and_trailing_empty_columns_dropped(tmp_path):
    content = b" Surname , Forename ,,\n  Leah ,Simpson \nAsif\n"
    _, headers, rows = table_of(tmp_path, "short.csv", content)
    assert headers == ["Surname", "Forename"]
    assert rows == [(2, ["Leah", "Simpson"]), (3, ["Asif", ""])]


def test_a_row_with_more_cells_than_the_header_keeps_them_for_the_caller_to_refuse(tmp_path):
    content = "Surname,Forename\nO'Brien,Siân,Smith\nLeah,Simpson,,\n".encode()
    _, _, rows = table_of(tmp_path, "extra.csv", content)
    assert rows == [(2, ["O'Brien", "Siân", "Smith"]), (3, ["Leah", "Simpson"])]


def test_rows_are_streamed_not_read_into_a_list(tmp_path):
    path = exports.save(tmp_path, "s.csv", exports.sims_csv(STUDENTS))
    with open_table(path, name="s.csv") as table:
        assert isinstance(table.rows, GeneratorType)
        assert next(table.rows)[0] == 2


def _peak_reading(path) -> int:
    tracemalloc.start()
    try:
        with open_table(path, name=path.name) as table:
            for _ in table.rows:
                pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_file(tmp_path):
    small = exports.save(tmp_path, "small.csv", exports.bromcom_csv(exports.sample_students(500)))
    large = exports.save(
        tmp_path, "large.csv", exports.bromcom_csv(exports.sample_students(20_000))
    )
    assert large.stat().st_size > 1_500_000
    small_peak, large_peak = _peak_reading(small), _peak_reading(large)
    assert large_peak < 1_000_000
    assert large_peak < 2 * small_peak + 200_000


CELL_TEXT = st.text(
    alphabet=st.characters(codec="cp1252", exclude_categories=["Cc", "Cs", "Zl", "Zp"]),
    max_size=30,
).map(str.strip)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(CELL_TEXT, min_size=3, max_size=3), min_size=1, max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_any_table_written_as_csv_reads_back(tmp_path, rows, encoding, delimiter):
    rows = [row for row in rows if any(row)]
    headers = ["Legal Surname", "Legal Forename", "Reg Group"]
    content = exports.csv_bytes(headers, rows, encoding=encoding, delimiter=delimiter)
    table, read_headers, read_rows = table_of(tmp_path, "any.csv", content)
    assert table.delimiter == delimiter
    assert read_headers == headers
    assert [cells for _, cells in read_rows] == rows


# --- Excel ----------------------------------------------------------------------------------


def test_an_excel_workbook_as_the_mis_exports_it(tmp_path):
    table, headers, rows = table_of(tmp_path, "Students.xlsx", exports.students_xlsx(STUDENTS))
    assert (table.format, table.sheet, table.other_sheets) == ("Excel (.xlsx)", "Students", ())
    assert headers[:4] == ["Adno", "UPN", "Former UPN", "Legal Surname"]
    by_header = [dict(zip(headers, cells, strict=True)) for _, cells in rows]
    first = by_header[0]
    assert first["Adno"] == "001234"  # a number shown with its zeros keeps them
    assert first["Legal Forename"] == "Zoë"
    assert first["DOB"] == "2016-05-04"  # a date cell
    assert first["Year"] == "3"  # a number, without ".0"
    assert by_header[1]["Year"] == "R"
    assert by_header[2]["Leaving Date"] == "2025-07-18"
    assert [number for number, _ in rows] == [2, 3, 4]


def test_an_excel_workbook_is_read_whatever_the_name_it_is_kept_under(tmp_path):
    """An upload is kept under a name of its own, without .xlsx (uploads.materialised): the
    workbook is read all the same (openpyxl, given a path, refuses other endings)."""
    path = exports.save(tmp_path, "upload", exports.students_xlsx(STUDENTS))
    with open_table(path, name="Students.xlsx") as table:
        assert table.format == "Excel (.xlsx)"
        assert [cells[4] for _, cells in table.rows] == ["Zoë", "Mary-Jane", "Chloé"]


def test_a_date_kept_as_an_excel_serial_number_comes_out_as_the_number(tmp_path):
    day = datetime.date(2019, 9, 3)
    _, _, rows = table_of(tmp_path, "s.xlsx", exports.xlsx(["Date"], [[excel_serial(day)]]))
    assert rows == [(2, ["43711"])]


def test_excel_cells_of_each_kind_come_out_as_text(tmp_path):
    cells = [datetime.datetime(2019, 9, 3, 0, 0), datetime.datetime(2019, 9, 3, 8, 30),
             7.0, 7.5, True, False, None, "  Zoë  ", -3]  # fmt: skip
    headers = [f"C{index}" for index in range(len(cells))]
    _, _, rows = table_of(tmp_path, "kinds.xlsx", exports.xlsx(headers, [cells]))
    assert rows == [
        (2, ["2019-09-03", "2019-09-03 08:30:00", "7", "7.5", "TRUE", "FALSE", "", "Zoë", "-3"])
    ]


def test_only_the_first_worksheet_is_read_and_the_others_are_named(tmp_path):
    content = exports.xlsx(["Surname"], [["Greenwood"]], sheet="Pupils",
                           other_sheets=["Staff", "Notes"])  # fmt: skip
    table, headers, rows = table_of(tmp_path, "book.xlsx", content)
    assert (table.sheet, table.other_sheets) == ("Pupils", ("Staff", "Notes"))
    assert (headers, rows) == (["Surname"], [(2, ["Greenwood"])])


def test_a_header_below_blank_rows_and_blank_rows_between_keep_excels_numbers(tmp_path):
    content = exports.xlsx(["Surname", "Forename"], [["Greenwood", "Hannah"], [None, None],
                           ["Hussain", "Asif"]], before=[[None], [None]])  # fmt: skip
    _, headers, rows = table_of(tmp_path, "shifted.xlsx", content)
    assert headers == ["Surname", "Forename"]
    assert rows == [(4, ["Greenwood", "Hannah"]), (6, ["Hussain", "Asif"])]


def _rewrite_sheet(content: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through `change`."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data.decode()).encode()
            target.writestr(info, data)
    return buffer.getvalue()


def test_a_formula_is_never_evaluated_its_cached_value_is_read(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Year", "Doubled"])
    workbook.active.append([3, "=A2*2"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # Excel saves a formula with the value it last showed; openpyxl writes none.
    content = _rewrite_sheet(buffer.getvalue(), lambda xml: xml.replace("</f>", "</f><v>6</v>"))
    _, _, rows = table_of(tmp_path, "formula.xlsx", content)
    assert rows == [(2, ["3", "6"])]
    _, _, rows = table_of(tmp_path, "uncached.xlsx", buffer.getvalue())
    assert rows == [(2, ["3", ""])]


def test_a_sheet_that_declares_a_smaller_size_than_it_has_is_read_whole(tmp_path):
    content = exports.xlsx(["Surname", "Forename", "DOB"], [["Simpson", "Leah", "01/02/2016"]])
    content = _rewrite_sheet(content, lambda xml: re.sub(r'ref="[A-Z0-9:]+"', 'ref="A1"', xml))
    _, headers, rows = table_of(tmp_path, "dimension.xlsx", content)
    assert headers == ["Surname", "Forename", "DOB"]
    assert rows == [(2, ["Simpson", "Leah", "01/02/2016"])]


# --- Refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"  \r\n\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_an_empty_file_is_refused(tmp_path, content):
    assert refusal(tmp_path, "students.csv", content) == (
        "“students.csv” is empty. Export the students from your MIS again, check the file has "
        "their rows, and try again."
    )


def test_a_file_with_no_header_row_is_refused(tmp_path):
    assert refusal(tmp_path, "blank.csv", b",,,\r\n,,\r\n, ,\r\n") == (
        "“blank.csv” has no header row: its first row must name the columns (for example "
        f"Legal Surname, Legal Forename, DOB). {EXPORT_AGAIN}"
    )


def test_an_empty_workbook_is_refused_as_having_no_header_row(tmp_path):
    message = refusal(tmp_path, "empty.xlsx", exports.xlsx([], []))
    assert message.startswith("“empty.xlsx” has no header row:")


def test_more_than_200_columns_is_refused(tmp_path):
    headers = [f"Column {index}" for index in range(201)]
    expected = (
        "has 201 columns; Kestrel reads at most 200. Export only the students' details "
        "(names, date of birth, UPN, year and registration group and the like) and try again."
    )
    assert refusal(tmp_path, "wide.csv", exports.csv_bytes(headers, [])) == f"“wide.csv” {expected}"
    assert refusal(tmp_path, "wide.xlsx", exports.xlsx(headers, [])) == f"“wide.xlsx” {expected}"


def test_a_row_of_more_than_200_cells_is_refused(tmp_path):
    content = exports.csv_bytes(["Surname"], [["Smith"], ["x"] * 201])
    assert refusal(tmp_path, "wide row.csv", content) == (
        "“wide row.csv” has more than 200 cells in row 3; Kestrel reads at most 200 columns. "
        f"{EXPORT_AGAIN}"
    )


def test_a_cell_longer_than_1000_characters_is_refused_naming_its_row(tmp_path):
    rows = [["Greenwood", "Hannah"], ["Simpson", "L" * 1001]]
    expected = (
        "has a cell longer than 1,000 characters in row 3. A roster holds names, dates and "
        "codes: check that row (a missing quotation mark can run cells together), or export "
        "the file again."
    )
    assert refusal(tmp_path, "long.csv", exports.csv_bytes(["Surname", "Forename"], rows)) == (
        f"“long.csv” {expected}"
    )
    assert refusal(tmp_path, "long.xlsx", exports.xlsx(["Surname", "Forename"], rows)) == (
        f"“long.xlsx” {expected}"
    )
    _, _, read = table_of(tmp_path, "fits.csv", exports.csv_bytes(["Name"], [["L" * 1000]]))
    assert read == [(2, ["L" * 1000])]


def test_a_quotation_mark_left_open_is_refused_not_read_to_the_end(tmp_path):
    content = b'Surname,Forename\r\nGreenwood,Hannah\r\n"Bradshaw,Danielle\r\nHussain,Asif\r\n'
    assert refusal(tmp_path, "open quote.csv", content) == (
        "“open quote.csv” cannot be read as CSV at row 3: a cell's quotation marks do not "
        'match (a cell that starts with " must end with ", and a " inside it must be '
        f"doubled). Correct that row or export the file again. {EXPORT_AGAIN}"
    )


def test_a_quotation_mark_left_open_over_a_huge_file_stops_at_the_field_limit(tmp_path):
    content = b'Surname,Forename\r\n"Bradshaw,' + b"Danielle\r\n" * 20_000
    message = refusal(tmp_path, "runaway.csv", content)
    assert message.startswith("“runaway.csv” has a cell longer than 1,000 characters in row 2.")


def test_text_after_a_closing_quotation_mark_is_refused(tmp_path):
    content = b'Surname,Forename\r\n"Bradshaw"x,Danielle\r\n'
    assert refusal(tmp_path, "stray.csv", content).startswith(
        "“stray.csv” cannot be read as CSV at row 2:"
    )


def test_a_file_in_neither_utf8_nor_windows_1252_is_refused(tmp_path):
    # 0x81 is not a Windows-1252 character, and this is not UTF-8.
    content = "Surname,Forename\r\nNuñez,Zoë\r\n".encode("cp1252") + b"Smith,\x81\r\n"
    assert refusal(tmp_path, "mixed.csv", content) == (
        "“mixed.csv” has characters that are neither UTF-8 nor Windows-1252 text, so Kestrel "
        "cannot read its names correctly. Save it from your MIS or Excel as “CSV UTF-8 (Comma "
        "delimited)” and try again."
    )


def test_an_old_excel_workbook_is_refused_with_how_to_save_it(tmp_path):
    assert refusal(tmp_path, "Students.xls", exports.old_xls()) == (
        "“Students.xls” is an Excel 97-2003 workbook (.xls), which Kestrel cannot read. Open "
        "it in Excel and save it as Excel Workbook (.xlsx) or CSV, then try again."
    )


def test_an_old_excel_workbook_is_known_by_its_content_not_its_name(tmp_path):
    assert refusal(tmp_path, "Students.csv", exports.old_xls()).startswith(
        "“Students.csv” is an Excel 97-2003 workbook (.xls)"
    )


def test_a_password_protected_workbook_is_refused(tmp_path):
    assert refusal(tmp_path, "Students.xlsx", exports.password_protected_xlsx()) == (
        "“Students.xlsx” is protected with a password, so Kestrel cannot read it. Open it in "
        "Excel, remove the password (File, Info, Protect Workbook), save it and try again; or "
        "export the students again without a password."
    )


def test_a_word_document_is_refused(tmp_path):
    content = exports.compound_file({"WordDocument": b"\xec\xa5", "1Table": b""})
    assert refusal(tmp_path, "list.doc", content) == (
        f"“list.doc” is a Word document, not a CSV or Excel file. {EXPORT_AGAIN}"
    )


def test_another_compound_file_is_refused(tmp_path):
    content = exports.compound_file({"Binary.install": b"MZ"})
    assert refusal(tmp_path, "setup.msi", content) == (
        f"“setup.msi” is not a CSV or Excel file. {EXPORT_AGAIN}"
    )


def test_a_pdf_is_refused(tmp_path):
    assert refusal(tmp_path, "Class list.pdf", exports.pdf()) == (
        f"“Class list.pdf” is a PDF document, not a CSV or Excel file. {EXPORT_AGAIN}"
    )


def test_a_picture_is_refused(tmp_path):
    content = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
    assert refusal(tmp_path, "photo.csv", content) == (
        f"“photo.csv” is a picture, not a CSV or Excel file. {EXPORT_AGAIN}"
    )


def test_another_binary_file_is_refused(tmp_path):
    assert refusal(tmp_path, "data.csv", bytes(range(256)) * 4) == (
        f"“data.csv” is not a CSV or Excel file. {EXPORT_AGAIN}"
    )


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    content = exports.zip_of({"students.csv": b"Surname\r\nSmith\r\n"})
    assert refusal(tmp_path, "students.zip", content) == (
        f"“students.zip” is a compressed (ZIP) file, not an Excel workbook. {EXPORT_AGAIN}"
    )


def test_an_opendocument_spreadsheet_is_refused_with_how_to_save_it(tmp_path):
    assert refusal(tmp_path, "students.ods", exports.ods()) == (
        "“students.ods” is an OpenDocument spreadsheet (.ods), which Kestrel cannot read. Open "
        "it and save it as Excel Workbook (.xlsx) or CSV, then try again."
    )


def test_a_macro_enabled_workbook_is_refused(tmp_path):
    workbook = exports.xlsx(["Surname"], [["Smith"]])
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
                )
            target.writestr(info, data)
        target.writestr("xl/vbaProject.bin", b"\xcc\x61")
    assert refusal(tmp_path, "Students.xlsm", buffer.getvalue()) == (
        "“Students.xlsm” is a macro-enabled workbook, which Kestrel does not accept. Save it as "
        "Excel Workbook (.xlsx) or CSV, then try again."
    )


def test_a_damaged_workbook_is_refused(tmp_path):
    content = exports.students_xlsx(STUDENTS)
    damaged = content[: len(content) // 2]
    assert refusal(tmp_path, "Students.xlsx", damaged) == (
        "“Students.xlsx” could not be opened as an Excel workbook: it may be damaged. Open it "
        "in Excel and save it again as Excel Workbook (.xlsx) or CSV, then try again."
    )


def test_xml_is_refused_as_neither_a_table_nor_a_common_transfer_file(tmp_path):
    content = b'<?xml version="1.0"?>\n<students><student/></students>\n'
    assert refusal(tmp_path, "students.xml", content) == (
        "“students.xml” is an XML or web page file, not a CSV or Excel file, and not a Common "
        f"Transfer File. {EXPORT_AGAIN}"
    )


# --- From an MIS export to Kestrel's values, through columns and values ----------------------

PARSERS = {
    "upn": values.parse_upn,
    "former_upns": lambda text: " ".join(values.parse_upns(text)),
    "date_of_birth": values.parse_date,
    "admission_date": values.parse_date,
    "left_on": values.parse_date,
    "year_group": values.parse_year_group,
    "gender": values.parse_gender,
    "sen_status": values.parse_sen,
    "pupil_premium": values.parse_bool,
    "free_school_meals": values.parse_bool,
    "eal": values.parse_bool,
    "looked_after": values.parse_bool,
}
SAMPLE = exports.sample_students(120)
SAMPLE[7]["former_upns"] = f"{SAMPLE[8]['upn']} {SAMPLE[9]['upn']}"
SAMPLE[10]["left_on"] = datetime.date(2025, 12, 19)
SAMPLE[11]["preferred_last_name"] = "Ó Briain"


def as_kestrel_reads_it(table) -> list[dict]:
    mapping = columns.recognise(table.headers, columns.STUDENT_FIELDS)
    return [
        {
            field: PARSERS.get(field, str)(cells[index])
            for index, field in mapping.items()
            if cells[index]
        }
        for _, cells in table.rows
    ]


def as_written(student: dict, *, preferred_is_legal: bool = False) -> dict:
    """The student as a file gives it back: empty values left out; where the MIS writes the
    legal name in the preferred name's column (Arbor), that name."""
    student = dict(student)
    if preferred_is_legal:
        for part in ("first", "last"):
            student[f"preferred_{part}_name"] = (
                student.get(f"preferred_{part}_name") or student[f"legal_{part}_name"]
            )
        student["mis_id"] = student["mis_id"].lstrip("0")
    return {field: value for field, value in student.items() if value not in ("", None)}


@pytest.mark.parametrize(
    ("name", "content", "preferred_is_legal"),
    [
        ("sims.csv", exports.sims_csv(SAMPLE), False),
        ("sims dates as yyyy-mm-dd.csv", exports.sims_csv(SAMPLE, date_format="%Y-%m-%d"), False),
        ("arbor.csv", exports.arbor_csv(SAMPLE), True),
        ("arbor dd Mon yyyy.csv", exports.arbor_csv(SAMPLE, date_format="%d %b %Y"), True),
        ("bromcom.csv", exports.bromcom_csv(SAMPLE), False),
        ("bromcom dd.mm.yyyy.csv", exports.bromcom_csv(SAMPLE, date_format="%d.%m.%Y"), False),
        ("students.xlsx", exports.students_xlsx(SAMPLE), False),
    ],
)
def test_each_mis_export_reads_back_as_the_students_it_was_made_from(
    tmp_path, name, content, preferred_is_legal
):
    path = exports.save(tmp_path, name, content)
    with open_table(path, name=name) as table:
        read = as_kestrel_reads_it(table)
    expected = [as_written(student, preferred_is_legal=preferred_is_legal) for student in SAMPLE]
    assert read == expected


def test_a_staff_list_reads_back_through_the_staff_columns(tmp_path):
    staff = [
        {"first_name": "Wendy", "last_name": "Abbott", "email": "Wendy.Abbott@example.org",
         "job_title": "SENCO", "access_level": "Pastoral", "key_holder": False,
         "alert_groups": ["Pastoral", "SEN"]},
        {"first_name": "Chloé", "last_name": "Ruiz Nuñez", "email": "chloe.kelan@example.org",
         "job_title": "DSL", "access_level": "DSL team", "key_holder": True, "alert_groups": []},
    ]  # fmt: skip
    for full_name in (False, True):
        content = exports.staff_csv(staff, full_name=full_name, encoding="cp1252", delimiter=";")
        path = exports.save(tmp_path, "staff.csv", content)
        with open_table(path, name="staff.csv") as table:
            mapping = columns.recognise(table.headers, columns.STAFF_FIELDS)
            assert columns.missing_required(mapping, columns.STAFF_FIELDS) == []
            rows = [
                {field: cells[index] for index, field in mapping.items()} for _, cells in table.rows
            ]
        for row, member in zip(rows, staff, strict=True):
            first, last = (
                values.split_name(row["name"])
                if full_name
                else (row["first_name"], row["last_name"])
            )
            assert (first, last) == (member["first_name"], member["last_name"])
            assert values.parse_email(row["email"]) == member["email"].lower()
            assert values.parse_bool(row["key_holder"]) is member["key_holder"]
            assert values.parse_list(row["alert_groups"]) == member["alert_groups"]
