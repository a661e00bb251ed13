"""A package as another Kestrel sends it, after its signature is checked and it is decrypted:
records.json (kestrel.transfers.schema, version 1), file.pdf and the attached files in a ZIP.
Built here so the receiving end is tested without the sending end."""

import copy
import hashlib
import io
import json
import zipfile

PDF = b"%PDF-1.7\n% the whole file as a person reads it\n%%EOF\n"
ATTACHMENT = b"%PDF-1.4\nminutes of the strategy meeting\n%%EOF\n"

INCIDENT = {
    "kind": "incident",
    "id": "incident-7",
    "occurred_at": "2025-11-03T10:15:00+00:00",
    "recorded_at": "2025-11-03T12:40:00+00:00",
    "author": {"name": "Rhiannon Price", "role": "Class teacher"},
    "categories": ["Neglect", "Physical abuse > Bruising"],
    "text": "Hannah arrived hungry and with a bruise on her left forearm.",
    "child_words": "Mum's boyfriend grabbed me.",
    "present": "Teaching assistant",
    "linked_from": "",
    "note": "",
    "markers": [{"number": 1, "view": "front", "x": 0.3, "y": 0.5, "note": "Bruise, 3 cm"}],
    "corrections": [
        {
            "at": "2025-11-04T09:00:00+00:00",
            "author": "Rhiannon Price",
            "text": "Hannah arrived hungry and with a bruise on her left upper arm.",
            "occurred_at": None,
            "reason": "Wrong place on the arm",
        }
    ],
    "actions": [
        {
            "occurred_at": "2025-11-03T14:00:00+00:00",
            "recorded_at": "2025-11-03T14:30:00+00:00",
            "author": "Dev Patel",
            "text": "Referred to children's social care.",
            "child_words": "",
            "agencies": ["Children's social care"],
        }
    ],
}

CASE_EVENT = {
    "kind": "case_event",
    "id": "case-3",
    "happened_on": "2025-11-10",
    "happened_at": "2025-11-10T12:00:00+00:00",
    "recorded_at": "2025-11-10T15:05:00+00:00",
    "author": {"name": "Dev Patel", "role": "Designated Safeguarding Lead"},
    "summary": "Child Protection Plan started (Neglect)",
    "detail": "Initial child protection conference decided on a plan.",
}


def records_json(**child) -> dict:
    """records.json for Hannah Fenton, sent by Oakfield Primary School; `child` overrides her
    details (upn, former_upns, ...)."""
    return {
        "schema": "kestrel-transfer",
        "version": 1,
        "transfer": {
            "reference": child.pop("reference", "41"),
            "sent_at": "2026-01-12T09:30:00+00:00",
            "sent_by": {"name": "Dev Patel", "role": "Designated Safeguarding Lead"},
        },
        "from_school": {
            "name": "Oakfield Primary School",
            "urn": "100001",
            "address": child.pop("address", "https://oakfield.kestrel.example"),
        },
        "to_school": {"name": "Ashdown Primary School", "urn": "100002"},
        "child": {
            "legal_first_name": "Hannah",
            "legal_last_name": "Fenton",
            "preferred_first_name": "",
            "preferred_last_name": "",
            "date_of_birth": "2017-03-27",
            "upn": "",
            "former_upns": [],
            "gender": "F",
            "year_group": 3,
            "left_on": "2026-01-09",
            **child,
        },
        "key_facts": {"contacts": [], "professionals": [], "notes": ""},
        "records": [copy.deepcopy(INCIDENT), copy.deepcopy(CASE_EVENT)],
        "files": [
            {
                "name": "minutes.pdf",
                "size": len(ATTACHMENT),
                "type": "application/pdf",
                "sha256": hashlib.sha256(ATTACHMENT).hexdigest(),
                "path": "files/1-minutes.pdf",
                "record": "incident-7",
            }
        ],
    }


def package_zip(data: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("records.json", json.dumps(data))
        package.writestr("file.pdf", PDF)
        for item in data.get("files", []):
            package.writestr(item["path"], ATTACHMENT)
    return out.getvalue()


def deliver(school, **child):
    """Receives a package for `school` as the inbox does once it is checked; the Received."""
    from kestrel.transfer_pages.receiving import receive

    data = records_json(**child)
    body = package_zip(data)
    return receive(
        school=school,
        data=data,
        package=io.BytesIO(body),
        sha256=hashlib.sha256(body).hexdigest(),
    )
