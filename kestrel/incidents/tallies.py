"""Chronology tallies, kept at write time: how many incidents each student's chronology holds, by
the rank the incidents need (`ChronologyTally`).

Database triggers keep them, on PostgreSQL and on SQLite, so every writer counts alike: the
services, imports, the bench's seeder and raw SQL. An incident inserted counts once on its
student's chronology; a linked student counts it once on theirs; a change of student or rank
(never made today: incidents are permanent) or a removed link moves the count. The chronology
then sums the tally rows up to the viewer's rank instead of counting every entry at each visit.
`rebuild` recounts from the incidents (the migration that added the tallies; `verify` checks).
"""

from django.db import connection

TALLY = "incidents_chronologytally"
INCIDENT = "incidents_incident"
LINK = "incidents_linkedstudent"


def _add(school: str, student: str, rank: str, sign: int, *, source: str = "") -> str:
    """One statement that adds `sign` to a tally row, making it if needed (both databases)."""
    # SQLite reads ON CONFLICT after a SELECT only when the SELECT has a WHERE clause.
    values = f"SELECT {school}, {student}, {rank}, {sign} {source or 'WHERE true'}"
    return (
        f"INSERT INTO {TALLY} (school_id, student_id, required_rank, entries) {values} "
        f"ON CONFLICT (student_id, required_rank) "
        f"DO UPDATE SET entries = {TALLY}.entries + ({sign})"
    )


def _link_rank(row: str) -> str:
    return f"FROM {INCIDENT} incident WHERE incident.id = {row}.incident_id"


POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION kestrel_tally_incident() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_add("OLD.school_id", "OLD.student_id", "OLD.required_rank", -1)};
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            {_add("NEW.school_id", "NEW.student_id", "NEW.required_rank", 1)};
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE OR REPLACE FUNCTION kestrel_tally_link() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {
        _add(
            "incident.school_id",
            "OLD.student_id",
            "incident.required_rank",
            -1,
            source=_link_rank("OLD"),
        )
    };
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            {
        _add(
            "incident.school_id",
            "NEW.student_id",
            "incident.required_rank",
            1,
            source=_link_rank("NEW"),
        )
    };
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"DROP TRIGGER IF EXISTS tally_incident ON {INCIDENT}",
    f"""
    CREATE TRIGGER tally_incident AFTER INSERT OR DELETE OR UPDATE OF student_id, required_rank
    ON {INCIDENT} FOR EACH ROW EXECUTE FUNCTION kestrel_tally_incident()
    """,
    f"DROP TRIGGER IF EXISTS tally_link ON {LINK}",
    f"""
    CREATE TRIGGER tally_link AFTER INSERT OR DELETE OR UPDATE OF student_id, incident_id
    ON {LINK} FOR EACH ROW EXECUTE FUNCTION kestrel_tally_link()
    """,
]
POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS tally_incident ON {INCIDENT}",
    f"DROP TRIGGER IF EXISTS tally_link ON {LINK}",
    "DROP FUNCTION IF EXISTS kestrel_tally_incident()",
    "DROP FUNCTION IF EXISTS kestrel_tally_link()",
]

_SQLITE_TRIGGERS = {
    "tally_incident_insert": (
        f"AFTER INSERT ON {INCIDENT}",
        [_add("NEW.school_id", "NEW.student_id", "NEW.required_rank", 1)],
    ),
    "tally_incident_delete": (
        f"AFTER DELETE ON {INCIDENT}",
        [_add("OLD.school_id", "OLD.student_id", "OLD.required_rank", -1)],
    ),
    "tally_incident_update": (
        f"AFTER UPDATE OF student_id, required_rank ON {INCIDENT}",
        [
            _add("OLD.school_id", "OLD.student_id", "OLD.required_rank", -1),
            _add("NEW.school_id", "NEW.student_id", "NEW.required_rank", 1),
        ],
    ),
    "tally_link_insert": (
        f"AFTER INSERT ON {LINK}",
        [
            _add(
                "incident.school_id", "NEW.student_id", "incident.required_rank", 1,
                source=_link_rank("NEW"),
            )
        ],
    ),
    "tally_link_delete": (
        f"AFTER DELETE ON {LINK}",
        [
            _add(
                "incident.school_id", "OLD.student_id", "incident.required_rank", -1,
                source=_link_rank("OLD"),
            )
        ],
    ),
    "tally_link_update": (
        f"AFTER UPDATE OF student_id, incident_id ON {LINK}",
        [
            _add(
                "incident.school_id", "OLD.student_id", "incident.required_rank", -1,
                source=_link_rank("OLD"),
            ),
            _add(
                "incident.school_id", "NEW.student_id", "incident.required_rank", 1,
                source=_link_rank("NEW"),
            ),
        ],
    ),
}  # fmt: skip
SQLITE_INSTALL = [
    statement
    for name, (when, body) in _SQLITE_TRIGGERS.items()
    for statement in (
        f"DROP TRIGGER IF EXISTS {name}",
        f"CREATE TRIGGER {name} {when} BEGIN {'; '.join(body)}; END",
    )
]
SQLITE_REMOVE = [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE_TRIGGERS]

# Every tally recounted from the incidents and their links. (The SQL of this module is made of
# its own constants only: nothing typed reaches it.)
RECOUNT = f"""
    SELECT school_id, student_id, required_rank, COUNT(*) FROM (
        SELECT school_id, student_id, required_rank FROM {INCIDENT}
        UNION ALL
        SELECT incident.school_id, link.student_id, incident.required_rank
        FROM {LINK} link JOIN {INCIDENT} incident ON incident.id = link.incident_id
    ) entries
    GROUP BY school_id, student_id, required_rank
"""  # noqa: S608
KEPT = f"SELECT school_id, student_id, required_rank, entries FROM {TALLY}"  # noqa: S608


def _statements(install: bool) -> list[str]:
    if connection.vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_REMOVE
    if connection.vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    raise NotImplementedError(f"No tally triggers for {connection.vendor}")


def install(using=connection) -> None:
    with using.cursor() as cursor:
        for statement in _statements(install=True):
            cursor.execute(statement)


def remove(using=connection) -> None:
    with using.cursor() as cursor:
        for statement in _statements(install=False):
            cursor.execute(statement)


def rebuild(using=connection) -> None:
    """Recounts every tally from the incidents and links (in the caller's transaction)."""
    with using.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TALLY}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {TALLY} (school_id, student_id, required_rank, entries) {RECOUNT}"
        )


def differences(using=connection) -> list[tuple]:
    """Tallies that disagree with a recount: (school, student, rank, kept, counted)."""
    with using.cursor() as cursor:
        cursor.execute(RECOUNT)
        counted = {(row[0], row[1], row[2]): row[3] for row in cursor.fetchall()}
        cursor.execute(KEPT)
        kept = {(row[0], row[1], row[2]): row[3] for row in cursor.fetchall()}
    return sorted(
        (*key, kept.get(key, 0), counted.get(key, 0))
        for key in counted.keys() | kept.keys()
        if kept.get(key, 0) != counted.get(key, 0)
    )
