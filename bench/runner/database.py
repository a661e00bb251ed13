"""The bench's own database: never the developer's. Made, migrated and seeded once, then reused."""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.core.management import call_command

from bench.scale import SCHOOL_NAME

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}


@dataclass(frozen=True)
class Size:
    """What `manage.py seed_scale` is asked to make."""

    name: str
    students: int
    incidents: int
    schools: int
    staff: int

    def seed_arguments(self) -> list[str]:
        return [
            f"--students={self.students}",
            f"--incidents={self.incidents}",
            f"--schools={self.schools}",
            f"--staff={self.staff}",
        ]

    def school_names(self) -> list[str]:
        return [SCHOOL_NAME.format(number) for number in range(1, self.schools + 1)]


SIZES = {
    # For the smoke test only: seconds to seed, and unread alerts enough for mark as read.
    "tiny": Size("tiny", students=40, incidents=3000, schools=1, staff=12),
    # One school where one student has 500 or more incidents of their own.
    "small": Size("small", students=1000, incidents=20_000, schools=1, staff=60),
    "large": Size("large", students=50_000, incidents=1_000_000, schools=5, staff=300),
}


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def bench_database_url(server_url: str, size: Size, out_dir: Path) -> str:
    """The bench database for `size`: a database of its own on the PostgreSQL server that
    `server_url` names, or a SQLite file under `out_dir` (whatever SQLite file it names)."""
    if is_postgres(server_url):
        parts = urlsplit(server_url)
        return urlunsplit(parts._replace(path=f"/kestrel_bench_{size.name}"))
    return f"sqlite:///{out_dir / f'kestrel-{size.name}.sqlite3'}"


def database_label(url: str) -> str:
    return "postgres" if is_postgres(url) else "sqlite"


def _server_connection(url: str):
    """An autocommit connection to the server's maintenance database (CREATE/DROP DATABASE
    cannot run inside a transaction)."""
    import psycopg

    parts = urlsplit(url)
    last_error = None
    for name in ("postgres", "template1"):
        try:
            return psycopg.connect(urlunsplit(parts._replace(path=f"/{name}")), autocommit=True)
        except psycopg.OperationalError as error:
            last_error = error
    raise last_error


def create_postgres_database(url: str) -> bool:
    """Creates the database `url` names if the server lacks it; True if it was created."""
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with _server_connection(url) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists:
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_database(url: str) -> None:
    """Removes the bench database, so that the next run seeds a new one (`--fresh`)."""
    if is_postgres(url):
        from psycopg import sql

        name = urlsplit(url).path.lstrip("/")
        if not name.startswith("kestrel_bench_"):
            raise ValueError(f"Refusing to drop {name!r}: not a bench database.")
        with _server_connection(url) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        return
    path = Path(urlsplit(url).path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def seeded(size: Size) -> bool:
    """Whether the database already holds every school the seed for `size` makes."""
    from kestrel.schools.models import School

    names = size.school_names()
    return School.objects.filter(name__in=names).count() == len(names)


def prepare_database(size: Size, *, stdout) -> bool:
    """Migrates the bench database and seeds it unless already seeded; True if it seeded."""
    call_command("migrate", "--noinput", verbosity=0)
    if seeded(size):
        return False
    stdout.write(f"bench: seeding {size.name} ({' '.join(size.seed_arguments())})")
    call_command("seed_scale", *size.seed_arguments(), stdout=stdout)
    if not seeded(size):
        schools = ", ".join(size.school_names())
        raise RuntimeError(f"manage.py seed_scale finished, but the database lacks {schools}.")
    return True
