import datetime
import tracemalloc

import pytest

from kestrel.roster import values
from kestrel.roster.columns import STUDENT_FIELDS
from kestrel.roster.ctf import SourceSchool, looks_like_ctf, open_ctf
from kestrel.roster.reading import Unreadable
from kestrel.roster.tests import exports

SEND_AGAIN = "Ask the pupil's previous school to send their CTF again."

PUPILS = [
    {
        "upn": "G823400100001",
        "legal_first_name": "Zoë",
        "legal_last_name": "Nuñez",
        "preferred_first_name": "Zoe",
        "preferred_last_name": "Nunez",
        "date_of_birth": datetime.date(2016, 5, 4),
        "gender": "F",
        "year_group": 3,
        "former_upns": "K823400100003 Z823400100004",
        "sen_status": "K",
        "free_school_meals": True,
        "eal": True,
        "looked_after": False,
    },
    {
        "upn": "W823400100002",
        "legal_first_name": "Is'haaq",
        "legal_last_name": "O'Brien",
        "date_of_birth": datetime.date(2020, 1, 30),
        "gender": "M",
        "year_group": 0,
        "sen_status": "E",
        "free_school_meals": False,
        "first_language": "ENB",
        "looked_after": True,
    },
    {
        # Only what every CTF has: no BasicDetails beyond its defaults, no histories.
        "upn": "N823400100005",
        "legal_first_name": "Siân",
        "legal_last_name": "Smith-Jones",
        "date_of_birth": datetime.date(2021, 11, 9),
        "gender": "F",
    },
]


def read(tmp_path, content: bytes, name: str = "ctf.xml"):
    path = exports.save(tmp_path, name, content)
    with open_ctf(path, name=name) as transfer:
        return transfer, list(transfer.pupils)


def refusal(tmp_path, content: bytes, name: str = "ctf.xml") -> str:
    path = exports.save(tmp_path, name, content)
    with pytest.raises(Unreadable) as error, open_ctf(path, name=name) as transfer:
        list(transfer.pupils)
    return str(error.value)


def test_the_source_school_and_the_files_header(tmp_path):
    transfer, _ = read(tmp_path, exports.ctf(PUPILS))
    assert transfer.source == SourceSchool(la="919", estab="2044", name="Oakfield Primary School")
    assert transfer.destination == SourceSchool(la="823", estab="4001", name="")
    assert (transfer.version, transfer.qualifier, transfer.created) == (
        "25.0",
        "partial",
        "2025-07-18T14:05:00",
    )


def test_each_pupil_as_the_texts_a_csv_row_gives(tmp_path):
    _, pupils = read(tmp_path, exports.ctf(PUPILS))
    assert pupils == [
        (
            1,
            {
                "upn": "G823400100001",
                "legal_last_name": "Nuñez",
                "legal_first_name": "Zoë",
                "preferred_last_name": "Nunez",
                "preferred_first_name": "Zoe",
                "date_of_birth": "2016-05-04",
                "gender": "F",
                "former_upns": "K823400100003 Z823400100004",
                "year_group": "3",
                "eal": "Yes",
                "looked_after": "false",
                "sen_status": "K",  # the latest of its SEN records
                "free_school_meals": "Yes",
            },
        ),
        (
            2,
            {
                "upn": "W823400100002",
                "legal_last_name": "O'Brien",
                "legal_first_name": "Is'haaq",
                "date_of_birth": "2020-01-30",
                "gender": "M",
                "year_group": "R",
                "eal": "No",  # ENB, believed to be English
                "looked_after": "true",
                "sen_status": "E",
                "free_school_meals": "No",  # eligible once, not on the file's date
            },
        ),
        (
            3,
            {
                "upn": "N823400100005",
                "legal_last_name": "Smith-Jones",
                "legal_first_name": "Siân",
                "date_of_birth": "2021-11-09",
                "gender": "F",
            },
        ),
    ]


def test_every_pupil_field_is_a_student_field(tmp_path):
    known = {field.name for field in STUDENT_FIELDS}
    _, pupils = read(tmp_path, exports.ctf(exports.sample_students(30)))
    assert {key for _, pupil in pupils for key in pupil} <= known


def test_the_same_parsers_read_a_ctf_pupil_as_a_csv_row(tmp_path):
    _, pupils = read(tmp_path, exports.ctf(PUPILS))
    first = pupils[0][1]
    assert values.parse_date(first["date_of_birth"]) == datetime.date(2016, 5, 4)
    assert values.parse_upns(first["former_upns"]) == ["K823400100003", "Z823400100004"]
    assert values.parse_year_group(first["year_group"]) == 3
    assert values.parse_year_group(pupils[1][1]["year_group"]) == 0
    assert values.parse_gender(first["gender"]) == "F"
    assert values.parse_sen(first["sen_status"]) == "K"
    assert values.parse_bool(first["free_school_meals"]) is True
    assert values.parse_bool(first["looked_after"]) is False
    assert values.parse_bool(pupils[1][1]["looked_after"]) is True


def test_an_older_ctf_gives_sex_as_gender(tmp_path):
    transfer, pupils = read(tmp_path, exports.ctf(PUPILS, version="19.0", sex_element="Gender"))
    assert transfer.version == "19.0"
    assert [pupil["gender"] for _, pupil in pupils] == ["F", "M", "F"]


def test_a_ctf_with_a_namespace_and_a_bom_is_read(tmp_path):
    content = exports.ctf(PUPILS[:1]).replace(b"<CTfile>", b'<CTfile xmlns="urn:dfe:ctf">')
    transfer, pupils = read(tmp_path, b"\xef\xbb\xbf" + content)
    assert transfer.source.name == "Oakfield Primary School"
    assert pupils[0][1]["legal_first_name"] == "Zoë"


def test_looks_like_ctf_by_its_root_element(tmp_path):
    ctf = exports.ctf(PUPILS)
    assert looks_like_ctf(exports.save(tmp_path, "a.xml", ctf))
    assert looks_like_ctf(
        exports.save(tmp_path, "b.xml", b"\xef\xbb\xbf<!-- from SIMS -->\n" + ctf)
    )
    assert looks_like_ctf(exports.save(tmp_path, "c.xml", ctf.split(b"\n", 1)[1]))
    assert looks_like_ctf(exports.save(tmp_path, "d.xml", b'<!DOCTYPE CTfile SYSTEM "x">' + ctf))
    other = b'<?xml version="1.0"?><students/>'
    assert not looks_like_ctf(exports.save(tmp_path, "e.xml", other))
    assert not looks_like_ctf(exports.save(tmp_path, "f.csv", exports.sims_csv([])))
    assert not looks_like_ctf(exports.save(tmp_path, "g.xlsx", exports.xlsx(["UPN"], [])))
    assert not looks_like_ctf(exports.save(tmp_path, "h.xml", b""))


def test_memory_does_not_grow_with_the_number_of_pupils(tmp_path):
    def peak(count: int) -> int:
        path = exports.save(tmp_path, f"{count}.xml", exports.ctf(exports.sample_students(count)))
        tracemalloc.start()
        try:
            with open_ctf(path, name=path.name) as transfer:
                for _ in transfer.pupils:
                    pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    few, many = peak(100), peak(3000)
    assert many < 1_000_000
    assert many < 2 * few + 200_000


# --- Refusals -------------------------------------------------------------------------------


def test_a_file_that_is_not_xml_is_refused(tmp_path):
    assert refusal(tmp_path, exports.sims_csv(PUPILS), name="students.csv") == (
        "“students.csv” is not a Common Transfer File: it is not XML. Upload the CTF (an .xml "
        "file) as the previous school's MIS saved it."
    )


NOT_CTF = (
    "is XML but not a Common Transfer File (it has no CTF header). Upload the CTF as the "
    "previous school's MIS saved it, or export your students as CSV."
)


def test_xml_that_is_not_a_ctf_is_refused(tmp_path):
    content = b'<?xml version="1.0"?><students><student>Zoe</student></students>'
    assert refusal(tmp_path, content, name="students.xml") == f"“students.xml” {NOT_CTF}"


def test_a_ctfile_whose_header_is_not_a_common_transfer_files_is_refused(tmp_path):
    content = exports.ctf(PUPILS).replace(b"Common Transfer File", b"Pupil Export")
    assert refusal(tmp_path, content) == f"“ctf.xml” {NOT_CTF}"


def test_a_ctfile_without_a_header_is_refused(tmp_path):
    content = b"<CTfile><CTFpupilData><Pupil><UPN>x</UPN></Pupil></CTFpupilData></CTfile>"
    assert refusal(tmp_path, content) == f"“ctf.xml” {NOT_CTF}"


def test_an_admissions_transfer_file_is_refused(tmp_path):
    content = b"<ATfile><Header><DocumentName>Admissions Data Transfer File</DocumentName>"
    content += b"</Header><ATFpupilData/></ATfile>"
    assert refusal(tmp_path, content, name="atf.xml") == (
        "“atf.xml” is an Admissions Transfer File (ATF), for pupils applying to the school, not "
        "a Common Transfer File. Import the pupils once they are on roll, from your MIS or from "
        "their CTF."
    )


DTD_REFUSED = (
    "“ctf.xml” has a document type (DTD) or entity declarations, which a Common Transfer File "
    f"never has, so Kestrel does not read it. {SEND_AGAIN}"
)


def test_entity_expansion_is_refused(tmp_path):
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE CTfile [\n<!ENTITY lol "lol">\n'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
        b"<CTfile><Header><DocumentName>&lol2;</DocumentName></Header></CTfile>"
    )
    assert refusal(tmp_path, laughs) == DTD_REFUSED


def test_an_external_entity_is_refused(tmp_path):
    content = (
        b'<?xml version="1.0"?>\n<!DOCTYPE CTfile [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        b"<CTfile><Header><DocumentName>&secret;</DocumentName></Header></CTfile>"
    )
    assert refusal(tmp_path, content) == DTD_REFUSED


def test_any_document_type_is_refused(tmp_path):
    content = exports.ctf(PUPILS).replace(
        b"<CTfile>", b'<!DOCTYPE CTfile SYSTEM "ctf.dtd">\n<CTfile>'
    )
    assert refusal(tmp_path, content) == DTD_REFUSED


def test_a_ctf_with_no_pupils_is_refused(tmp_path):
    assert refusal(tmp_path, exports.ctf([])) == (
        f"“ctf.xml” is a Common Transfer File with no pupils in it. {SEND_AGAIN}"
    )


def test_a_ctf_cut_short_is_refused_when_its_end_is_reached(tmp_path):
    content = exports.ctf(PUPILS)
    cut = content[: content.rindex(b"<Pupil>") + 40]
    line = cut.count(b"\n") + 1
    path = exports.save(tmp_path, "ctf.xml", cut)
    read_before = []
    with pytest.raises(Unreadable) as error, open_ctf(path, name="ctf.xml") as transfer:
        for position, _ in transfer.pupils:
            read_before.append(position)
    assert read_before == [1, 2]
    assert str(error.value) == (
        f"“ctf.xml” is damaged: its XML is broken at line {line}, so it may have been cut short "
        f"or edited. {SEND_AGAIN}"
    )
