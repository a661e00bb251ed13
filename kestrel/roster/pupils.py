"""Students from the MIS: a file's rows matched to the school's students, previewed, then applied.

Matching never guesses on names (statutory practice: children are matched by identifier). A row is
the student whose UPN it gives; else the student whose UPN is one of the row's former UPNs (or
whose former UPNs hold the row's UPN); else the student with the row's MIS id. A row that names
no known identifier but has the name and date of birth of a student is held for the administrator
to decide (the same person, or a different one), never merged by itself. A row whose identifiers
point at two different students is refused.

The file is read once, streamed, in CHUNK rows at a time: each chunk's students are read with a
few queries (by UPN, by MIS id, by date of birth), so memory holds a chunk and an index of the
identifiers seen (to refuse duplicates), never the file or the roll. The preview keeps a row per
joiner, change, leaver, held or refused row (`RosterRow`); unchanged rows are only counted. A
column the file does not have changes nothing; an empty cell in a column it has clears the value.

Applying works through the preview's rows in CHUNK-row transactions, each with its students'
writes, its rows marked applied, and an audit event per student: a worker killed mid-import leaves
whole chunks applied and the rest to do, and runs again from there. A change whose student was
edited since the preview (its old value no longer holds) is left out and said so: the preview is
what the administrator agreed to, never something else.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from kestrel.audit.services import plain_event, record, record_plain
from kestrel.faults import pause_point
from kestrel.roster import values as parse
from kestrel.roster.inserts import (
    date_text,
    insert_rows,
    new_ids,
    now_text,
    without_waiting_for_disk,
)
from kestrel.roster.models import Decision, Outcome, RosterImport, RosterRow, State
from kestrel.roster.previews import Incoming as RowValues
from kestrel.roster.previews import PreviewRows, Refusal, chunks
from kestrel.search import fold, folded_fields
from kestrel.students.models import DETAIL_FIELDS, Student

CHUNK = 1000
UPDATE_BATCH = 100
EARLIEST_BIRTH = datetime.date(1990, 1, 1)
LEAVING_SHARE_TO_CONFIRM = 0.10  # more than this share of the roll leaving asks twice

# The fields an import writes, in the order the preview lists a student's changes.
FIELDS = DETAIL_FIELDS
DATES = {"date_of_birth", "admission_date", "left_on"}
FLAGS = {"pupil_premium", "free_school_meals", "eal", "looked_after"}
MAX_LENGTHS = {
    name: Student._meta.get_field(name).max_length
    for name in FIELDS
    if getattr(Student._meta.get_field(name), "max_length", None)
}


class Incoming(RowValues):
    """A row of students' file, cleaned (see previews.Incoming)."""

    @property
    def upn(self) -> str:
        return self.values.get("upn") or ""

    @property
    def former(self) -> list[str]:
        return (self.values.get("former_upns") or "").split()

    @property
    def mis_id(self) -> str:
        return self.values.get("mis_id") or ""

    def name(self) -> str:
        first = self.values.get("preferred_first_name") or self.values.get("legal_first_name")
        last = self.values.get("preferred_last_name") or self.values.get("legal_last_name")
        return f"{first} {last}"


def _label(name: str) -> str:
    return str(Student._meta.get_field(name).verbose_name)


class StudentValues:
    """A student as an import reads and writes them: their fields as plain values (`id` and
    FIELDS), with Student's own name and label, without a model instance (tens of thousands of
    those cost more than the queries that read them)."""

    first_name = Student.first_name
    last_name = Student.last_name
    name = Student.name
    label = Student.label

    def __init__(self, values: dict):
        self.__dict__.update(values)

    @property
    def pk(self) -> int:
        return self.id

    def __str__(self) -> str:
        return self.label


# What matching reads of a student: the fields an import compares, and their id.
MATCHED_COLUMNS = ("id", *FIELDS)


def _former_upns(text: str) -> str:
    return " ".join(parse.parse_upns(text))


def _flag(text: str) -> bool:
    return bool(parse.parse_bool(text))


# How each column the file may have is read, in this order (its problems are listed in it). One
# loop over a table rather than a call per field: this runs for every row of the file.
PARSERS = (
    ("legal_first_name", str.strip),
    ("legal_last_name", str.strip),
    ("preferred_first_name", str.strip),
    ("preferred_last_name", str.strip),
    ("tutor_group", str.strip),
    ("mis_id", str.strip),
    ("previous_school", str.strip),
    ("upn", parse.parse_upn),
    ("former_upns", _former_upns),
    ("date_of_birth", parse.parse_date),
    ("admission_date", parse.parse_date),
    ("left_on", parse.parse_date),
    ("year_group", parse.parse_year_group),
    ("gender", parse.parse_gender),
    ("sen_status", parse.parse_sen),
    *((name, _flag) for name in FIELDS if name in FLAGS),
)


def clean(row: int, raw: dict[str, str], today: datetime.date) -> Incoming:
    """The row's values as Kestrel keeps them, or Refusal naming every problem in it."""
    values: dict[str, object] = {}
    problems: list[str] = []
    for name, parser in PARSERS:
        if name not in raw:
            continue
        try:
            values[name] = parser(raw[name])
        except ValueError as error:
            problems.append(f"{_label(name)}: {error}")

    for name in ("legal_first_name", "legal_last_name"):
        if not values.get(name) and not _said(problems, name):
            problems.append(f"{_label(name)} is missing.")
    born = values.get("date_of_birth")
    if born is None and not _said(problems, "date_of_birth"):
        problems.append("Date of birth is missing.")
    elif born is not None and born > today:
        problems.append(f"Date of birth {born:%d/%m/%Y} is in the future.")
    elif born is not None and born < EARLIEST_BIRTH:
        problems.append(f"Date of birth {born:%d/%m/%Y} is before 1990: check it in the MIS.")
    if values.get("year_group") is None and not _said(problems, "year_group"):
        problems.append("Year group is missing.")
    for name, length in MAX_LENGTHS.items():
        text = values.get(name)
        if isinstance(text, str) and len(text) > length:
            problems.append(f"{_label(name)} is longer than {length} characters.")
    if values.get("upn") and values["upn"] in values.get("former_upns", "").split():
        values["former_upns"] = " ".join(
            u for u in values["former_upns"].split() if u != values["upn"]
        )
    if problems:
        raise Refusal(" ".join(problems))

    # Kestrel keeps a preferred name only where it differs from the legal one.
    for part in ("first", "last"):
        if values.get(f"preferred_{part}_name") == values.get(f"legal_{part}_name"):
            values[f"preferred_{part}_name"] = ""
    if "left_on" in values:
        # A leaving date still to come leaves the student on roll until then.
        left_on = values.pop("left_on")
        if left_on is not None and left_on <= today:
            values["on_roll"], values["left_on"] = False, left_on
        else:
            values["on_roll"], values["left_on"] = True, None
    return Incoming(row=row, values=values)


def _said(problems: list[str], name: str) -> bool:
    return any(problem.startswith(_label(name)) for problem in problems)


# -- The preview -------------------------------------------------------------------------------


def _json(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _unjson(name: str, value):
    if name in DATES and value:
        return datetime.date.fromisoformat(value)
    return value


def differences(student: "Student | StudentValues", incoming: Incoming) -> dict[str, list]:
    """Field -> [old, new] (as JSON) for what the row would change about `student`."""
    changes = {}
    for name, new in incoming.values.items():
        old = getattr(student, name)
        if name == "former_upns":  # former UPNs are only ever added to
            known = old.split()
            new = " ".join([*known, *(u for u in new.split() if u not in known)])
        if name == "previous_school" and not new:
            continue
        if old != new:
            changes[name] = [_json(old), _json(new)]
    if "upn" in changes and changes["upn"][0]:
        # The UPN a student had is kept as a former UPN: the next file may still give it.
        known = (changes.get("former_upns", [None, student.former_upns])[1]).split()
        if changes["upn"][0] not in known:
            changes["former_upns"] = [student.former_upns, " ".join([*known, changes["upn"][0]])]
    return changes


@dataclass
class Preview(PreviewRows):
    """What checking a file of students found (see PreviewRows)."""

    today: datetime.date = field(default_factory=timezone.localdate)
    upns: dict[str, int] = field(default_factory=dict)  # UPN -> the row that gave it
    mis_ids: dict[str, int] = field(default_factory=dict)


def preview(
    roster_import: RosterImport,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    progress=lambda done: None,
) -> dict[str, int]:
    """Checks every row against the school's students and writes the import's preview; returns
    its counts. Runs in the school's scope. Run again, it starts again."""
    RosterRow.objects.filter(roster_import=roster_import).delete()
    state = Preview(roster_import=roster_import, today=timezone.localdate())
    state.counts["on_roll"] = Student.objects.filter(on_roll=True).count()
    formers = _former_index()
    done = 0
    for chunk in chunks(rows, CHUNK):
        incoming = []
        for row, raw in chunk:
            state.counts["rows"] += 1
            try:
                cleaned = clean(row, raw, state.today)
            except Refusal as refusal:
                _mention_unread(state, raw)
                state.refuse_unread(row, raw, str(refusal))
                continue
            if roster_import.whole_roster and "on_roll" not in cleaned.values:
                # The whole roll: a student who had left and is listed again is back on roll.
                cleaned.values.update(on_roll=True, left_on=None)
            incoming.append(cleaned)
        _match_chunk(state, incoming, formers)
        with transaction.atomic():
            without_waiting_for_disk()
            state.flush()
        done += len(chunk)
        progress(done)
        pause_point("roster_checked_chunk")
    if roster_import.whole_roster:
        _leavers(state)
        state.flush()
    return state.counts


# Every identifier the file writes is remembered, even in a row it refuses: a student whose row
# could not be read is not leaving. A row's UPN and MIS id are in the preview's index (`upns`,
# `mis_ids`) once it is read; the rest (former UPNs, and every identifier of a refused row) in
# `mentioned`, as "upn:..." and "mis:...".


def _mention_unread(state: Preview, raw: dict[str, str]) -> None:
    """The identifiers of a row refused before it could be read, as the file writes them."""
    for name in ("upn", "former_upns"):
        for word in raw.get(name, "").replace(",", " ").replace(";", " ").split():
            state.mentioned.add(f"upn:{word.upper()}")
    if raw.get("mis_id", "").strip():
        state.mentioned.add(f"mis:{raw['mis_id'].strip()}")


def _mention(state: Preview, incoming: Incoming, *, refused: bool) -> None:
    """The identifiers of a read row that the index does not hold: its former UPNs, and its UPN
    and MIS id too when it was refused (the index may then not have them)."""
    for upn in incoming.former:
        state.mentioned.add(f"upn:{upn}")
    if refused:
        if incoming.upn:
            state.mentioned.add(f"upn:{incoming.upn}")
        if incoming.mis_id:
            state.mentioned.add(f"mis:{incoming.mis_id}")


def _named(state: Preview, upn: str, mis_id: str, formers: str) -> bool:
    """Whether the file writes any of a student's identifiers."""
    if (upn and upn in state.upns) or (mis_id and mis_id in state.mis_ids):
        return True
    names = {f"upn:{u}" for u in (upn, *formers.split()) if u}
    if mis_id:
        names.add(f"mis:{mis_id}")
    return not names.isdisjoint(state.mentioned) or any(u in state.upns for u in formers.split())


def _former_index() -> dict[str, int]:
    """Former UPN -> student, for the few students who have any."""
    index = {}
    rows = Student.objects.exclude(former_upns="").values_list("pk", "former_upns")
    for pk, formers in rows.iterator(chunk_size=2000):
        for upn in formers.split():
            index[upn] = pk
    return index


def _match_chunk(state: Preview, chunk: list[Incoming], formers: dict[str, int]) -> None:
    upns = {u for i in chunk for u in (i.upn, *i.former) if u}
    upn_ids = {formers[u] for i in chunk if (u := i.upn) in formers}
    mis = {i.mis_id for i in chunk if i.mis_id}
    students = (
        Student.objects.filter(Q(upn__in=upns) | Q(mis_id__in=mis) | Q(pk__in=upn_ids))
        .order_by()
        .values(*MATCHED_COLUMNS)
    )
    by_id = {s.pk: s for s in map(StudentValues, students)}
    by_upn = {s.upn: s for s in by_id.values() if s.upn}
    by_mis = defaultdict(list)
    for student in by_id.values():
        if student.mis_id:
            by_mis[student.mis_id].append(student)

    unmatched = []
    for incoming in chunk:
        try:
            if not _duplicate(state, incoming):
                student = _identified(incoming, by_upn, by_mis, by_id, formers)
                if student is None:
                    unmatched.append(incoming)
                else:
                    _compare(state, student, incoming)
            _mention(state, incoming, refused=False)
        except Refusal as refusal:
            _mention(state, incoming, refused=True)
            state.add(
                Outcome.REFUSED,
                incoming.row,
                values=_values_json(incoming),
                reason=str(refusal),
            )
    _by_name_and_birth(state, unmatched)


def _values_json(incoming: Incoming) -> dict:
    return {name: _json(value) for name, value in incoming.values.items()}


def _duplicate(state: Preview, incoming: Incoming) -> bool:
    """Refuses a row whose UPN or MIS id an earlier row gave (the earlier row stands)."""
    if incoming.upn and incoming.upn in state.upns:
        raise Refusal(f"UPN {incoming.upn} is also on row {state.upns[incoming.upn]}.")
    if incoming.mis_id and incoming.mis_id in state.mis_ids:
        raise Refusal(f"MIS id {incoming.mis_id} is also on row {state.mis_ids[incoming.mis_id]}.")
    if incoming.upn:
        state.upns[incoming.upn] = incoming.row
    if incoming.mis_id:
        state.mis_ids[incoming.mis_id] = incoming.row
    return False


def _identified(incoming, by_upn, by_mis, by_id, formers) -> StudentValues | None:
    """The student the row's identifiers name, by UPN, then former UPN, then MIS id; Refusal
    when they name two different students."""
    found = None
    if incoming.upn and incoming.upn in by_upn:
        found = by_upn[incoming.upn]
    elif incoming.upn and incoming.upn in formers:
        found = by_id.get(formers[incoming.upn])
    if found is None:
        for upn in incoming.former:
            if upn in by_upn:
                found = by_upn[upn]
                break
    by_mis_id = by_mis.get(incoming.mis_id, []) if incoming.mis_id else []
    if found is None and len(by_mis_id) > 1:
        raise Refusal(
            f"{len(by_mis_id)} students have MIS id {incoming.mis_id}: give the row its UPN, "
            "or correct the MIS ids in School set-up."
        )
    if found is None and by_mis_id:
        found = by_mis_id[0]
    elif found is not None and by_mis_id and found not in by_mis_id:
        other = by_mis_id[0]
        raise Refusal(
            f"Its UPN is {found.name}'s but its MIS id {incoming.mis_id} is {other.name}'s: "
            "correct the row in the MIS."
        )
    return found


def _compare(state: Preview, student: StudentValues, incoming: Incoming) -> None:
    earlier = state.matched.get(student.pk)
    if earlier is not None:
        raise Refusal(f"It is the same student as row {earlier} ({student.name}).")
    state.matched[student.pk] = incoming.row
    state.kept.add(student.pk)
    incoming.values.pop("previous_school", None)  # only a joiner's previous school is recorded
    changes = differences(student, incoming)
    if changes:
        state.add(
            Outcome.CHANGED,
            incoming.row,
            student=student,
            values=_values_json(incoming),
            changes=changes,
        )
    else:
        state.counts["unchanged"] += 1


def _by_name_and_birth(state: Preview, chunk: list[Incoming]) -> None:
    """Rows no identifier matched: new, or held where a student has their name and birthday."""
    if not chunk:
        return
    births = {i.values["date_of_birth"] for i in chunk}
    candidates = defaultdict(list)
    born_on = set()
    born = Student.objects.filter(date_of_birth__in=births).order_by("pk")
    for student in map(StudentValues, born.values(*MATCHED_COLUMNS)):
        born_on.add(student.date_of_birth)
        for key in _name_keys(student.__dict__, student.date_of_birth):
            candidates[key].append(student)
    for incoming in chunk:
        seen = []
        born = incoming.values["date_of_birth"]
        # No student was born that day (every row of a first import): no name to compare.
        for key in _name_keys(incoming.values, born) if born in born_on else ():
            seen.extend(s for s in candidates.get(key, []) if s not in seen)
        seen = [s for s in seen if s.pk not in state.matched]
        if not seen:
            state.add(Outcome.NEW, incoming.row, values=_values_json(incoming))
            continue
        student = seen[0]
        state.kept.update(s.pk for s in seen)
        reason = (
            f"Same name and date of birth as {student.name}"
            + (f" ({student.tutor_group})" if student.tutor_group else "")
            + ", but "
            + (
                "the row has no UPN or MIS id to be sure by."
                if not (incoming.upn or incoming.mis_id)
                else "not the same UPN or MIS id."
            )
        )
        if len(seen) > 1:
            reason += f" {len(seen) - 1} more students have this name and date of birth."
        state.add(
            Outcome.HELD,
            incoming.row,
            student=student,
            values=_values_json(incoming),
            changes=differences(student, incoming),
            reason=reason,
        )


def _name_keys(values: dict, born) -> set[tuple]:
    keys = set()
    for first, last in (
        ("legal_first_name", "legal_last_name"),
        ("preferred_first_name", "preferred_last_name"),
    ):
        f = values.get(first) or values.get("legal_first_name") or ""
        lst = values.get(last) or values.get("legal_last_name") or ""
        if f and lst:
            keys.add((fold(f).strip(), fold(lst).strip(), born))
    return keys


def _leavers(state: Preview) -> None:
    """Students on roll whom the whole-roster file does not list are leaving today."""
    on_roll = (
        Student.objects.filter(on_roll=True)
        .order_by("pk")
        .values_list("pk", "upn", "mis_id", "former_upns")
    )
    for pk, upn, mis_id, formers in on_roll.iterator(chunk_size=2000):
        if pk in state.kept or _named(state, upn, mis_id, formers):
            continue
        state.add(
            Outcome.LEAVING,
            0,
            student_id=pk,
            values={"on_roll": False, "left_on": state.today.isoformat()},
            changes={"on_roll": [True, False], "left_on": [None, state.today.isoformat()]},
        )
        if len(state.pending) >= CHUNK:
            state.flush()


def needs_second_confirmation(counts: dict) -> bool:
    """More than a tenth of the roll leaving at once is asked twice: a partial file sent as
    the whole roster would otherwise mark a year group as left."""
    return counts.get("leaving", 0) > LEAVING_SHARE_TO_CONFIRM * max(counts.get("on_roll", 0), 1)


# -- Applying ----------------------------------------------------------------------------------


def apply(roster_import: RosterImport, *, actor, progress=lambda done: None) -> dict[str, int]:
    """Applies the confirmed preview, CHUNK rows per transaction; returns what was applied.
    Run again after a crash, it carries on with the rows not yet applied."""
    rows = (
        RosterRow.objects.filter(roster_import=roster_import, applied=False)
        .exclude(outcome=Outcome.REFUSED)
        .values_list(*Applying.COLUMNS)
    )
    done = RosterRow.objects.filter(roster_import=roster_import, applied=True).count()
    last = 0
    while True:
        chunk = [Applying(*values) for values in rows.filter(pk__gt=last).order_by("pk")[:CHUNK]]
        if not chunk:
            break
        last = chunk[-1].pk
        _apply_chunk(roster_import, chunk, actor)
        done += len(chunk)
        progress(done)
        pause_point("roster_applied_chunk")
    return _applied_counts(roster_import)


@dataclass(slots=True)
class Applying:
    """A preview's row as applying reads it: its columns' values, not a model instance (a
    thousand of those a chunk cost more than the chunk's writes)."""

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "pk",
        "outcome",
        "decision",
        "student_id",
        "values",
        "changes",
    )

    pk: int
    outcome: str
    decision: str
    student_id: int | None
    values: dict
    changes: dict
    skipped: str = ""


def _applied_counts(roster_import: RosterImport) -> dict[str, int]:
    counts = {"added": 0, "changed": 0, "left": 0, "not_applied": 0}
    names = {Outcome.NEW: "added", Outcome.CHANGED: "changed", Outcome.LEAVING: "left"}
    rows = RosterRow.objects.filter(roster_import=roster_import).exclude(outcome=Outcome.REFUSED)
    for outcome, decision, applied, skipped in rows.values_list(
        "outcome", "decision", "applied", "skipped"
    ).iterator(chunk_size=5000):
        if skipped or not applied:
            counts["not_applied"] += 1
        elif outcome == Outcome.HELD:
            counts["added" if decision == Decision.NEW else "changed"] += 1
        else:
            counts[names[outcome]] += 1
    return counts


def _apply_chunk(roster_import: RosterImport, chunk: list[Applying], actor) -> None:
    try:
        with transaction.atomic():
            _write(roster_import, chunk, actor)
    except IntegrityError:
        # A row clashes with a student added or changed since the preview (a UPN now taken):
        # each row on its own, so that only the clashing ones are left out.
        for row in chunk:
            row.skipped = ""
            try:
                with transaction.atomic():
                    _write(roster_import, [row], actor)
            except IntegrityError:
                RosterRow.objects.filter(pk=row.pk).update(
                    applied=True,
                    skipped="Another student now has this UPN: nothing was changed.",
                )


def _write(roster_import: RosterImport, chunk: list[Applying], actor) -> None:
    without_waiting_for_disk()  # a chunk lost with the server is applied again
    new, updated, fields, events = [], [], set(), []
    now = timezone.now()  # the moment of the chunk's changes, in their audit events
    # The students as they are now, read and locked inside this transaction: a change made
    # since the preview is seen, and a chunk retried row by row starts from the database.
    students = Student.objects.select_for_update().in_bulk(
        [row.student_id for row in chunk if row.student_id]
    )
    for row in chunk:
        outcome = row.outcome
        if outcome == Outcome.HELD:
            if row.decision == Decision.UNDECIDED:
                row.skipped = "Not decided: nothing was changed."
                continue
            outcome = Outcome.NEW if row.decision == Decision.NEW else Outcome.CHANGED
        if outcome == Outcome.NEW:
            new.append(row.values)
            continue
        student = students[row.student_id]
        stale = [
            name
            for name, (old, _new) in row.changes.items()
            if _json(getattr(student, name)) != old
        ]
        if stale:
            row.skipped = (
                f"{student.name} was changed in Kestrel after this file was checked "
                f"({', '.join(_label(n) for n in stale)}): nothing was changed. Import the file "
                "again to see the changes as they are now."
            )
            continue
        for name, (_old, new_value) in row.changes.items():
            setattr(student, name, _unjson(name, new_value))
            fields.add(name)
        updated.append(student)
        events.append(
            plain_event(
                action="student.left" if outcome == Outcome.LEAVING else "student.changed",
                actor=actor,
                school_id=roster_import.school_id,
                model=Student,
                object_id=student.pk,
                object_label=str(student),
                student_id=student.pk,
                detail={"fields": sorted(row.changes), "import": roster_import.pk},
                at=now,
            )
        )
    if new:
        events += _add_students(roster_import, new, actor, now)
    if updated:
        # bulk_update writes one CASE over every row it updates: its cost grows with the square
        # of a batch, so a chunk's changes go a hundred at a time.
        Student.objects.bulk_update(updated, sorted(fields), batch_size=UPDATE_BATCH)
    mark_applied(chunk)
    record_plain(events)


# A new student's row as `_add_students` writes it: the fields an import fills, then the rest.
NEW_COLUMNS = ("id", "school_id", *FIELDS, "created_at", "search_text")
# What a field the file has no column for holds: the model's default, as Student() would give.
FIELD_DEFAULTS = {name: Student._meta.get_field(name).get_default() for name in FIELDS}


def _add_students(roster_import: RosterImport, new: list[dict], actor, now) -> list[dict]:
    """Writes the new students (their rows' values, as JSON) in one plain write, with the
    search text Student's bulk writes keep (kestrel.search); returns their audit events."""
    ids = new_ids(Student, len(new))
    created_at = now_text(now)
    rows, events = [], []
    for pk, values in zip(ids, new, strict=True):
        student = {**FIELD_DEFAULTS, **values}
        if not student["previous_school"] and roster_import.source_school:
            student["previous_school"] = roster_import.source_school
        for name in DATES:
            student[name] = date_text(student[name])
        named = StudentValues(student)
        rows.append(
            (
                pk,
                roster_import.school_id,
                *[student[name] for name in FIELDS],
                created_at,
                folded_fields(named, Student.SEARCH_FIELDS),
            )
        )
        events.append(
            plain_event(
                action="student.added",
                actor=actor,
                school_id=roster_import.school_id,
                model=Student,
                object_id=pk,
                object_label=named.label,
                student_id=pk,
                detail={"import": roster_import.pk},
                at=now,
            )
        )
    insert_rows(Student, NEW_COLUMNS, rows)
    return events


def mark_applied(chunk: list[Applying]) -> None:
    """Marks a chunk's rows applied: one UPDATE for those applied, one for each reason a row was
    left out (a few), rather than one CASE over the whole chunk."""
    reasons = defaultdict(list)
    for row in chunk:
        reasons[row.skipped].append(row.pk)
    for skipped, ids in reasons.items():
        RosterRow.objects.filter(pk__in=ids).update(applied=True, skipped=skipped)


def finish(roster_import: RosterImport, *, actor, request=None) -> bool:
    """Marks the import done with its one import event, once (a task run twice finishes once)."""
    with transaction.atomic():
        counts = _applied_counts(roster_import)
        finished = RosterImport.objects.filter(pk=roster_import.pk, state=State.APPLYING).update(
            state=State.DONE,
            finished_at=timezone.now(),
            counts={**roster_import.counts, **counts},
        )
        if finished:
            record(
                action="roster.imported",
                actor=actor,
                request=request,
                obj=roster_import,
                school=roster_import.school,
                detail={
                    "kind": roster_import.kind,
                    "format": roster_import.file_format,
                    "rows": roster_import.counts.get("rows", 0),
                    **counts,
                },
            )
    return bool(finished)
