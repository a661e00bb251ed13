"""School set-up → Import students through its pages (issue 20): files as SIMS, Arbor and Bromcom
export them, an Excel workbook and a Common Transfer File previewed as the students they hold;
every whole-file refusal with the message the administrator sees on the upload form, and every
row refusal with its row number and reason in the preview; the columns screen, remembered per
school; Hide Names in the preview; and the nightly `import_roster` command."""

import datetime
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from kestrel.roster.models import (
    RememberedColumns,
    RosterImport,
    RosterRow,
    State,
    UploadChunk,
)
from kestrel.roster.tests import exports
from kestrel.roster.work import CTF_FORMAT
from kestrel.students.models import Student
from kestrel.students.names import MASK
from kestrel.students.upn import make_upn
from kestrel.testing.auth import sign_in_fully
from kestrel.testing.factories import StudentFactory

EXPORT_AGAIN = (
    "Export the students from your MIS as CSV (comma separated) or Excel (.xlsx) and try again."
)


@pytest.fixture
def admin(people, signed_in):
    return signed_in(people.admin)


@pytest.fixture
def upload(admin, django_capture_on_commit_callbacks):
    """Uploads a file through School set-up → Import students, as the administrator, with the
    check task run as it would be once the upload's transaction commits."""

    def send(content: bytes, name: str, *, whole=False, client=None):
        """The page the administrator is shown next (after the check, when there is one)."""
        client = client or admin
        data = {"file": SimpleUploadedFile(name, content)}
        if whole:
            data["whole_roster"] = "on"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("roster:upload", args=["students"]), data)
        if response.status_code != 302:
            return response
        return client.get(response.url, follow=True)

    return send


@pytest.fixture
def confirm(admin, django_capture_on_commit_callbacks):
    def send(roster_import, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return admin.post(
                reverse("roster:confirm", args=[roster_import.pk]),
                {name: "on" for name, ticked in fields.items() if ticked},
            )

    return send


def text_of(response) -> str:
    """The page as a person reads it: tags gone, entities decoded, spaces squeezed."""
    page = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(page))


def table_rows(response, outcome: str) -> list[list[str]]:
    """The cells (as text) of each row of one of the preview's tables: refused, new, changed,
    leaving or held."""
    page = response.content.decode()
    rows = re.findall(rf'<tr class="govuk-table__row" id="{outcome}-\d+">(.*?)</tr>', page, re.S)
    return [
        [
            re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", cell))).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in rows
    ]


def latest() -> RosterImport:
    return RosterImport.objects.order_by("-pk").first()


# --- Files as each MIS exports them ---------------------------------------------------------

STUDENTS = exports.sample_students(12, year_groups=range(0, 7))
SERIAL_DATES = ("admission_date", "date_of_birth")


def _expected(student: dict, *, mis_id=None) -> dict:
    """What the preview keeps of a sample student (JSON), the file being read right."""
    return {
        "legal_first_name": student["legal_first_name"],
        "legal_last_name": student["legal_last_name"],
        "preferred_first_name": student["preferred_first_name"],
        "preferred_last_name": "",
        "date_of_birth": student["date_of_birth"].isoformat(),
        "upn": student["upn"],
        "mis_id": mis_id or student["mis_id"],
        "year_group": student["year_group"],
        "tutor_group": student["tutor_group"],
        "gender": student["gender"],
        "admission_date": student["admission_date"].isoformat(),
        "sen_status": student["sen_status"],
        "pupil_premium": student["pupil_premium"],
        "free_school_meals": student["free_school_meals"],
        "eal": student["eal"],
        "looked_after": student["looked_after"],
    }


MIS_FILES = {
    "SIMS (UTF-8 with BOM, dd/mm/yyyy)": (
        lambda: exports.sims_csv(STUDENTS),
        "sims.csv",
        "CSV (UTF-8)",
        lambda student: student["mis_id"],
    ),
    "Arbor (ISO dates, legal and everyday names)": (
        lambda: exports.arbor_csv(STUDENTS),
        "arbor.csv",
        "CSV (UTF-8)",
        lambda student: student["mis_id"].lstrip("0"),
    ),
    "Bromcom (Windows-1252, semicolons)": (
        lambda: exports.bromcom_csv(STUDENTS),
        "bromcom.csv",
        "CSV (Windows-1252)",
        lambda student: student["mis_id"],
    ),
    "Excel (.xlsx, dates as serial numbers)": (
        lambda: exports.students_xlsx(STUDENTS, serial_dates=SERIAL_DATES),
        "students.xlsx",
        "Excel (.xlsx)",
        lambda student: student["mis_id"],
    ),
}


@pytest.mark.parametrize("mis", MIS_FILES, ids=list(MIS_FILES))
def test_each_mis_export_previews_its_students_as_they_are_in_the_mis(upload, mis):
    build, name, file_format, mis_id = MIS_FILES[mis]
    response = upload(build(), name)
    roster_import = latest()
    assert roster_import.state == State.PREVIEW, roster_import.message
    assert roster_import.file_format == file_format
    assert response.request["PATH_INFO"] == reverse("roster:detail", args=[roster_import.pk])
    counts = roster_import.counts
    assert (counts["rows"], counts["new"], counts["refused"], counts["held"]) == (12, 12, 0, 0)

    rows = RosterRow.objects.filter(roster_import=roster_import).order_by("row")
    assert [row.row for row in rows] == list(range(2, 14))  # the header is row 1
    for row, student in zip(rows, STUDENTS, strict=True):
        values = {name: row.values.get(name) for name in _expected(student)}
        assert values == _expected(student, mis_id=mis_id(student)), row.row

    page = text_of(response)
    assert f"{file_format}" in page and "Check the import" in page
    for student in STUDENTS:  # accents read right whatever the encoding
        preferred = student["preferred_first_name"] or student["legal_first_name"]
        assert f"{preferred} {student['legal_last_name']}" in page
    assert not Student.objects.exists()  # nothing changes before confirming
    assert not UploadChunk.objects.exists()  # the file is gone once checked


def test_a_ctf_previews_its_pupils_as_new_and_records_their_previous_school(
    upload, confirm, school
):
    pupils = exports.sample_students(4, start=300, year_groups=[3])
    # One of them is already a student (her UPN): her previous school is not touched.
    known = StudentFactory(
        school=school,
        upn=pupils[0]["upn"],
        legal_first_name=pupils[0]["legal_first_name"],
        legal_last_name=pupils[0]["legal_last_name"],
        date_of_birth=pupils[0]["date_of_birth"],
        year_group=3,
        tutor_group="3A",
    )
    source = "Oakfield Primary School (919/2044)"
    # Ticked "every student on roll" by mistake: a CTF never makes anyone leave.
    response = upload(exports.ctf(pupils), "ctf-from-oakfield.xml", whole=True)
    roster_import = latest()
    assert roster_import.state == State.PREVIEW, roster_import.message
    assert (roster_import.file_format, roster_import.source_school) == (CTF_FORMAT, source)
    assert roster_import.whole_roster is False
    counts = roster_import.counts
    assert (counts["new"], counts["leaving"], counts["refused"]) == (3, 0, 0)
    assert counts["new"] + counts["changed"] + counts["unchanged"] == 4
    page = text_of(response)
    assert f"{CTF_FORMAT}, from {source}" in page
    new = table_rows(response, "new")
    assert [cells[1] for cells in new] == [
        f"{pupil['preferred_first_name'] or pupil['legal_first_name']} {pupil['legal_last_name']}"
        for pupil in pupils[1:]
    ]

    confirm(roster_import)
    roster_import.refresh_from_db()
    assert roster_import.state == State.DONE
    joiners = Student.objects.filter(upn__in=[pupil["upn"] for pupil in pupils[1:]])
    assert joiners.count() == 3
    assert set(joiners.values_list("previous_school", flat=True)) == {source}
    assert set(joiners.values_list("year_group", flat=True)) == {3}
    known.refresh_from_db()
    assert known.previous_school == ""


# --- Whole files refused ---------------------------------------------------------------------

CTF_WITH_DTD = exports.ctf(
    exports.sample_students(1),
    declaration='<?xml version="1.0"?>\n<!DOCTYPE CTfile [<!ENTITY school "Oakfield">]>\n',
)
NOT_A_CTF = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Students><Student><UPN>A823400100001</UPN>'
    b"<Surname>Nu\xc3\xb1ez</Surname></Student></Students>\n"
)
WHOLE_FILE_REFUSALS = {
    "a PDF": (
        exports.pdf(),
        "roll.pdf",
        f"“roll.pdf” is a PDF document, not a CSV or Excel file. {EXPORT_AGAIN}",
    ),
    "an old .xls": (
        exports.old_xls(),
        "roll.xls",
        "“roll.xls” is an Excel 97-2003 workbook (.xls), which Kestrel cannot read. Open it in "
        "Excel and save it as Excel Workbook (.xlsx) or CSV, then try again.",
    ),
    "a password-protected .xlsx": (
        exports.password_protected_xlsx(),
        "roll.xlsx",
        "“roll.xlsx” is protected with a password, so Kestrel cannot read it. Open it in Excel, "
        "remove the password (File, Info, Protect Workbook), save it and try again; or export "
        "the students again without a password.",
    ),
    "a file of blank lines": (
        b"\r\n\r\n  \r\n",
        "roll.csv",
        "“roll.csv” is empty. Export the students from your MIS again, check the file has "
        "their rows, and try again.",
    ),
    "XML that is not a CTF": (
        NOT_A_CTF,
        "students.xml",
        "“students.xml” is an XML or web page file, not a CSV or Excel file, and not a Common "
        f"Transfer File. {EXPORT_AGAIN}",
    ),
    "a CTF with a DTD": (
        CTF_WITH_DTD,
        "ctf.xml",
        "“ctf.xml” has a document type (DTD) or entity declarations, which a Common Transfer "
        "File never has, so Kestrel does not read it. Ask the pupil's previous school to send "
        "their CTF again.",
    ),
}


@pytest.mark.parametrize("case", WHOLE_FILE_REFUSALS, ids=list(WHOLE_FILE_REFUSALS))
def test_a_refused_file_shows_why_on_the_upload_form_and_keeps_nothing(upload, school, case):
    StudentFactory(school=school)
    content, name, message = WHOLE_FILE_REFUSALS[case]
    response = upload(content, name, whole=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == reverse("roster:upload", args=["students"])
    page = text_of(response)
    assert "There is a problem" in page
    assert page.count(message) == 2, page  # in the error summary and by the file box
    assert Student.objects.count() == 1
    assert not UploadChunk.objects.exists()
    assert not RosterRow.objects.exists()
    refused = RosterImport.objects.get()
    assert (refused.state, refused.message) == (State.REFUSED, message)


def test_an_empty_file_is_refused_on_the_upload_form_saying_what_to_do(upload, admin):
    response = upload(b"", "roll.csv", whole=True)
    page = text_of(response)
    assert response.status_code == 200 and "There is a problem" in page
    message = (
        "“roll.csv” is empty. Export the students from your MIS again, check the file has "
        "their rows, and try again."
    )
    assert page.count(message) == 2, page
    assert not Student.objects.exists()
    assert not UploadChunk.objects.exists()
    assert RosterImport.objects.get().state == State.REFUSED

    # No file chosen at all.
    nothing = admin.post(reverse("roster:upload", args=["students"]), {"whole_roster": "on"})
    assert text_of(nothing).count("Select the file to import.") == 2
    assert RosterImport.objects.count() == 1


# --- Rows refused ----------------------------------------------------------------------------


def test_each_refused_row_shows_its_row_number_and_reason(upload, confirm):
    today = datetime.date.today()
    good, other, *rest = exports.sample_students(8, start=50, year_groups=[4])
    wrong_letter = "A" if good["upn"][0] != "A" else "B"
    rows = [
        good,
        {**other, "upn": wrong_letter + other["upn"][1:]},
        {**rest[0], "upn": good["upn"]},  # the same UPN as row 2
        {**rest[1], "legal_first_name": ""},
        {**rest[2], "date_of_birth": today + datetime.timedelta(days=1)},
        {**rest[3], "date_of_birth": datetime.date(1989, 12, 31)},
        {**rest[4], "year_group": 14},
        rest[5],
    ]
    response = upload(exports.sims_csv(rows), "roll.csv")
    roster_import = latest()
    assert roster_import.counts["refused"] == 6 and roster_import.counts["new"] == 2
    refused = {cells[0]: cells[2] for cells in table_rows(response, "refused")}
    assert refused == {
        "3": f"UPN: “{wrong_letter + other['upn'][1:]}”: This UPN's check letter does not "
        "match its digits. Check it against the MIS.",
        "4": f"UPN {good['upn']} is also on row 2.",
        "5": "Legal first name is missing.",
        "6": f"Date of birth {today + datetime.timedelta(days=1):%d/%m/%Y} is in the future.",
        "7": "Date of birth 31/12/1989 is before 1990: check it in the MIS.",
        "8": "Year group: “14” is not a year group Kestrel has. Write Nursery (or N1, N2), "
        "Reception (or R), or a year from 1 to 13 (for example 7 or Year 7).",
    }
    page = text_of(response)
    assert "Refused rows (6)" in page
    assert "Import the other rows, leaving out the 6 refused rows" in page

    # Confirming without saying so imports nothing; saying so imports the two good rows.
    refused_once = confirm(roster_import)
    assert refused_once.status_code == 400
    assert not Student.objects.exists()
    confirm(roster_import, leave_out_refused=True)
    assert set(Student.objects.values_list("upn", flat=True)) == {good["upn"], rest[5]["upn"]}


# --- The columns screen ----------------------------------------------------------------------

SIMS_FIELDS = [field for _, field, _ in exports.sims_columns()]


def _with_columns(students, extra: dict[str, str]) -> bytes:
    """A SIMS file whose columns are renamed (SIMS header -> the header written instead), and
    a House column Kestrel does not know."""
    headers, rows = exports.rows_for(exports.sims_columns(), students)
    headers = [extra.get(header, header) for header in headers] + ["House"]
    rows = [[*row, "Kingfisher"] for row in rows]
    return exports.csv_bytes(headers, rows, encoding="utf-8-sig")


def _columns_form(response) -> dict[str, str]:
    """The columns form's choices as the page has them selected, by column heading."""
    page = response.content.decode()
    chosen = {}
    for name, body in re.findall(r'<select name="(column_\d+)"[^>]*>(.*?)</select>', page, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        chosen[name] = selected.group(1) if selected else ""
    return chosen


def test_unknown_columns_are_matched_on_the_columns_screen_and_remembered_for_the_school(
    upload, admin, people, django_capture_on_commit_callbacks
):
    students = exports.sample_students(3, start=70)
    renamed = {"Legal Surname": "Nom de famille"}
    response = upload(_with_columns(students, renamed), "roll.csv")
    roster_import = latest()
    assert roster_import.state == State.COLUMNS
    assert response.request["PATH_INFO"] == reverse("roster:columns", args=[roster_import.pk])
    page = text_of(response)
    assert "Match the columns" in page
    headers = roster_import.headers
    surname, house = headers.index("Nom de famille"), headers.index("House")
    chosen = _columns_form(response)
    assert chosen[f"column_{surname}"] == chosen[f"column_{house}"] == ""
    assert chosen[f"column_{headers.index('DOB')}"] == "date_of_birth"

    # "Do not import" for both: the legal surname is required.
    columns_url = reverse("roster:columns", args=[roster_import.pk])
    missing = admin.post(columns_url, chosen)
    assert missing.status_code == 200
    assert "Choose the column that holds legal surname." in text_of(missing)
    roster_import.refresh_from_db()
    assert roster_import.state == State.COLUMNS
    assert not RememberedColumns.objects.exists()

    chosen[f"column_{surname}"] = "legal_last_name"  # House stays "Do not import"
    with django_capture_on_commit_callbacks(execute=True):
        matched = admin.post(columns_url, chosen)
    matched = admin.get(matched.url)
    roster_import.refresh_from_db()
    assert roster_import.state == State.PREVIEW, roster_import.message
    assert roster_import.counts["new"] == 3
    assert "Check the import" in text_of(matched)
    new = RosterRow.objects.filter(roster_import=roster_import).order_by("row")
    assert [row.values["legal_last_name"] for row in new] == [
        s["legal_last_name"] for s in students
    ]
    assert all("house" not in str(row.values).lower() for row in new)

    # The next file with the same headers goes straight to its preview.
    upload(_with_columns(exports.sample_students(2, start=80), renamed), "tomorrow.csv")
    assert latest().state == State.PREVIEW
    assert latest().counts["new"] == 2

    # Another school's administrator has not matched them: the columns screen.
    other = sign_in_fully(Client(), people.other_admin)
    upload(_with_columns(students, renamed), "roll.csv", client=other)
    assert latest().state == State.COLUMNS
    assert latest().school == people.other_admin.school


# --- Hide Names ------------------------------------------------------------------------------


def test_under_hide_names_the_preview_stars_out_the_students_names(upload, admin, school):
    joiner, changed = exports.sample_students(2, start=90, year_groups=[2])
    changed_student = StudentFactory(
        school=school,
        upn=changed["upn"],
        legal_first_name=changed["legal_first_name"],
        legal_last_name=changed["legal_last_name"],
        date_of_birth=changed["date_of_birth"],
        year_group=2,
        tutor_group="2Z",
    )
    admin.post("/hide-names/", {"next": "/dashboard/"})
    response = upload(exports.sims_csv([joiner, changed]), "roll.csv")
    page = response.content.decode()
    for name in (joiner["legal_first_name"], joiner["legal_last_name"]):
        assert html.escape(name) not in page and name not in page
    for name in (changed_student.legal_first_name, changed_student.legal_last_name):
        assert html.escape(name) not in page and name not in page
    assert [cells[1] for cells in table_rows(response, "new")] == [MASK]
    assert f"Date of birth: {MASK}" in text_of(response)
    changes = table_rows(response, "changed")
    assert changes[0][1] == f"{MASK} {MASK} (2Z)"
    assert f"Registration group: 2Z → {changed['tutor_group']}" in changes[0][2]


# --- The nightly command ---------------------------------------------------------------------


def test_the_nightly_command_prints_the_preview_and_applies_it(tmp_path, school, capsys):
    on_roll = StudentFactory(school=school, upn=make_upn(823, 4001, 9, 999), year_group=5)
    students = exports.sample_students(5, start=120)
    path = exports.save(tmp_path, "nightly.csv", exports.sims_csv(students))

    call_command("import_roster", path, school=school.pk, whole_roster=True)
    printed = capsys.readouterr().out
    assert "nightly.csv (CSV (UTF-8)): 5 rows, 5 new, 0 changed, 1 leaving" in printed
    assert "Nothing was changed: run again with --apply to import." in printed
    assert Student.objects.count() == 1

    # One of one leaving is more than one in ten: the command needs --confirm-leavers.
    with pytest.raises(CommandError, match="more than one in ten, and nothing was changed"):
        call_command("import_roster", path, school=school.pk, apply=True, whole_roster=True)
    assert Student.objects.count() == 1
    call_command(
        "import_roster", path, school=school.pk, apply=True, whole_roster=True, confirm_leavers=True
    )
    assert "Imported: 5 added, 0 changed, 1 left, 0 not applied." in capsys.readouterr().out
    on_roll.refresh_from_db()
    assert on_roll.on_roll is False
    assert Student.objects.filter(on_roll=True).count() == 5
    imports = RosterImport.objects.filter(uploaded_by=None)
    assert imports.filter(state=State.DONE).count() == 1

    call_command("import_roster", path, school=school.pk, apply=True, whole_roster=True)
    printed = capsys.readouterr().out
    assert "5 rows, 0 new, 0 changed, 0 leaving, 5 unchanged" in printed
    assert "Imported: 0 added, 0 changed, 0 left, 0 not applied." in printed


def test_the_nightly_command_refuses_refused_rows_unless_told_to_leave_them_out(
    tmp_path, school, capsys
):
    good, bad = exports.sample_students(2, start=140)
    bad = {**bad, "date_of_birth": datetime.date(1985, 1, 1)}
    path = exports.save(tmp_path, "nightly.csv", exports.sims_csv([good, bad]))
    with pytest.raises(CommandError) as refused:
        call_command("import_roster", path, school=school.pk, apply=True)
    assert str(refused.value) == (
        "1 rows were refused and nothing was changed: correct them in the MIS, or run again "
        "with --leave-out-refused to import the others."
    )
    assert "row 3 refused: Date of birth 01/01/1985 is before 1990" in capsys.readouterr().out
    assert not Student.objects.exists()
    assert latest().state == State.CANCELLED
    assert not UploadChunk.objects.exists()

    call_command("import_roster", path, school=school.pk, apply=True, leave_out_refused=True)
    assert list(Student.objects.values_list("upn", flat=True)) == [good["upn"]]


def test_the_nightly_command_stops_at_columns_the_school_has_not_matched(
    tmp_path, school, upload, admin, django_capture_on_commit_callbacks
):
    students = exports.sample_students(2, start=160)
    path = exports.save(tmp_path, "nightly.csv", _with_columns(students, {}))
    with pytest.raises(CommandError, match="Kestrel does not know every column of this file"):
        call_command("import_roster", path, school=school.pk, apply=True)
    assert not Student.objects.exists()
    assert latest().state == State.CANCELLED

    # Once the administrator has matched them on the page, the nightly file goes through.
    upload(path.read_bytes(), "nightly.csv")
    roster_import = latest()
    assert roster_import.state == State.COLUMNS
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("roster:columns", args=[roster_import.pk]), _first_form(admin))
    call_command("import_roster", path, school=school.pk, apply=True)
    assert Student.objects.count() == 2


def _first_form(admin) -> dict[str, str]:
    """The columns screen of the latest import as it comes, every column left as offered."""
    return _columns_form(admin.get(reverse("roster:columns", args=[latest().pk])))
