"""The machine-readable part of a child's file sent from one Kestrel to another: `records.json`
in the package, version 1. A receiving Kestrel refuses a package whose schema or major version it
does not know; fields it does not know are ignored (a later minor addition reads on an older
Kestrel). Dates are ISO 8601 (`YYYY-MM-DD`), moments ISO 8601 with their UTC offset.

The package (before it is encrypted and signed, kestrel.transfer_pages.package; the envelope
around it is described in kestrel.transfer_pages.delivery) is a ZIP:

    records.json             this document
    file.pdf                 the whole-file export (kestrel.exports), as a person reads it
    files/<n>-<name>         each attached file, `n` its position in `files` below

records.json:

    {
      "schema": "kestrel-transfer",
      "version": 1,
      "transfer": {"reference": "<the sender's id for the transfer>", "sent_at": "<moment>",
                   "sent_by": {"name": "...", "role": "..."}},
      "from_school": {"name": "...", "urn": "...", "address": "<its Kestrel's SITE_URL>"},
      "to_school": {"name": "...", "urn": "..."},
      "child": {"legal_first_name": "...", "legal_last_name": "...",
                "preferred_first_name": "...", "preferred_last_name": "...",
                "date_of_birth": "<date>", "upn": "...", "former_upns": ["..."],
                "gender": "F|M|U|", "year_group": <int>, "left_on": "<date>"},
      "key_facts": {"contacts": [{"name", "relationship", "parental_responsibility": <bool>,
                                  "phone", "address", "email", "do_not_contact": <bool>,
                                  "do_not_contact_reason", "priority": <int, 1 first>}],
                    "professionals": [{"role": "<its label>", "name", "organisation", "phone",
                                       "email"}],
                    "notes": "..."},
                   (the contacts and professionals still involved, as the front sheet shows them)
      "records": [<record>, ...],          oldest first
      "files": [{"name": "...", "size": <bytes>, "type": "<MIME type>", "sha256": "...",
                 "path": "files/<n>-<name>", "record": "<id of its record>",
                 "uploaded_sha256": "<as recorded when uploaded>", "uploaded_at": "<moment>"}]
    }

`sha256` is the digest of the file as it is in the package (the receiving Kestrel checks it);
`uploaded_sha256` the one recorded at upload (they differ only if the stored file changed since).
A file missing from the sender's storage is listed with `"missing": true` and an empty path.

A record is one of:

    {"kind": "incident", "id": "incident-<n>", "occurred_at": "<moment>",
     "recorded_at": "<moment>", "author": {"name": "...", "role": "..."},
     "categories": ["Category", "Category: Subcategory", ...],   as the pages show them
     "agencies": ["..."],
     "whole": <bool: false on a linked entry whose account is not shared with this child>,
     "text": "...", "child_words": "...", "present": "...",      empty when not `whole`
     "linked_from": "<the other child's name, when the entry is theirs>" | "",
     "note": "<the note for this child, on a linked entry>",
     "markers": [{"number": 1, "view": "front|back", "x": <0-1>, "y": <0-1>,
                  "site", "size", "shape", "colour", "broken": "yes|no|unknown|",
                  "swelling": "yes|no|unknown|", "note": "<those details as one line>"}],
     "corrections": [{"at": "<moment>", "author": "...", "text": "...",
                      "occurred_at": "<moment>" | null, "reason": "..."}],
     "actions": [{"occurred_at": "<moment>", "recorded_at": "<moment>", "author": "...",
                  "text": "...", "child_words": "...", "agencies": ["..."]}]}

    {"kind": "case_event", "id": "case-<n>", "happened_on": "<date>", "happened_at": "<moment>",
     "recorded_at": "<moment>", "author": {"name": "...", "role": "..."},
     "summary": "...", "detail": "...",
     "source_school": "<the school it came from, on a record received from an earlier school>"}

Only the receiving Kestrel reads it, and only after checking the package's signature.
"""

SCHEMA = "kestrel-transfer"
VERSION = 1
RECORD_KINDS = ("incident", "case_event")


class SchemaError(ValueError):
    """The package's records.json is not one this Kestrel can read."""


def check(data) -> dict:
    """Returns `data` if it is a version of the schema this Kestrel reads; raises SchemaError
    saying what is wrong otherwise."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise SchemaError("This is not a Kestrel transfer package.")
    version = data.get("version")
    if not isinstance(version, int) or version > VERSION or version < 1:
        raise SchemaError(
            f"This package is version {version} of the transfer format; this Kestrel reads "
            f"version {VERSION}. Ask the sending school to send it on paper or by link, or update "
            "Kestrel."
        )
    for part in ("transfer", "from_school", "child"):
        if not isinstance(data.get(part), dict):
            raise SchemaError(f"The package has no {part.replace('_', ' ')}.")
    if not isinstance(data.get("records"), list):
        raise SchemaError("The package has no records.")
    for item in data["records"]:
        if not isinstance(item, dict) or item.get("kind") not in RECORD_KINDS:
            raise SchemaError("The package holds a record of a kind this Kestrel does not know.")
    return data
