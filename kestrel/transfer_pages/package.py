"""The package of a child's file sent to a school on Kestrel, before it is encrypted and signed:
a ZIP of `records.json` (kestrel.transfers.schema, version 1), `file.pdf` (the whole-file export)
and `files/<n>-<name>` (the attached files).

The records are read through the export's own selectors (kestrel.exports.selectors), as the DSL
who sends the file may see them: the package holds no more than the PDF beside it. Files are
streamed from storage into the ZIP, which is written to a temporary file, never held whole.
"""

import hashlib
import json
import re
import zipfile
from pathlib import PurePosixPath
from typing import BinaryIO

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from kestrel.access.policies import Viewer
from kestrel.casefile import selectors as casefile
from kestrel.exports import selectors, storage
from kestrel.transfers import schema

RECORDS = "records.json"
PDF = "file.pdf"
FILES = "files/"
PIECE = 1024 * 1024
# What a receiving Kestrel reads of a package before trusting its size: records.json is text
# (500 entries are a few megabytes), and no more than this many files.
RECORDS_MAX_BYTES = 64 * 1024 * 1024
FILES_MAX = 10_000
UNPACKED_MAX_BYTES = 8 * 1024**3
NOT_IN_NAMES = re.compile(r"[\x00-\x1f\x7f/\\]")


class PackageError(ValueError):
    """A package that is not laid out as this version says; the message says how, plainly."""


def _moment(value) -> str | None:
    return value.isoformat() if value else None


def _day(value) -> str | None:
    return value.isoformat() if value else None


def _file_name(number: int, original: str) -> str:
    base = PurePosixPath(original.replace("\\", "/")).name
    base = NOT_IN_NAMES.sub("", base).strip(". ") or "file"
    return f"{FILES}{number}-{base[:150]}"


def _author(text: str, role: str = "") -> dict:
    return {"name": text, "role": role}


def _marker(marker) -> dict:
    details = [
        ("Site", marker.site),
        ("Size", marker.size),
        ("Shape", marker.shape),
        ("Colour", marker.colour),
        ("Skin broken", marker.get_broken_display() if marker.broken else ""),
        ("Swelling", marker.get_swelling_display() if marker.swelling else ""),
    ]
    return {
        "number": marker.number,
        "view": marker.side,
        "x": marker.x,
        "y": marker.y,
        "site": marker.site,
        "size": marker.size,
        "shape": marker.shape,
        "colour": marker.colour,
        "broken": marker.broken,
        "swelling": marker.swelling,
        "note": ". ".join(f"{label}: {value}" for label, value in details if value),
    }


def _incident(item: selectors.Entry) -> dict:
    incident = item.incident
    author = incident.written_by
    return {
        "kind": "incident",
        "id": f"incident-{incident.pk}",
        "occurred_at": _moment(incident.occurred_at),
        "recorded_at": _moment(incident.recorded_at),
        "author": _author(author.name, author.job_title),
        "categories": incident.category_labels,
        "agencies": incident.agency_names,
        "whole": item.whole,
        "text": item.text,
        "child_words": item.child_words,
        "present": item.present,
        "linked_from": item.linked_from,
        "note": item.note,
        "markers": [_marker(marker) for marker in item.markers],
        "corrections": [
            {
                "at": _moment(correction["at"]),
                "author": correction["author"],
                "text": correction["text"],
                "occurred_at": _moment(correction["occurred_at"]),
                "reason": correction["reason"],
            }
            for correction in item.corrections
        ],
        "actions": [
            {
                "occurred_at": _moment(action["occurred_at"]),
                "recorded_at": _moment(action["recorded_at"]),
                "author": action["author"],
                "text": action["text"],
                "child_words": action["child_words"],
                "agencies": action["agencies"],
            }
            for action in item.actions
        ],
    }


def _case_event(event) -> dict:
    return {
        "kind": "case_event",
        "id": f"case-{event.pk}",
        "happened_on": _day(event.happened_on),
        "happened_at": _moment(event.happened_at),
        "recorded_at": _moment(event.recorded_at),
        "author": _author(event.author_name, event.author_role),
        "summary": event.summary,
        "detail": event.detail,
        # Records this school received from an earlier school keep that school's name.
        "source_school": event.source_school,
    }


def _key_facts(student, redaction) -> dict:
    sheet = selectors.key_facts(student, redaction)
    return {
        "contacts": [
            {
                "name": contact.name,
                "relationship": contact.relationship,
                "parental_responsibility": contact.parental_responsibility,
                "phone": contact.phone,
                "address": contact.address,
                "email": contact.email,
                "do_not_contact": contact.do_not_contact,
                "do_not_contact_reason": contact.do_not_contact_reason,
                "priority": contact.priority,
            }
            for contact in sheet.contacts
        ],
        "professionals": [
            {
                "role": professional.role_label,
                "name": professional.name,
                "organisation": professional.organisation,
                "phone": professional.phone,
                "email": professional.email,
            }
            for professional in sheet.professionals
        ],
        "notes": sheet.notes.text if sheet.notes else "",
    }


def _child(student, left_on) -> dict:
    return {
        "legal_first_name": student.legal_first_name,
        "legal_last_name": student.legal_last_name,
        "preferred_first_name": student.preferred_first_name,
        "preferred_last_name": student.preferred_last_name,
        "date_of_birth": _day(student.date_of_birth),
        "upn": student.upn,
        "former_upns": student.former_upns.split(),
        "gender": student.gender,
        "year_group": student.year_group,
        "left_on": _day(left_on or student.left_on),
    }


def records(transfer, actor, *, to_name: str, to_urn: str) -> tuple[dict, list[dict]]:
    """records.json for the transfer as `actor` may see the child's file, and the attached files
    to copy into the package (each with its path there)."""
    student = transfer.student
    viewer = Viewer.acting(actor)
    redaction = selectors.Redaction(student, redacted=False)
    timeline, files = [], []
    for batch in selectors.incident_batches(selectors.visible_incidents(viewer, student)):
        for incident in batch:
            item = selectors.entry(incident, student, redaction)
            timeline.append((incident.occurred_at, 0, _incident(item)))
            for attached in item.files:
                path = _file_name(len(files) + 1, attached["original_name"])
                files.append(
                    {
                        "name": attached["original_name"],
                        "size": attached["size"],
                        "type": attached["type"],
                        "uploaded_sha256": attached["sha256"],
                        "uploaded_at": _moment(attached["uploaded_at"]),
                        "path": path,
                        "record": f"incident-{incident.pk}",
                        "stored_name": attached["stored_name"],
                    }
                )
    timeline += [
        (event.happened_at, 1, _case_event(event))
        for event in reversed(casefile.case_events(viewer, student))
    ]
    # Oldest first; a case entry after an incident of the same moment (it was written about it).
    timeline.sort(key=lambda row: row[:2])
    school = transfer.school
    data = {
        "schema": schema.SCHEMA,
        "version": schema.VERSION,
        "transfer": {
            "reference": str(transfer.pk),
            "sent_at": _moment(timezone.now()),
            "sent_by": {"name": actor.full_name, "role": actor.job_title},
        },
        "from_school": {"name": school.name, "urn": school.urn, "address": settings.SITE_URL},
        "to_school": {"name": to_name, "urn": to_urn},
        "child": _child(student, transfer.left_on),
        "key_facts": _key_facts(student, redaction),
        "records": [row[2] for row in timeline],
        "files": [],
    }
    return data, files


def write(data: dict, files: list[dict], export, out: BinaryIO) -> dict:
    """Writes the package into `out`: the attached files (their digests as copied now, and as
    recorded at upload), the export's PDF, then records.json. Returns records.json as written."""
    listed = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as bundle:
        for file in files:
            public = {key: value for key, value in file.items() if key != "stored_name"}
            if not default_storage.exists(file["stored_name"]):
                listed.append({**public, "path": "", "sha256": "", "missing": True})
                continue
            digest, size = hashlib.sha256(), 0
            with (
                default_storage.open(file["stored_name"], "rb") as source,
                bundle.open(file["path"], "w", force_zip64=True) as target,
            ):
                for piece in iter(lambda source=source: source.read(PIECE), b""):
                    digest.update(piece)
                    size += len(piece)
                    target.write(piece)
            listed.append({**public, "size": size, "sha256": digest.hexdigest()})
        with bundle.open(PDF, "w", force_zip64=True) as target:
            for piece in storage.pieces(export.stored_name):
                target.write(piece)
        data = {**data, "files": listed}
        bundle.writestr(RECORDS, json.dumps(data, ensure_ascii=False, indent=1))
    return data


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and "\\" not in name
        and (name in (RECORDS, PDF) or (name.startswith(FILES) and len(path.parts) == 2))
    )


def read(package: BinaryIO) -> dict:
    """The package's records.json, checked: laid out as this version says, readable by this
    Kestrel (kestrel.transfers.schema.check), and every file it lists present with its digest.
    PackageError (or schema.SchemaError) says what is wrong."""
    try:
        bundle = zipfile.ZipFile(package)
    except zipfile.BadZipFile:
        raise PackageError("The package is not a ZIP file.") from None
    with bundle:
        entries = {info.filename: info for info in bundle.infolist()}
        if len(entries) > FILES_MAX + 2:
            raise PackageError("The package holds too many files.")
        if sum(info.file_size for info in entries.values()) > UNPACKED_MAX_BYTES:
            raise PackageError("The package unpacks to more than this Kestrel takes.")
        unsafe = [name for name in entries if not _safe(name)]
        if unsafe:
            raise PackageError("The package holds a file outside its layout.")
        if RECORDS not in entries:
            raise PackageError("The package has no records.json.")
        if entries[RECORDS].file_size > RECORDS_MAX_BYTES:
            raise PackageError("The package's records.json is too large.")
        try:
            with bundle.open(RECORDS) as source:
                data = json.loads(source.read(RECORDS_MAX_BYTES + 1))
        except (ValueError, UnicodeDecodeError):
            raise PackageError("The package's records.json is not JSON.") from None
        data = schema.check(data)
        files = data.get("files", [])
        if not isinstance(files, list):
            raise PackageError("The package's list of files is not a list.")
        for file in files:
            if not isinstance(file, dict) or file.get("missing"):
                continue
            path = file.get("path")
            if path not in entries or path in (RECORDS, PDF):
                raise PackageError("A file the package lists is not in it.")
            digest = hashlib.sha256()
            with bundle.open(path) as source:
                for piece in iter(lambda source=source: source.read(PIECE), b""):
                    digest.update(piece)
            if digest.hexdigest() != file.get("sha256"):
                raise PackageError("A file in the package does not match its digest.")
    return data
