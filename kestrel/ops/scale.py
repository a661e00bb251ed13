"""A multi-academy trust's ten years of safeguarding records, for benchmarks (`seed_scale`).

The schools and staff are set up like the demo school (kestrel.schools.demo) through the ORM.
Students, then incidents with their actions, alerts and audit events (made in a forked process),
are written with plain INSERTs (executemany) on SQLite and COPY on PostgreSQL, with ids allocated
here and the non-unique indexes built once at the end, all in one transaction. Audit rows are
linked into each school's hash chain exactly as kestrel.audit.chain links them.
"""

import bisect
import contextlib
import datetime
import hashlib
import heapq
import itertools
import json
import marshal
import math
import multiprocessing
import random
import time
import traceback
from array import array
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from kestrel.accounts.models import User
from kestrel.alerts.models import Alert, AlertGroup
from kestrel.audit import chain
from kestrel.audit.models import AuditEvent
from kestrel.incidents.models import (
    Action,
    BodyMapMarker,
    Category,
    Incident,
    LinkedStudent,
    snapshot_of,
)
from kestrel.schools import demo
from kestrel.schools.models import AccessLevel, Agency, School
from kestrel.students.models import Student
from kestrel.students.search import fold
from kestrel.students.upn import make_upn

SCHOOL_NAME = "Scale Academy {}"
SEED = 2025
# Every seeded account has this password (hashed once). Benchmark databases only.
PASSWORD = "kestrel scale benchmark trust"  # noqa: S105
YEARS = 10
SHARE_WITH_INCIDENTS = 0.3  # most students have no incident at all
PARETO_ALPHA = 2.0  # the long tail: a few students have hundreds of incidents
PARETO_CAP = 50.0  # but none has a tenth of the school's: about 35 times the median weight
TOP_CHRONOLOGY = 500  # at least one student per school has this many incidents, when possible
RECENT_SHARE = 0.03  # incidents in the last 7 days, for Dashboard and My History
READ_AFTER_DAYS = 14  # alerts older than this have all been read
BATCH_INCIDENTS = 5000  # incidents (with their actions, alerts and audit rows) per write

MINUTE = 60_000_000  # times are whole microseconds since 1970 (UTC)
HOUR = 60 * MINUTE
DAY = 24 * HOUR
EPOCH = datetime.datetime(1970, 1, 1)
MICROSECOND = datetime.timedelta(microseconds=1)

PRIMARY = [(0, "R"), *[(year, str(year)) for year in range(1, 7)]]
SECONDARY = [(year, str(year)) for year in range(7, 14)]
GROUP_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
LA_CODE = 886

KEY_HOLDER_TITLES = [
    "Designated Safeguarding Lead",
    "Deputy Designated Safeguarding Lead",
    "Headteacher",
    "Deputy Headteacher",
    "Assistant Headteacher (Pastoral)",
]
STAFF_TITLES = [
    "Teaching assistant",
    "Teaching assistant",
    "Learning mentor",
    "Lunchtime supervisor",
    "Head of Year",
    "SENCO",
    "Attendance officer",
    "Family liaison officer",
    "School nurse",
    "Cover supervisor",
]

# (category, subcategory or "", weight): how often each is chosen for an incident.
CATEGORY_WEIGHTS = [
    ("Behaviour", "", 30),
    ("Bullying", "", 15),
    ("Home Issues", "", 12),
    ("Medical Issues", "", 10),
    ("SEND", "", 10),
    ("Child Protection", "", 5),
    ("Child Protection", "Cause for Concern", 4),
    ("Child Protection", "Early Help", 3),
    ("Child Protection", "CIN", 1),
    ("Child Protection", "CAF", 1),
    ("Child Protection", "Child Protection Plan", 1),
    ("LAC", "", 4),
    ("Prevent", "", 1),
]

PLACES = [
    "playground",
    "lunch hall",
    "corridor by the library",
    "school gates",
    "bus stop outside school",
    "changing rooms",
    "top field",
    "toilets by the science block",
    "classroom",
    "breakfast club",
]
LESSONS = ["maths", "English", "science", "PE", "art", "music", "history", "form time", "RE"]
TIMES = ["morning break", "lunchtime", "the end of the day", "registration", "afternoon break"]
CARERS = ["mum", "dad", "nan", "stepdad", "mum's partner", "aunt", "foster carer", "grandad"]
BODY = ["upper arm", "wrist", "cheek", "neck", "lower back", "shin", "forearm", "ear"]
PRONOUNS = {
    "F": {"he": "she", "him": "her", "his": "her", "He": "She", "His": "Her"},
    "M": {"he": "he", "him": "him", "his": "his", "He": "He", "His": "His"},
}

INCIDENT_TEXT = {
    "Behaviour": [
        "{n} threw a chair across the {place} at {time} after being told to wait {his} turn; "
        "nobody was hurt but two children were upset.",
        "{n} refused to follow instructions in {lesson}, swore at {staff} and left the room "
        "without permission.",
        "{n} was in a fight with another student in the {place} at {time} and had to be "
        "separated by staff.",
        "{n} was found in the {place} during {lesson} and would not say why {he} had left.",
    ],
    "Bullying": [
        "{n} told {staff} that a group of older students have been calling {him} names at {time} "
        "and in a group chat at home.",
        "{n} came to me in tears at {time} saying that other children would not let {him} join "
        "in and had taken {his} bag.",
        "{n} showed me messages on {his} phone from other students saying that nobody likes {him}.",
    ],
    "Child Protection": [
        "{n} arrived with a bruise on {his} {body} and said that it happened at home but would "
        "not say how.",
        "{n} disclosed at {time} that {his} {carer} hits {him} when they argue, and that it "
        "happened again last night.",
        "{n} said that {he} did not want to go home tonight because {his} {carer} had been "
        "shouting and throwing things.",
        "{n} told {staff} that an adult {he} met online has asked {him} to keep their chats a "
        "secret and to send photos.",
        "{n} was not collected at the end of the day; {his} {carer} arrived at 5:40pm and "
        "seemed to be under the influence.",
    ],
    "Home Issues": [
        "{n} has been late every day this week and said {he} has to get {his} younger brothers "
        "ready because {his} {carer} is unwell.",
        "{n} said there was no food in the house at the weekend and that {he} had not had "
        "breakfast for three mornings.",
        "{n} was wearing the same clothes for the third day and said the washing machine at "
        "home is broken.",
        "{n} told me that {his} {carer} has moved out and that {he} is worried about money.",
    ],
    "LAC": [
        "{n}'s placement has changed again this week; {he} seemed withdrawn in {lesson} and did "
        "not want to talk.",
        "{n} became upset after contact with {his} birth family and asked to speak to {staff} "
        "at {time}.",
    ],
    "Medical Issues": [
        "{n} complained of headaches for the third day running and was sent to the office; "
        "{his} {carer} was phoned.",
        "{n} has lost a noticeable amount of weight this term and is often not eating {his} lunch.",
        "{n} had an asthma attack at {time}; the inhaler in the office was used and {his} "
        "{carer} collected {him}.",
    ],
    "Prevent": [
        "{n} repeated extremist views in {lesson} that {he} said came from videos online, and "
        "showed one to other students.",
        "{n} drew symbols linked to a far-right group in {his} book and said an older cousin "
        "had shown {him} them.",
    ],
    "SEND": [
        "{n} became very distressed during the fire drill and hid under a table; calmed with "
        "ear defenders and a quiet space.",
        "{n} struggled with the change of teacher in {lesson} and hit out at a teaching "
        "assistant; {his} support plan needs review.",
        "{n} was overwhelmed at {time} after a difficult morning; time in the sensory room helped.",
    ],
}
FOLLOW_UPS = [
    "I spoke to {n} calmly and {he} went back to class.",
    "I reassured {n} that {he} had done the right thing in telling me.",
    "I did not ask leading questions and have written down {his} words as closely as I can.",
    "{n} seemed calmer by the end of the day.",
    "{His} {carer} was told at pick-up.",
    "I have passed this to the DSL for advice.",
    "This is the second time this half term that I have noticed this.",
    "{staff} was also on duty and saw what happened.",
    "{n} asked me not to tell anyone; I explained that I have to pass it on to keep {him} safe.",
]
ACTION_TEXT = [
    "Spoke to {n} in a quiet room; {he} repeated what {he} had told {staff}.",
    "Phoned {n}'s {carer} to discuss the incident; they were supportive and will talk to {n} "
    "at home.",
    "Referral made to Children's Social Care through the front door; awaiting a decision "
    "within one working day.",
    "Discussed at the weekly safeguarding meeting: keep monitoring and review in two weeks.",
    "Checked in with {n} at {time}; {he} said things were a bit better at home.",
    "Asked {agency} for advice; advised to keep monitoring and record any further concerns.",
    "Met {n}'s {carer} with {staff} and agreed a support plan for the rest of the term.",
    "Early Help assessment started with the family's agreement.",
    "No further action at this stage; {staff} will keep an eye on {n}.",
    "Letter sent home and a meeting arranged for next week.",
    "Police informed; the crime reference number is on the file.",
    "Shared with the school nurse, who will see {n} this week.",
]
ACTION_FOLLOW_UPS = [
    "{n} was told what will happen next.",
    "Parents informed of the outcome.",
    "Next review at the safeguarding meeting.",
    "Class teacher updated.",
]


# The columns written to each table: every column without a default in the database.
COLUMNS = {
    Student: (
        "id", "school_id", "legal_first_name", "legal_last_name", "preferred_first_name",
        "preferred_last_name", "date_of_birth", "upn", "year_group", "tutor_group", "on_roll",
        "left_on", "created_at", "search_text",
    ),
    Incident: (
        "id", "school_id", "student_id", "reporter_id", "text", "occurred_at", "recorded_at",
        "required_rank", "snapshot",
    ),
    Incident.categories.through: ("id", "incident_id", "category_id"),
    Incident.agencies.through: ("id", "incident_id", "agency_id"),
    LinkedStudent: ("id", "incident_id", "student_id", "monitor_same_category", "share_documents"),
    BodyMapMarker: ("id", "incident_id", "number", "side", "x", "y"),
    Alert: (
        "id", "school_id", "incident_id", "recipient_id", "sender_id", "created_at", "read_at",
        "email_status", "email_attempts", "email_sent_at", "email_error",
    ),
    Action: (
        "id", "school_id", "incident_id", "author_id", "text", "occurred_at", "recorded_at",
        "add_to_linked_students", "share_documents", "snapshot",
    ),
    Action.agencies.through: ("id", "action_id", "agency_id"),
    AuditEvent: (
        "id", "school_id", "actor_id", "actor_label", "action", "object_type", "object_id",
        "object_label", "student_id", "detail", "ip_address", "session_hash", "at", "chain",
        "seq", "prev_hash", "row_hash",
    ),
}  # fmt: skip


def school_names(schools: int) -> list[str]:
    return [SCHOOL_NAME.format(number) for number in range(1, schools + 1)]


class SchoolExists(Exception):
    """A school already has one of the trust's names: the seed only ever adds new schools."""


def existing_school(schools: int) -> str | None:
    """The first of the trust's school names already in use, if any."""
    found = School.objects.filter(name__in=school_names(schools)).order_by("name").first()
    return found.name if found else None


class Signer:
    """kestrel.audit.chain.row_hash for a canonical form already written out as text.

    HMAC-SHA256 (RFC 2104) with the chain's key, its inner and outer pads hashed once.
    """

    def __init__(self):
        key = chain._key().ljust(64, b"\0")
        self.inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
        self.outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))

    def sign(self, prev_hash: str, canonical: str) -> str:
        inner = self.inner.copy()
        inner.update(f"{prev_hash}|{canonical}".encode())
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _SQLiteSink:
    """Plain INSERTs through executemany, on Django's connection inside its transaction."""

    suffix = ""  # Django keeps naive UTC text on SQLite

    def __init__(self):
        self.db = connection.connection
        self.statements: dict[str, str] = {}

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        statement = self.statements.get(table)
        if statement is None:
            names = ", ".join(f'"{column}"' for column in columns)
            marks = ", ".join("?" * len(columns))
            statement = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608
            self.statements[table] = statement
        self.db.executemany(statement, rows)

    def secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        """The table's non-unique indexes: (name, the SQL that made it)."""
        return self.db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
            [table],
        ).fetchall()


class _PostgresSink:
    """COPY FROM STDIN through psycopg 3, on Django's connection inside its transaction."""

    suffix = "+00"

    def __init__(self):
        self.cursor = connection.connection.cursor()

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        names = ", ".join(f'"{column}"' for column in columns)
        with self.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        """The table's indexes that are neither unique nor a constraint's: (name, definition)."""
        return self.cursor.execute(
            "SELECT index.relname, pg_get_indexdef(index.oid) FROM pg_index AS info "
            "JOIN pg_class AS index ON index.oid = info.indexrelid "
            "WHERE info.indrelid = %s::regclass AND NOT info.indisunique "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = info.indexrelid)",
            [f'"{table}"'],
        ).fetchall()


@dataclass(slots=True)
class _Table:
    model: type
    name: str
    columns: tuple[str, ...]
    next_id: int = 1
    rows: list[tuple] = field(default_factory=list)
    written: int = 0


@dataclass
class _School:
    """One school of the trust, with what the generator needs to hand for its rows."""

    index: int
    row: School
    id: int = 0
    levels: dict[str, AccessLevel] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)
    picks: list[tuple[tuple[int, ...], int, str]] = field(default_factory=list)
    pick_weights: list[int] = field(default_factory=list)  # cumulative
    main_picks: list[int] = field(default_factory=list)
    agencies: dict[int, Agency] = field(default_factory=dict)
    agency_ids: list[int] = field(default_factory=list)
    reporters: list[int] = field(default_factory=list)  # repeated: some report far more
    key_holders: list[int] = field(default_factory=list)
    alertable: list[int] = field(default_factory=list)
    student_ids: list[int] = field(default_factory=list)
    windows: list[tuple[int, int]] = field(default_factory=list)  # when each was here
    on_roll: list[bool] = field(default_factory=list)
    seq: int = 0
    prev_hash: str = chain.GENESIS


@dataclass(slots=True)
class _Person:
    name: str
    name_json: str
    ip: str
    ip_json: str
    title_name: str  # "Mrs Patel", as colleagues write it


class _Seeder:
    def __init__(self, *, rng: random.Random, now: datetime.datetime, log):
        self.rng = rng
        self.random = rng.random
        moment = (now.astimezone(datetime.UTC).replace(tzinfo=None) - EPOCH) // MICROSECOND
        # Odd like every recorded time (see `_recorded`), so that a time capped at now is odd.
        self.now_us = moment if moment & 1 else moment - 1
        self.today = now.date()
        self.log = log
        self.started = time.monotonic()
        self.sink = _SQLiteSink() if connection.vendor == "sqlite" else _PostgresSink()
        self.suffix = self.sink.suffix
        signer = Signer()
        self.inner, self.outer = signer.inner, signer.outer
        self.hours: dict[int, str] = {}
        self.snapshots: dict[tuple, str] = {}
        self.schools: list[_School] = []
        self.people: dict[int, _Person] = {}
        self.students: dict[int, tuple[str, dict[str, str]]] = {}  # id: (first name, pronouns)
        self.tables: dict[type, _Table] = {}
        self.by_name: dict[str, _Table] = {}
        self.order = itertools.count()
        self.pending: list[tuple] = []  # actions and alert reads still to come, by time
        self.first_names = demo._first_names()

    def pick(self, choices):
        """random.choice, in a third of the time."""
        return choices[int(self.random() * len(choices))]

    # Times, as text in the database's form

    def at(self, moment: int) -> str:
        """A recorded time: never a whole second (see `_recorded`), so always with its fraction."""
        hour, rest = divmod(moment, HOUR)
        prefix = self.hours.get(hour)
        if prefix is None:
            prefix = self.hours[hour] = str(EPOCH + datetime.timedelta(hours=hour))[:14]
        return "%s%02d:%02d.%06d" % (  # noqa: UP031 - the fastest formatting here
            prefix,
            rest // MINUTE,
            rest // 1_000_000 % 60,
            rest % 1_000_000,
        )

    def minute(self, moment: int) -> str:
        """A time given to the minute, as the forms' Date/Time gives it."""
        hour, rest = divmod(moment, HOUR)
        prefix = self.hours.get(hour)
        if prefix is None:
            prefix = self.hours[hour] = str(EPOCH + datetime.timedelta(hours=hour))[:14]
        return "%s%02d:00" % (prefix, rest // MINUTE)  # noqa: UP031

    def _recorded(self, moment: int) -> int:
        # An odd microsecond is never zero, so the text always has the fraction that
        # str(datetime) gives it on SQLite, and `at[:10]T...` matches the chain's isoformat.
        # Never after now (which is odd), never before `moment` unless capped at now.
        return min(moment, self.now_us) | 1

    # Tables and ids

    def table(self, model) -> _Table:
        name = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT MAX("id") FROM "{name}"')  # noqa: S608 - a model's table
            highest = cursor.fetchone()[0] or 0
            if connection.vendor == "postgresql":
                sequence = _sequence(cursor, name)
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
                last, called = cursor.fetchone()
                highest = max(highest, last if called else last - 1)
        found = self.tables[model] = _Table(model, name, COLUMNS[model], next_id=highest + 1)
        self.by_name[name] = found
        return found

    def batch(self) -> list[tuple[str, list[tuple]]]:
        """The rows made since the last batch, table by table."""
        batch = []
        for found in self.tables.values():
            if found.rows:
                batch.append((found.name, found.rows))
                found.rows = []
        return batch

    def write(self, batch: list[tuple[str, list[tuple]]]) -> None:
        for name, rows in batch:
            found = self.by_name[name]
            self.sink.write(name, found.columns, rows)
            found.written += len(rows)

    def written(self) -> str:
        return ", ".join(
            f"{found.name} {found.written}"
            for found in self.tables.values()
            if found.written and found.model is not Student
        )

    def reset_sequences(self) -> None:
        """Later inserts by the app take ids after ours (SQLite's AUTOINCREMENT does this)."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for found in self.tables.values():
                cursor.execute(
                    "SELECT setval(%s, %s, %s)",
                    [_sequence(cursor, found.name), max(found.next_id - 1, 1), found.next_id > 1],
                )

    def progress(self, what: str) -> None:
        self.log(f"{what} ({time.monotonic() - self.started:.1f} s)")

    def summary(self) -> dict[str, int]:
        return {found.name: found.written for found in self.tables.values()}

    # Schools and staff, through the ORM: a few hundred rows

    def set_up_schools(self, count: int, staff: int, password: str) -> None:
        password_hash = make_password(password)  # once: hashing is slow on purpose
        for index, name in enumerate(school_names(count)):
            row = School.objects.create(name=name)
            school = _School(index=index + 1, row=row, id=row.pk)
            self._configure(school)
            self._staff(school, _share(staff, count, index), password_hash)
            self.schools.append(school)

    def _configure(self, school: _School) -> None:
        """Access levels, categories and agencies as the demo school has them."""
        row = school.row
        levels = school.levels = {
            name: AccessLevel.objects.create(school=row, name=name, rank=rank, description=about)
            for name, rank, about in demo.ACCESS_LEVELS
        }
        named: dict[tuple[str, str], Category] = {}
        for position, (name, level, subcategories) in enumerate(demo.CATEGORIES, start=1):
            parent = named[name, ""] = Category.objects.create(
                school=row, name=name, access_level=levels[level], position=position
            )
            for sub_position, sub in enumerate(subcategories, start=1):
                named[name, sub] = Category.objects.create(
                    school=row,
                    name=sub,
                    parent=parent,
                    access_level=levels[level],
                    position=sub_position,
                )
        school.categories = {category.pk: category for category in named.values()}
        weights = []
        for name, sub, weight in CATEGORY_WEIGHTS:
            chosen = [named[name, sub]]
            if sub:  # choosing a subcategory files the incident under its main category too
                chosen.append(named[name, ""])
            else:
                school.main_picks.append(len(school.picks))
            rank = max(category.access_level.rank for category in chosen)
            school.picks.append((tuple(category.pk for category in chosen), rank, name))
            weights.append(weight)
        school.pick_weights = list(itertools.accumulate(weights))
        agencies = Agency.objects.bulk_create(Agency(school=row, name=n) for n in demo.AGENCIES)
        school.agencies = {agency.pk: agency for agency in agencies}
        school.agency_ids = list(school.agencies)

    def _staff(self, school: _School, size: int, password_hash: str) -> None:
        """One school administrator, about 5% key holders in the DSL team, the rest staff."""
        rng, levels = self.rng, school.levels
        key_holders = max(1, round(size * 0.05))
        used: set[tuple[str, str]] = set()
        users, sexes = [], []
        for number in range(1, size + 1):
            sex, first = rng.choice(self.first_names)
            last = rng.choice(demo.SURNAMES)
            while (first, last) in used:
                sex, first = rng.choice(self.first_names)
            used.add((first, last))
            if number == 1:
                title, level, key, admin = "School administrator", None, False, True
            elif number <= 1 + key_holders:
                title = KEY_HOLDER_TITLES[(number - 2) % len(KEY_HOLDER_TITLES)]
                level, key, admin = levels["DSL team"], True, False
            else:
                title = (
                    rng.choice(STAFF_TITLES)
                    if rng.random() < 0.4
                    else f"Teacher of {rng.choice(LESSONS)}"
                )
                level, key, admin = levels["Staff"], False, False
            users.append(
                User(
                    school=school.row,
                    email=f"scale-{school.index}-{number}@example.org",
                    first_name=first,
                    last_name=last,
                    job_title=title,
                    access_level=level,
                    is_key_holder=key,
                    is_school_admin=admin,
                    password=password_hash,
                )
            )
            sexes.append(sex)
        User.objects.bulk_create(users)
        for number, (user, sex) in enumerate(zip(users, sexes, strict=True), start=1):
            ip = f"10.{school.index % 256}.{number // 250}.{number % 250 + 1}"
            honorific = rng.choice(["Mrs", "Ms", "Miss"]) if sex == "F" else "Mr"
            self.people[user.pk] = _Person(
                name=user.full_name,
                name_json=_json(user.full_name),
                ip=ip,
                ip_json=f'"{ip}"',
                title_name=f"{honorific} {user.last_name}",
            )
            if user.is_school_admin:
                continue
            school.alertable.append(user.pk)
            if user.is_key_holder:
                school.key_holders.append(user.pk)
            school.reporters.extend([user.pk] * rng.choice([1, 1, 1, 2, 3, 5]))
        self._alert_groups(school, users)

    def _alert_groups(self, school: _School, users: list[User]) -> None:
        dsl = [user for user in users if user.is_key_holder]
        teachers = [user for user in users if user.job_title.startswith("Teacher of")]
        support = [
            user
            for user in users
            if not (user.is_key_holder or user.is_school_admin or user in teachers)
        ]
        for name, about, members in [
            ("SLT", "Senior leadership team", dsl + teachers[:3]),
            ("Teachers", "Every teacher", teachers),
            ("DSL team", "Designated Safeguarding Lead and deputies", dsl),
            ("Pastoral team", "Heads of year, SENCO and family liaison", support[:6]),
            ("Support staff", "Teaching assistants and support staff", support),
        ]:
            group = AlertGroup.objects.create(school=school.row, name=name, description=about)
            group.members.set(members)

    # Students

    def add_students(self, total: int) -> None:
        students = self.table(Student)
        for position, school in enumerate(self.schools):
            self._students(school, _share(total, len(self.schools), position), students)
        self.write(self.batch())

    def _students(self, school: _School, size: int, students: _Table) -> None:
        """A school's students over ten years: the cohorts on roll now and those who left.

        Each student has a window of time, while they were at the school, for their incidents.
        """
        rng, today, now = self.rng, self.today, self.now_us
        groups = PRIMARY if school.index % 2 else SECONDARY
        span = len(groups)
        academic_year = today.year if today.month >= 9 else today.year - 1
        cohorts = YEARS + span - 1  # every cohort that was at the school in the last ten years
        horizon = now - YEARS * 365 * DAY
        created = self.at(self._recorded(now)) + self.suffix
        feeders = rng.sample(range(2000, 3000), 12)
        serials: dict[tuple[int, int], int] = {}
        epoch = EPOCH.date()
        for number in range(size):
            entered = academic_year - cohorts + 1 + number % cohorts  # the September they came
            years_in = academic_year - entered  # their year group now, were they still here
            sex, first = rng.choice(self.first_names)
            last = rng.choice(demo.SURNAMES)
            born = demo._birth_date(rng, groups[0][0] + years_in, today)
            while True:  # a UPN from the school where they started, unique at this school
                feeder = rng.choice(feeders)
                serial = serials.get((feeder, born.year + 4), 0) + 1
                if serial < 1000:
                    break
                feeders.append(rng.randrange(3000, 4000))
            serials[feeder, born.year + 4] = serial
            on_roll = years_in < span
            if on_roll:
                year, label = groups[years_in]
                form, letters = number // cohorts // 30, len(GROUP_LETTERS)  # 30 to a form
                tutor_group = f"{label}{GROUP_LETTERS[form % letters]}"
                tutor_group += str(form // letters + 1) if form >= letters else ""
                left_on, end = None, now
            else:
                year, tutor_group = groups[-1][0], ""
                left = datetime.date(entered + span, 7, 20)
                left_on, end = left.isoformat(), (left - epoch).days * DAY + 15 * HOUR
            start = (datetime.date(entered, 9, 1) - epoch).days * DAY + 8 * HOUR
            student_id = students.next_id
            students.next_id += 1
            preferred = first.split("-")[0] if "-" in first and rng.random() < 0.04 else ""
            upn = make_upn(LA_CODE, feeder, born.year + 4, serial)
            searched = (first, last, preferred, "", upn, tutor_group)  # search.SEARCH_FIELDS
            students.rows.append(
                (
                    student_id, school.id, first, last, preferred, "", born.isoformat(), upn,
                    year, tutor_group, on_roll, left_on, created, fold(" ".join(searched)),
                )
            )  # fmt: skip
            self.students[student_id] = (first, PRONOUNS[sex])
            school.student_ids.append(student_id)
            school.windows.append((max(start, horizon), min(end, now - MINUTE)))
            school.on_roll.append(on_roll)

    # Incidents: whose, and when

    def plan_incidents(self, total: int) -> tuple[array, ...]:
        """Every incident's times, student, school and random seed, in the order recorded.

        Each incident makes its rows from a random stream of its own, so that the same --seed
        makes the same records whenever it runs, though their times move with the clock."""
        occurred, recorded, students = array("q"), array("q"), array("q")
        schools, seeds = array("b"), array("q")
        for position, school in enumerate(self.schools):
            size = _share(total, len(self.schools), position)
            for student_id, happened, written in self._school_incidents(school, size):
                occurred.append(happened)
                recorded.append(written)
                students.append(student_id)
                schools.append(position)
                seeds.append(self.rng.getrandbits(63))
        order = sorted(range(len(recorded)), key=recorded.__getitem__)
        return tuple(array(found.typecode, (found[i] for i in order)) for found in (
            occurred, recorded, students, schools, seeds
        ))  # fmt: skip

    def incident_counts(self, school: _School, size: int) -> dict[int, int]:
        """How many incidents each student has (by position): none for most, a long Pareto
        tail, and one student on roll for years with at least TOP_CHRONOLOGY when possible."""
        rng = self.rng
        pupils = len(school.student_ids)
        involved = min(size, round(pupils * SHARE_WITH_INCIDENTS))
        if not involved:
            return {}
        candidates = [i for i in range(pupils) if school.on_roll[i]] or list(range(pupils))
        earliest = min(school.windows[i][0] for i in candidates)
        top = rng.choice([i for i in candidates if school.windows[i][0] == earliest])
        others = rng.sample([i for i in range(pupils) if i != top], involved - 1)
        weights = sorted(
            (min(rng.paretovariate(PARETO_ALPHA), PARETO_CAP) for _ in range(involved)),
            reverse=True,
        )
        counts = _spread(size, weights)
        if counts[0] < TOP_CHRONOLOGY and size >= TOP_CHRONOLOGY + involved - 1:
            counts = [TOP_CHRONOLOGY, *_spread(size - TOP_CHRONOLOGY, weights[1:])]
        return dict(zip([top, *others], counts, strict=True))

    def _school_incidents(self, school: _School, size: int):
        random_, now = self.random, self.now_us
        counts = self.incident_counts(school, size)
        on_roll = sum(count for i, count in counts.items() if school.on_roll[i])
        recent = min(1.0, RECENT_SHARE * size / on_roll) if on_roll else 0.0
        for position, count in counts.items():
            start, end = school.windows[position]
            student_id = school.student_ids[position]
            here = school.on_roll[position]
            for _ in range(count):
                if here and random_() < recent:
                    moment = max(now - MINUTE - int(random_() * 7 * DAY), start)
                else:
                    moment = _school_hours(start + int(random_() * (end - start)), random_)
                    moment = min(max(moment, start), end)
                moment -= moment % MINUTE
                # Recorded a few minutes to a day later, and never in the future.
                delay = _delay(random_, [(0.6, 2 * MINUTE, HOUR), (0.3, HOUR, 8 * HOUR)], DAY)
                yield student_id, moment, self._recorded(moment + delay)

    # Incidents: the rows, with their actions, alerts and audit events in time order

    def add_incidents(self, total: int) -> None:
        """Makes the incidents in a process of its own, and writes them here as they come."""
        for model in COLUMNS:
            if model is not Student:
                self.table(model)
        for school in self.schools:
            school.seq, school.prev_hash = _tail(school.id)
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)
        maker = context.Process(target=self._make, args=(total, sending), daemon=True)
        maker.start()
        sending.close()
        try:
            while True:
                kind, value = marshal.loads(receiving.recv_bytes())  # noqa: S302 - our child
                if kind == "rows":
                    self.write(value)
                elif kind == "made":
                    self.progress(f"{value}; written: {self.written()}")
                elif kind == "done":
                    for name, next_id in value.items():
                        self.by_name[name].next_id = next_id
                    break
                else:
                    raise RuntimeError(f"Making the incidents failed:\n{value}")
        except BaseException:
            maker.terminate()  # the process this started, and only it
            raise
        finally:
            maker.join()
            receiving.close()

    def _make(self, total: int, sending) -> None:
        """In the forked process: every incident with its rows, sent in batches. Never uses
        the database connection, which belongs to the parent."""

        def send(kind, value) -> None:
            sending.send_bytes(marshal.dumps((kind, value)))

        try:
            self._make_incidents(total, send)
            send("done", {found.name: found.next_id for found in self.tables.values()})
        except BaseException:
            send("error", traceback.format_exc())

    def _make_incidents(self, total: int, send) -> None:
        tables = self.tables
        self.incidents, self.actions, self.alerts = tables[Incident], tables[Action], tables[Alert]
        self.incident_categories = tables[Incident.categories.through]
        self.incident_agencies = tables[Incident.agencies.through]
        self.action_agencies = tables[Action.agencies.through]
        self.links, self.markers = tables[LinkedStudent], tables[BodyMapMarker]
        self.audit = tables[AuditEvent]
        occurred, recorded, students, schools, seeds = self.plan_incidents(total)
        send("made", f"Planned {len(recorded)} incidents")
        step = max(total // 10, 1)
        pending, later, incident, reseed = self.pending, self._later, self._incident, self.rng.seed
        for position, moment in enumerate(recorded):
            while pending and pending[0][0] <= moment:
                later(heapq.heappop(pending))
            reseed(seeds[position])
            incident(
                self.schools[schools[position]], students[position], occurred[position], moment
            )
            if (position + 1) % BATCH_INCIDENTS == 0:
                send("rows", self.batch())
            if (position + 1) % step == 0:
                send("made", f"{position + 1} incidents made")
        while pending:
            later(heapq.heappop(pending))
        send("rows", self.batch())

    def _incident(self, school: _School, student_id: int, occurred: int, recorded: int) -> None:
        random_, pick = self.random, self.pick
        incidents = self.incidents
        incident_id = incidents.next_id
        incidents.next_id += 1
        reporter = pick(school.reporters)
        first, pronouns = self.students[student_id]
        weights = school.pick_weights
        categories, rank, family = school.picks[bisect.bisect(weights, random_() * weights[-1])]
        if len(categories) == 1 and random_() < 0.25:  # and a second main category
            other, other_rank, _ = school.picks[pick(school.main_picks)]
            if other != categories:
                categories, rank = categories + other, max(rank, other_rank)
        child_protection = family == "Child Protection"
        agencies = ()
        if random_() < (0.3 if child_protection else 0.03):
            agencies = tuple(self.rng.sample(school.agency_ids, 1 if random_() < 0.7 else 2))
        words = {
            "n": first,
            "staff": self.people[pick(school.alertable)].title_name,
            "place": pick(PLACES),
            "lesson": pick(LESSONS),
            "time": pick(TIMES),
            "carer": pick(CARERS),
            "body": pick(BODY),
            "agency": pick(demo.AGENCIES),
            **pronouns,
        }
        text = pick(INCIDENT_TEXT[family]).format_map(words)
        for _ in range(pick((0, 1, 1, 2, 2, 3))):
            text += " " + pick(FOLLOW_UPS).format_map(words)
        markers = ()
        if random_() < (0.12 if child_protection else 0.015):
            markers = self._markers(incident_id)
            text += " Marks shown on the body map: " + ", ".join(
                f"{marker['number']} ({pick(BODY)}, {marker['side']})" for marker in markers
            )
        at = self.at(recorded)
        suffix = self.suffix
        incidents.rows.append(
            (
                incident_id, school.id, student_id, reporter, text[:600],
                self.minute(occurred) + suffix, at + suffix, rank,
                self._snapshot(school, categories, agencies, markers),
            )
        )  # fmt: skip
        through = self.incident_categories
        for category in categories:
            through.rows.append((through.next_id, incident_id, category))
            through.next_id += 1
        through = self.incident_agencies
        for agency in agencies:
            through.rows.append((through.next_id, incident_id, agency))
            through.next_id += 1
        linked = self._links(school, incident_id, student_id) if random_() < 0.1 else 0
        session = "%064x" % self.rng.getrandbits(256)  # noqa: UP031 - the request's session
        alerted = self._alerts(school, incident_id, student_id, reporter, recorded, at, session)
        self._audit(
            school, reporter, "incident.added", "incidents.incident", incident_id,
            f"Incident {incident_id}", student_id, f'{{"alerted":{alerted},"linked":{linked}}}',
            session, at,
        )  # fmt: skip
        self._plan_actions(school, incident_id, student_id, reporter, recorded, words, linked)

    def _snapshot(self, school: _School, categories, agencies, markers) -> str:
        """The incident's snapshot as kestrel.incidents.models.snapshot_of makes it."""
        key = (categories, agencies)
        found = None if markers else self.snapshots.get(key)
        if found is None:
            found = _json(
                snapshot_of(
                    categories=[school.categories[pk] for pk in categories],
                    agencies=[school.agencies[pk] for pk in agencies],
                    markers=markers,
                )
            )
            if not markers:
                self.snapshots[key] = found
        return found

    def _markers(self, incident_id: int) -> list[dict]:
        rng, markers, made = self.rng, self.markers, []
        for number in range(1, rng.choice((1, 1, 2, 3, 4)) + 1):
            side = "front" if rng.random() < 0.6 else "back"
            x, y = round(rng.uniform(0.2, 0.8), 3), round(rng.uniform(0.05, 0.95), 3)
            made.append({"number": number, "side": side, "x": x, "y": y})
            markers.rows.append((markers.next_id, incident_id, number, side, x, y))
            markers.next_id += 1
        return made

    def _links(self, school: _School, incident_id: int, student_id: int) -> int:
        random_, links = self.random, self.links
        chosen = {self.pick(school.student_ids) for _ in range(1 if random_() < 0.7 else 2)}
        chosen.discard(student_id)
        for other in chosen:
            links.rows.append(
                (links.next_id, incident_id, other, random_() < 0.3, random_() < 0.25)
            )
            links.next_id += 1
        return len(chosen)

    def _alerts(self, school, incident_id, student_id, reporter, recorded, at, session) -> int:
        """Alerts to about 4 colleagues (0 to 13), the DSL team first, never the reporter.
        Alerts older than two weeks have been read; most of the last two weeks' have not."""
        random_, pick, alerts, now = self.random, self.pick, self.alerts, self.now_us
        getrandbits = self.rng.getrandbits
        wanted = 0 if random_() < 0.03 else 1 + bisect.bisect(POISSON_31, random_())
        if not wanted:
            return 0
        dsl = [person for person in school.key_holders if person != reporter]
        chosen = self.rng.sample(dsl, min(wanted, len(dsl), 1 if random_() < 0.6 else 2))
        wanted = min(wanted, len(school.alertable) - 1)
        while len(chosen) < wanted:
            person = pick(school.alertable)
            if person != reporter and person not in chosen:
                chosen.append(person)
        old = recorded < now - READ_AFTER_DAYS * DAY
        suffix = self.suffix
        at_text = at + suffix
        # One task sends the emails of one incident's alerts, a few seconds after it is saved.
        sent = self.at(self._recorded(recorded + 1_000_000 + int(random_() * 30_000_000)))
        sent += suffix
        school_id, rows, people = school.id, alerts.rows, self.people
        for recipient in chosen:
            alert_id = alerts.next_id
            alerts.next_id += 1
            read = read_at = None
            delay = _delay(random_, [(0.5, MINUTE, HOUR), (0.35, HOUR, DAY)], 10 * DAY)
            # Drawn whether used or not, so that the stream does not depend on the clock.
            read_soon, reading = random_() < 0.3, "%064x" % getrandbits(256)  # noqa: UP031
            if old or (read_soon and recorded + delay < now):
                read = self._recorded(recorded + delay)
                read_at = self.at(read)
                what = (school, recipient, incident_id, student_id, alert_id, read_at, reading)
                heapq.heappush(self.pending, (read, next(self.order), what))
                read_at += suffix
            rows.append(
                (
                    alert_id, school_id, incident_id, recipient, reporter, at_text, read_at,
                    "sent", 1, sent, "",
                )
            )  # fmt: skip
            name = people[recipient].name_json
            self._audit(
                school, reporter, "alert.sent", "incidents.incident", incident_id,
                f"Incident {incident_id}", student_id,
                f'{{"action":null,"recipient":{recipient},"recipient_name":{name}}}', session, at,
            )  # fmt: skip
        return len(chosen)

    def _plan_actions(self, school, incident_id, student_id, reporter, recorded, words, linked):
        """About three actions per incident, one after another in the days that follow."""
        random_, pick, now = self.random, self.pick, self.now_us
        moment = recorded
        for _ in range(bisect.bisect(POISSON_3, random_())):
            gap = int(-math.log(1.0 - random_()) * 2 * DAY)  # two days on average
            instead = int(random_() * (now - moment))  # if that would be in the future
            moment += gap if moment + gap < now else instead
            done = self._recorded(moment + int(random_() * 4 * HOUR))
            roll = random_()
            if roll < 0.65:
                author = pick(school.key_holders)
            else:
                author = reporter if roll < 0.85 else pick(school.alertable)
            words["staff"] = self.people[pick(school.alertable)].title_name
            words["agency"] = pick(demo.AGENCIES)
            text = pick(ACTION_TEXT).format_map(words)
            if random_() < 0.4:
                text += " " + pick(ACTION_FOLLOW_UPS).format_map(words)
            agencies = (pick(school.agency_ids),) if random_() < 0.05 else ()
            what = (
                school, author, incident_id, student_id, moment - moment % MINUTE, text,
                bool(linked) and random_() < 0.3, random_() < 0.1, agencies,
                "%064x" % self.rng.getrandbits(256),  # noqa: UP031 - its session
            )  # fmt: skip
            heapq.heappush(self.pending, (done, next(self.order), what))

    def _later(self, event: tuple) -> None:
        """An action recorded, or an alert marked as read, in its place in the audit trail."""
        moment, _, what = event
        if len(what) == 7:
            school, recipient, incident_id, student_id, alert_id, at, session = what
            self._audit(
                school, recipient, "alert.read", "incidents.incident", incident_id,
                f"Incident {incident_id}", student_id, f'{{"alert":{alert_id}}}', session, at,
            )  # fmt: skip
            return
        (school, author, incident_id, student_id, occurred, text, linked, share, agencies,
         session) = what  # fmt: skip
        actions = self.actions
        action_id = actions.next_id
        actions.next_id += 1
        at = self.at(moment)
        snapshot = self.snapshots.get(agencies)
        if snapshot is None:
            names = snapshot_of(agencies=[school.agencies[pk] for pk in agencies])["agencies"]
            snapshot = self.snapshots[agencies] = _json({"agencies": names})
        actions.rows.append(
            (
                action_id, school.id, incident_id, author, text,
                self.minute(occurred) + self.suffix, at + self.suffix, linked, share, snapshot,
            )
        )  # fmt: skip
        through = self.action_agencies
        for agency in agencies:
            through.rows.append((through.next_id, action_id, agency))
            through.next_id += 1
        self._audit(
            school, author, "action.added", "incidents.action", action_id, f"Action {action_id}",
            student_id, f'{{"alerted":0,"incident":{incident_id}}}', session, at,
        )  # fmt: skip

    def _audit(
        self, school, actor, action, object_type, object_id, object_label, student_id, detail,
        session, at,
    ) -> None:  # fmt: skip
        """One audit row at the end of its school's chain. `detail` is JSON with sorted keys;
        the canonical form is `chain.canonical`'s, written out (the tests compare the two)."""
        person = self.people[actor]
        seq = school.seq = school.seq + 1
        school_id = school.id
        prev = school.prev_hash
        inner = self.inner.copy()  # Signer.sign, inline: this runs for every audit row
        inner.update(
            f'{prev}|[{school_id},{seq},{school_id},{actor},{person.name_json},"{action}",'
            f'"{object_type}","{object_id}","{object_label}",{student_id},{detail},'
            f'{person.ip_json},"{session}","{at[:10]}T{at[11:]}+00:00"]'.encode()
        )
        outer = self.outer.copy()
        outer.update(inner.digest())
        school.prev_hash = signed = outer.hexdigest()
        audit = self.audit
        audit.rows.append(
            (
                audit.next_id, school_id, actor, person.name, action, object_type,
                str(object_id), object_label, student_id, detail, person.ip, session,
                at + self.suffix, school_id, seq, prev, signed,
            )
        )  # fmt: skip
        audit.next_id += 1


def _sequence(cursor, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{table}"'])
    return cursor.fetchone()[0]


@contextlib.contextmanager
def _indexes_built_after(sink, tables: list[str]):
    """Drops the tables' non-unique indexes for the load and builds them again after it: one
    sort per index is far quicker than millions of inserts into it. Inside the transaction, so
    a failed seed leaves them as they were; each is made again from its own definition."""
    dropped = []
    with connection.cursor() as cursor:
        for table in tables:
            for name, definition in sink.secondary_indexes(table):
                cursor.execute(f'DROP INDEX "{name}"')
                dropped.append(definition)
    yield
    with connection.cursor() as cursor:
        for definition in dropped:
            cursor.execute(definition)


def _share(total: int, parts: int, position: int) -> int:
    """The `position`th of `parts` near-equal shares of `total`."""
    return total // parts + (1 if position < total % parts else 0)


def _poisson_cdf(mean: float, highest: int) -> list[float]:
    total, term, cdf = 0.0, math.exp(-mean), []
    for k in range(highest):
        total += term
        cdf.append(total)
        term *= mean / (k + 1)
    return cdf


# bisect(POISSON_3, random()) draws from Poisson(3), at most 12.
POISSON_3 = _poisson_cdf(3.0, 12)
POISSON_31 = _poisson_cdf(3.1, 12)


def _spread(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, at least one each (total >= len(weights))."""
    rest, weight = total - len(weights), sum(weights)
    counts = [1 + int(rest * share / weight) for share in weights]
    short = total - sum(counts)
    for index in sorted(range(len(weights)), key=weights.__getitem__, reverse=True)[:short]:
        counts[index] += 1
    return counts


def _delay(random_, bands: list[tuple[float, int, int]], longest: int) -> int:
    """A delay from bands of (chance, shortest, longest), else up to `longest`."""
    roll = random_()
    for chance, low, high in bands:
        if roll < chance:
            return low + int(random_() * (high - low))
        roll -= chance
    low = bands[-1][2]
    return low + int(random_() * (longest - low))


def _school_hours(moment: int, random_) -> int:
    """Most incidents happen on a school day between 7am and 3:30pm UTC."""
    day = moment // DAY
    weekday = (day + 3) % 7  # 1 January 1970 was a Thursday
    if random_() < 0.9 and weekday >= 5:  # drawn every time: see plan_incidents
        day -= weekday - 4
    if random_() < 0.85:
        return day * DAY + 7 * HOUR + int(random_() * 8.5 * HOUR)
    return day * DAY + int(random_() * DAY)


def _tail(school_id: int) -> tuple[int, str]:
    last = (
        AuditEvent.objects.filter(chain=chain.chain_for(school_id))
        .order_by("-seq")
        .values_list("seq", "row_hash")
        .first()
    )
    return last if last else (0, chain.GENESIS)


@contextlib.contextmanager
def _fast_connection():
    """SQLite settings for this connection only while seeding, put back afterwards."""
    connection.ensure_connection()
    restore = []
    # Only outside a transaction: SQLite refuses these inside one (as in the tests).
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for pragma, value in [
                ("foreign_keys", "OFF"),  # every reference is made here, within its school
                ("synchronous", "OFF"),
                ("cache_size", "-1000000"),  # 1 GB
                ("journal_mode", "DELETE"),  # new pages of one transaction need no journal
            ]:
                before = cursor.execute(f"PRAGMA {pragma}").fetchone()[0]
                cursor.execute(f"PRAGMA {pragma} = {value}")
                restore.insert(0, f"PRAGMA {pragma} = {before}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in restore:
                cursor.execute(statement)


def _fast_transaction() -> None:
    """PostgreSQL settings for the seeding transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")  # to build the indexes


@contextlib.contextmanager
def _reference_triggers_skipped():
    """On PostgreSQL, skips the per-row foreign key triggers while loading (superusers only;
    for others they run): every reference is made here within its school, as the tests check."""
    skipped = False
    if connection.vendor == "postgresql":
        with contextlib.suppress(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute("SET LOCAL session_replication_role = replica")
            skipped = True
    yield
    if skipped:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def seed_scale(
    *,
    schools: int = 5,
    staff: int = 300,
    students: int = 50_000,
    incidents: int = 1_000_000,
    seed: int = SEED,
    password: str = PASSWORD,
    now: datetime.datetime | None = None,
    log=print,
) -> dict[str, int]:
    """Adds the trust's schools with staff, students and ten years of records, in one
    transaction. Returns the rows written per table."""
    taken = existing_school(schools)
    if taken:
        raise SchoolExists(taken)
    now = now or timezone.now()
    with _fast_connection():
        seeder = _Seeder(rng=random.Random(seed), now=now, log=log)  # noqa: S311 - not a secret
        with transaction.atomic():
            _fast_transaction()
            seeder.set_up_schools(schools, staff, password)
            seeder.progress(f"{schools} schools and {staff} staff set up")
            seeder.add_students(students)
            seeder.progress(f"{students} students")
            bulk = [model._meta.db_table for model in COLUMNS if model is not Student]
            with _reference_triggers_skipped(), _indexes_built_after(seeder.sink, bulk):
                seeder.add_incidents(incidents)
                seeder.progress("Written: " + seeder.written())
            seeder.progress("Indexes built")
            seeder.reset_sequences()
            # The trail says, after everything else, that these records are made up.
            chain.bulk_append(
                AuditEvent(
                    school=school.row,
                    action="scale.seeded",
                    object_type="schools.school",
                    object_id=str(school.row.pk),
                    object_label=school.row.name,
                    detail={"seed": seed, "students": students, "incidents": incidents},
                )
                for school in seeder.schools
            )
        seeder.progress("Committed")
    counts = {School._meta.db_table: schools, User._meta.db_table: staff, **seeder.summary()}
    counts[AuditEvent._meta.db_table] += schools
    # Planner statistics for the new rows: without them both databases may pick a school-wide
    # index where a per-person one answers at once (seen on SQLite with the Dashboard's alerts).
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=2000")
        for name in counts:
            cursor.execute(f'ANALYZE "{name}"')
    seeder.progress("Analysed")
    return counts
