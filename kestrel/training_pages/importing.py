"""Training records from a CSV or Excel file: read with the roster's reader
(kestrel.roster.reading), columns recognised by their headers (kestrel.roster.columns), cells
read by the roster's parsers (dates day first, emails, names), and each row judged: new, already
recorded, or refused with its reason. Nothing is added until the preview is confirmed
(kestrel.training.services.confirm_import), and every refused row is kept with its cells."""

import datetime
import hashlib
import tempfile
from pathlib import Path

from django.utils import timezone

from kestrel.forms import EARLIEST_DATE
from kestrel.roster.columns import Field, missing_required, normalise, recognise
from kestrel.roster.reading import Unreadable, open_table
from kestrel.roster.values import parse_date, parse_email, split_name
from kestrel.training import selectors, services
from kestrel.training.models import course_key

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


def _names(*headers: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalise(header) for header in headers))


FIELDS = (
    Field(
        "email",
        "Email address",
        _names("Email", "Email Address", "E-mail", "Work Email", "Staff Email", "School Email"),
    ),
    Field(
        "name",
        "Name",
        _names("Name", "Full Name", "Staff Name", "Staff Member", "Employee", "Delegate"),
        instead_of=("first_name", "last_name"),
    ),
    Field("first_name", "First name", _names("First Name", "Forename", "Firstname")),
    Field("last_name", "Last name", _names("Last Name", "Surname", "Lastname")),
    Field(
        "course",
        "Course",
        _names("Course", "Course Name", "Course Title", "Training", "Training Course", "Module"),
        required=True,
    ),
    Field(
        "completed_on",
        "Date completed",
        _names(
            "Date",
            "Date Completed",
            "Completed",
            "Completed On",
            "Completion Date",
            "Date of Training",
            "Training Date",
            "Date Attended",
        ),
        required=True,
    ),
    Field(
        "provider",
        "Provider",
        _names("Provider", "Training Provider", "Delivered By", "Trainer", "Organisation"),
    ),
)
EXAMPLE = "Email, Course, Date completed, Provider"


class FileRefused(Exception):
    """The whole file is refused; str(error) says what is wrong and what to do."""


def start_import(*, actor, upload, request=None):
    """Reads an uploaded file and keeps its rows, judged, as an import waiting to be confirmed.
    Raises FileRefused (keeping nothing) for a file that cannot be read or lacks a column."""
    if upload.size > MAX_BYTES:
        raise FileRefused(
            f"“{upload.name}” is larger than 5 MB, more than any training list: check it is the "
            "right file."
        )
    with tempfile.TemporaryDirectory(prefix="kestrel-training-") as folder:
        path = Path(folder) / "upload"
        digest = hashlib.sha256()
        with path.open("wb") as out:
            for chunk in upload.chunks():
                digest.update(chunk)
                out.write(chunk)
        try:
            with open_table(path, name=upload.name) as table:
                mapping = _columns(table.headers, upload.name)
                rows = _judged(actor.school, mapping, table.rows, upload.name)
                if not rows:
                    raise FileRefused(
                        f"“{upload.name}” has a header row but no rows of training under it."
                    )
                file_format, headers = table.format, table.headers
        except Unreadable as error:
            raise FileRefused(_about_training(str(error))) from None
    return services.save_import(
        actor=actor,
        school=actor.school,
        file_name=upload.name,
        sha256=digest.hexdigest(),
        file_format=file_format,
        headers=headers,
        rows=rows,
        request=request,
    )


def _about_training(message: str) -> str:
    """The roster reader speaks of students: this file is a training list."""
    return message.replace("Export the students from your MIS", "Save the training list").replace(
        "the students' details (names, date of birth, UPN, year and registration group and the "
        "like)",
        "the staff member, course, date and provider",
    )


def _columns(headers: list[str], name: str) -> dict[str, int]:
    mapping = recognise(headers, FIELDS)
    missing = [field.label for field in missing_required(mapping, FIELDS)]
    names = set(mapping.values())
    if not ({"email", "name"} & names or {"first_name", "last_name"} <= names):
        missing.insert(0, "Email address (or Name)")
    if missing:
        raise FileRefused(
            f"“{name}” has no column for {' or '.join(missing)}. Its header row must name the "
            f"columns, for example: {EXAMPLE}. Add the missing heading and upload it again."
        )
    return {field: index for index, field in mapping.items()}


def _judged(school, mapping: dict[str, int], rows, name: str) -> list[dict]:
    staff = list(selectors.school_staff(school))
    by_email = {person.email.lower(): person for person in staff}
    by_name: dict[str, list] = {}
    for person in staff:
        by_name.setdefault(_name_key(person.first_name, person.last_name), []).append(person)
    requirements = selectors.requirement_matcher(school)
    have = selectors.existing_records(school, [person.pk for person in staff])
    seen: dict[tuple, int] = {}
    today = timezone.localdate()
    judged = []
    for number, cells in rows:
        if len(judged) >= MAX_ROWS:
            raise FileRefused(
                f"“{name}” has more than {MAX_ROWS:,} rows. Split it into smaller files."
            )
        values = {field: cells[index] for field, index in mapping.items()}
        row = {"row": number, "cells": cells, "outcome": services.NEW, "reason": ""}
        try:
            person = _staff(values, by_email, by_name)
            row.update(_training(values, requirements, today))
        except ValueError as refusal:
            row.update(outcome=services.REFUSED, reason=str(refusal))
            judged.append(row)
            continue
        row.update(staff_id=person.pk, staff=person.full_name)
        key = (person.pk, row["course"].casefold(), datetime.date.fromisoformat(row["date"]))
        if key in have:
            row.update(outcome=services.ALREADY, reason="Already recorded.")
        elif key in seen:
            row.update(outcome=services.ALREADY, reason=f"The same as row {seen[key]}.")
        seen.setdefault(key, number)
        row["completed_on"] = row.pop("date")
        judged.append(row)
    return judged


def _name_key(first: str, last: str) -> str:
    return course_key(f"{first} {last}")


def _staff(values: dict, by_email: dict, by_name: dict):
    email = parse_email(values.get("email", ""))
    if email:
        person = by_email.get(email)
        if person is None:
            raise ValueError(f"No member of staff has the email address {email}.")
    else:
        person = _by_name(values, by_name)
    if not person.is_active:
        raise ValueError(
            f"{person.full_name}’s account is deactivated. Activate it in School set-up, Staff, "
            "to record their training."
        )
    return person


def _by_name(values: dict, by_name: dict):
    if values.get("name"):
        first, last = split_name(values["name"])
    elif values.get("first_name") or values.get("last_name"):
        first, last = values.get("first_name", ""), values.get("last_name", "")
    else:
        raise ValueError("No member of staff given: add their email address or name.")
    found = by_name.get(_name_key(first, last), [])
    if not found:
        raise ValueError(
            f"No member of staff is called {first} {last}. Check the spelling, or give their "
            "email address."
        )
    if len(found) > 1:
        raise ValueError(
            f"{len(found)} members of staff are called {first} {last}: give their email "
            "address instead."
        )
    return found[0]


def _training(values: dict, requirements: dict, today: datetime.date) -> dict:
    course = " ".join(values.get("course", "").split())
    if not course:
        raise ValueError("No course given.")
    if len(course) > 200:
        raise ValueError("The course name is longer than 200 characters.")
    day = parse_date(values.get("completed_on", ""))
    if day is None:
        raise ValueError("No date completed given.")
    if day < EARLIEST_DATE:
        raise ValueError(f"{day:%-d %B %Y} is too long ago: check the year.")
    if day > today:
        raise ValueError(f"{day:%-d %B %Y} is in the future: give the date it was completed.")
    requirement = requirements.get(course_key(course))
    return {
        "course": requirement.name if requirement else course,
        "named": course,  # as the file names it
        "completed_label": f"{day:%-d %b %Y}",
        "requirement_id": requirement.pk if requirement else None,
        "requirement": requirement.name if requirement else "",
        "date": day.isoformat(),
        "provider": " ".join(values.get("provider", "").split())[:200],
    }
