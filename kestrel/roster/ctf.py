"""The DfE's Common Transfer File (CTF): the XML every pupil's records travel in between schools.

A CTF is read as it streams (defusedxml's iterparse, each Pupil element cleared once read), so
memory does not grow with the number of pupils. A DTD or an entity declaration is refused: a CTF
has neither, and they are how XML is made to explode in memory or read local files.

Each pupil comes out as the texts a CSV row would give for the same fields (the names of
`columns.STUDENT_FIELDS`), so one set of parsers (`values`) reads both: dates as yyyy-mm-dd,
Yes/No for free school meals, EAL and looked after, the SEN provision and sex codes as the CTF
holds them. Fields a CTF does not carry (the MIS id, the registration group, the admission and
leaving dates at this school, pupil premium) are left out, not given as empty.

The element names follow the CTF specification as public CTF readers and writers use it
(versions 12 to 25): the root CTfile; Header with DocumentName "Common Transfer File",
CTFversion, DateTime, DocumentQualifier, SourceSchool and DestSchool (LEA, Estab, SchoolName,
AcademicYear); CTFpupilData/Pupil with UPN, Surname and Forename (the legal names), DOB, and Sex
(CTF 25; Gender in earlier versions: both are read); BasicDetails with FormerUPN,
PreferredSurname, PreferredForename, NCyearActual and Languages/Type (LanguageType F is the first
language); LookedAfter/InCare; SENhistory/SEN with StartDate and SENprovision; FSMhistory/
FSMinstance with FSMstartDate and FSMendDate.
"""

import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from kestrel.roster.reading import Unreadable

DOCUMENT_NAME = "Common Transfer File"
SNIFF_BYTES = 4096
# English (ENG) and "believed to be English" (ENB) are English; "not obtained" (NOT) and
# "refused" (REF) say nothing; any other first language means English is an additional one.
ENGLISH = {"ENG", "ENB"}
LANGUAGE_UNKNOWN = {"NOT", "REF", ""}

SEND_AGAIN = "Ask the pupil's previous school to send their CTF again."


@dataclass(frozen=True)
class SourceSchool:
    la: str  # the local authority (LEA) number, e.g. "823"
    estab: str  # the establishment number, e.g. "4001"
    name: str  # the school's name; a DestSchool often has none


@dataclass(frozen=True)
class CommonTransferFile:
    source: SourceSchool
    # (the pupil's position in the file, from 1; field name -> text, as a CSV row gives it)
    pupils: Iterator[tuple[int, dict[str, str]]]
    destination: SourceSchool | None = None
    version: str = ""  # CTFversion, e.g. "25.0"
    qualifier: str = ""  # DocumentQualifier: "full" or "partial"
    created: str = ""  # the Header's DateTime, as written


_PROLOG = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml.*?\?>\s*)?(?:(?:<!--.*?-->|<\?.*?\?>)\s*)*"
    rb"(?:<!DOCTYPE\s+(?:\w+:)?(\w+)|<(?:\w+:)?(\w+))",
    re.DOTALL,
)


def looks_like_ctf(path: str | Path) -> bool:
    """A cheap look at the file's start: XML whose root element is CTfile."""
    with Path(path).open("rb") as raw:
        head = raw.read(SNIFF_BYTES)
    match = _PROLOG.match(head)
    return bool(match) and (match.group(1) or match.group(2)) == b"CTfile"


@contextmanager
def open_ctf(path: str | Path, *, name: str) -> Iterator[CommonTransferFile]:
    """Opens a Common Transfer File. Raises Unreadable for a file that is not XML, XML that is
    not a CTF, a CTF with a DTD or entity declarations, or one with no pupils; and, while the
    pupils are read, for a file that breaks off."""
    with Path(path).open("rb") as source:
        events = _events(source, name)
        header = _header(events, name)
        as_at = _date(header.findtext("DateTime", "")[:10]) or datetime.date.today()
        pupils = _pupils(events, name, as_at)
        first = next(pupils, None)
        if first is None:
            raise Unreadable(
                f"“{name}” is a Common Transfer File with no pupils in it. {SEND_AGAIN}"
            )
        yield CommonTransferFile(
            source=_school(header.find("SourceSchool")) or SourceSchool("", "", ""),
            destination=_school(header.find("DestSchool")),
            version=_text(header, "CTFversion"),
            qualifier=_text(header, "DocumentQualifier"),
            created=_text(header, "DateTime"),
            pupils=chain([first], pupils),
        )


def _events(source, name: str) -> Iterator[tuple[str, Element]]:
    """The parser's start and end events, tags without their namespace, its errors as
    Unreadable."""
    started = False
    try:
        for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                started = True
                if element.tag.startswith("{"):
                    element.tag = element.tag.split("}", 1)[1]
            yield event, element
    except DefusedXmlException:
        raise Unreadable(
            f"“{name}” has a document type (DTD) or entity declarations, which a Common "
            f"Transfer File never has, so Kestrel does not read it. {SEND_AGAIN}"
        ) from None
    except ParseError as error:
        if not started:
            raise Unreadable(
                f"“{name}” is not a Common Transfer File: it is not XML. Upload the CTF (an "
                ".xml file) as the previous school's MIS saved it."
            ) from None
        line = error.position[0]
        raise Unreadable(
            f"“{name}” is damaged: its XML is broken at line {line:,}, so it may have been cut "
            f"short or edited. {SEND_AGAIN}"
        ) from None


def _header(events: Iterator[tuple[str, Element]], name: str) -> Element:
    depth = 0
    for event, element in events:
        depth += 1 if event == "start" else -1
        if event == "start" and depth == 1:
            if element.tag == "ATfile":
                raise Unreadable(
                    f"“{name}” is an Admissions Transfer File (ATF), for pupils applying to "
                    "the school, not a Common Transfer File. Import the pupils once they are "
                    "on roll, from your MIS or from their CTF."
                )
            if element.tag != "CTfile":
                raise Unreadable(_not_ctf(name))
        elif event == "start" and depth == 2 and element.tag != "Header":
            raise Unreadable(_not_ctf(name))
        elif event == "end" and depth == 1 and element.tag == "Header":
            if _text(element, "DocumentName") != DOCUMENT_NAME:
                raise Unreadable(_not_ctf(name))
            return element
    raise Unreadable(_not_ctf(name))


def _not_ctf(name: str) -> str:
    return (
        f"“{name}” is XML but not a Common Transfer File (it has no CTF header). Upload the "
        "CTF as the previous school's MIS saved it, or export your students as CSV."
    )


def _pupils(
    events: Iterator[tuple[str, Element]], name: str, as_at: datetime.date
) -> Iterator[tuple[int, dict[str, str]]]:
    path: list[str] = ["CTfile"]  # the Header has ended: we are inside the root
    container: Element | None = None
    position = 0
    for event, element in events:
        if event == "start":
            if element.tag == "CTFpupilData" and path == ["CTfile"]:
                container = element
            path.append(element.tag)
            continue
        path.pop()
        if container is not None and element.tag == "Pupil" and path == ["CTfile", "CTFpupilData"]:
            position += 1
            yield position, _pupil(element, as_at)
            # A pupil read leaves the tree, so that it does not grow with the file.
            element.clear()
            container.remove(element)


def _pupil(pupil: Element, as_at: datetime.date) -> dict[str, str]:
    fields: dict[str, str] = {}

    def put(field: str, element: Element | None, path: str) -> None:
        if element is not None and (found := element.find(path)) is not None:
            fields[field] = (found.text or "").strip()

    put("upn", pupil, "UPN")
    put("legal_last_name", pupil, "Surname")
    put("legal_first_name", pupil, "Forename")
    put("date_of_birth", pupil, "DOB")
    put("gender", pupil, "Sex")
    if "gender" not in fields:
        put("gender", pupil, "Gender")
    details = pupil.find("BasicDetails")
    if details is not None:
        former = [(upn.text or "").strip() for upn in details.findall("FormerUPN")]
        if former:
            fields["former_upns"] = " ".join(upn for upn in former if upn)
        put("preferred_last_name", details, "PreferredSurname")
        put("preferred_first_name", details, "PreferredForename")
        put("year_group", details, "NCyearActual")
        if (eal := _eal(details)) is not None:
            fields["eal"] = eal
    put("looked_after", pupil, "LookedAfter/InCare")
    if (sen := _sen(pupil)) is not None:
        fields["sen_status"] = sen
    if (fsm := _fsm(pupil, as_at)) is not None:
        fields["free_school_meals"] = fsm
    return fields


def _eal(details: Element) -> str | None:
    for language in details.findall("Languages/Type"):
        if _text(language, "LanguageType").upper() == "F":
            code = _text(language, "Language").upper()
            if code in LANGUAGE_UNKNOWN:
                return None
            return "No" if code in ENGLISH else "Yes"
    return None


def _sen(pupil: Element) -> str | None:
    """The SEN provision of the latest SEN record in the pupil's history."""
    records = pupil.findall("SENhistory/SEN")
    if not records:
        return None
    latest = max(enumerate(records), key=lambda pair: (_text(pair[1], "StartDate"), pair[0]))
    return _text(latest[1], "SENprovision")


def _fsm(pupil: Element, as_at: datetime.date) -> str | None:
    """Eligible for free school meals on the file's date: an FSM instance started by then and
    not ended before it."""
    history = pupil.find("FSMhistory")
    if history is None:
        return None
    for instance in history.findall("FSMinstance"):
        start = _date(_text(instance, "FSMstartDate"))
        end = _date(_text(instance, "FSMendDate"))
        if (start is None or start <= as_at) and (end is None or end >= as_at):
            return "Yes"
    return "No"


def _school(element: Element | None) -> SourceSchool | None:
    if element is None:
        return None
    return SourceSchool(
        la=_text(element, "LEA"), estab=_text(element, "Estab"), name=_text(element, "SchoolName")
    )


def _text(element: Element, path: str) -> str:
    return (element.findtext(path) or "").strip()


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None
