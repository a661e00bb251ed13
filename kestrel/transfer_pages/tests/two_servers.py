"""Two real Kestrels on this machine, for the tests of a child's file travelling between them.

Each is `manage.py serve` (the web server and its task worker) on its own port, with its own
SQLite database, its own var folder (secret key, field encryption keys, stored files) and its own
SITE_URL: as two schools' installations would be, sharing nothing but the network. The tests
drive each through `manage.py shell -c` in that server's environment (`Kestrel.python`), over
HTTP, or (the browser walk) through its pages at `Kestrel.url`.

School A is the demo school (Ashdown Primary School, URN 100001, Hannah Greenwood among its
pupils, Chloe Kelan its DSL); school B is Brook Lane Academy (URN 100002), with Priya Shah as its
DSL and Hannah on its roll under the same UPN (`seed_receiving_school`).

    from kestrel.transfer_pages.tests.two_servers import two_kestrels  # noqa: F401 (fixture)

    def test_...(two_kestrels):
        a, b = two_kestrels
        a.python("print(...)")
"""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MANAGE = [sys.executable, "manage.py"]
# The settings a server takes from its environment that must be its own, not the test run's.
OWN = ("SITE_URL", "DATABASE_URL", "KESTREL_VAR_DIR", "FIELD_ENCRYPTION_KEYS", "SECRET_KEY")
A_URN, B_URN = "100001", "100002"
PASSWORD = "correct horse battery staple 22"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, seconds: float = 60.0, every: float = 0.5):
    """The predicate's first true value within `seconds`, else None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    return None


@dataclass
class Kestrel:
    """One installation: its folder, port and environment, and the running `serve` process."""

    name: str
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / "serve.log"

    @property
    def env(self) -> dict:
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("DJANGO_") and key not in OWN
        }
        return {
            **inherited,
            "DATABASE_URL": f"sqlite:///{self.folder / 'kestrel.sqlite3'}",
            "KESTREL_VAR_DIR": str(self.folder),
            "SITE_URL": self.url,
            "PYTHONUNBUFFERED": "1",
        }

    def manage(self, *command: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [*MANAGE, *command],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise AssertionError(
                f"{self.name}: manage.py {' '.join(command)} failed\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def python(self, code: str, timeout: float = 120):
        """Runs `code` in this Kestrel's `manage.py shell` (school scoping off, as a command's
        is) and returns what its last line printed, read as JSON."""
        script = "from kestrel.schools.scope import scopes_disabled\nwith scopes_disabled():\n"
        script += textwrap.indent(textwrap.dedent(code).strip(), "    ")
        printed = self.manage("shell", "-c", script, timeout=timeout).strip().splitlines()
        return json.loads(printed[-1]) if printed else None

    def start(self) -> None:
        log = self.log.open("a")
        self.process = subprocess.Popen(
            [*MANAGE, "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not wait_for(self.answers, seconds=60):
            raise AssertionError(f"{self.name} did not start:\n{self.log.read_text()}")

    def answers(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self.url}/login/", timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)  # as Ctrl-C: serve stops its worker too
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def migrate_all(*servers: Kestrel) -> None:
    """Migrates each server's database, side by side."""
    running = [
        (
            server,
            subprocess.Popen(
                [*MANAGE, "migrate", "-v0"],
                cwd=ROOT,
                env=server.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
        )
        for server in servers
    ]
    for server, process in running:
        output, _ = process.communicate(timeout=300)
        if process.returncode:
            raise AssertionError(f"{server.name}: migrate failed\n{output}")


def seed_sending_school(a: Kestrel) -> dict:
    """The demo school at A (URN 100001); Chloe Kelan's password set. Hannah's id and UPN."""
    a.manage("seed_demo")
    return a.python(
        f"""
        import json
        from kestrel.accounts.models import User
        from kestrel.schools.models import School
        from kestrel.students.models import Student
        School.objects.update(urn={A_URN!r})
        chloe = User.objects.get(email="chloe.kelan@example.org")
        chloe.set_password({PASSWORD!r})
        chloe.save()
        hannah = Student.objects.get(legal_first_name="Hannah", legal_last_name="Greenwood")
        print(json.dumps({{"hannah": hannah.pk, "upn": hannah.upn, "dob": str(hannah.date_of_birth),
                          "year": hannah.year_group}}))
        """
    )


def seed_receiving_school(b: Kestrel, hannah: dict) -> dict:
    """Brook Lane Academy at B (URN 100002): its DSL Priya Shah (a key holder, password set) and
    Hannah on its roll under the UPN she had at A. Their ids."""
    return b.python(
        f"""
        import datetime, json
        from kestrel.accounts.models import User
        from kestrel.schools.models import AccessLevel, School
        from kestrel.students.models import Student
        school = School.objects.create(name="Brook Lane Academy", urn={B_URN!r})
        staff = AccessLevel.objects.create(school=school, name="Staff", rank=20)
        dsl_team = AccessLevel.objects.create(school=school, name="DSL team", rank=40)
        priya = User.objects.create_user(
            email="priya.shah@brooklane.example.org", school=school, first_name="Priya",
            last_name="Shah", job_title="Designated Safeguarding Lead", access_level=dsl_team,
            is_key_holder=True,
        )
        priya.set_password({PASSWORD!r})
        priya.save()
        hannah = Student.objects.create(
            school=school, legal_first_name="Hannah", legal_last_name="Greenwood",
            date_of_birth=datetime.date.fromisoformat({hannah["dob"]!r}),
            upn={hannah["upn"]!r}, year_group={hannah["year"]!r},
        )
        print(json.dumps({{"school": school.pk, "priya": priya.pk, "hannah": hannah.pk,
                          "staff_level": staff.pk}}))
        """
    )


@dataclass
class TwoKestrels:
    a: Kestrel
    b: Kestrel
    sender: dict  # Hannah at A: her id, UPN, date of birth, year group
    receiver: dict  # at B: the school's, Priya's and Hannah's ids

    def __iter__(self):
        return iter((self.a, self.b))


@pytest.fixture
def two_kestrels(tmp_path):
    """Kestrel A (the demo school) and Kestrel B (Brook Lane Academy), each migrated, seeded and
    serving with its task worker; both stopped when the test ends."""
    a = Kestrel("Kestrel A", tmp_path / "a")
    b = Kestrel("Kestrel B", tmp_path / "b")
    for server in (a, b):
        server.folder.mkdir()
    migrate_all(a, b)
    sender = seed_sending_school(a)
    receiver = seed_receiving_school(b, sender)
    try:
        a.start()
        b.start()
        yield TwoKestrels(a=a, b=b, sender=sender, receiver=receiver)
    finally:
        a.stop()
        b.stop()
