"""Two real Kestrels on this machine, for the tests of a child's file travelling between them.

Each is `manage.py serve` (the web server and its task worker) on its own port, with its own
SQLite database, its own var folder (secret key, field encryption keys, stored files) and its own
SITE_URL: as two schools' installations would be, sharing nothing but the network. The tests
drive each through `manage.py shell -c` in that server's environment (`Kestrel.python`), over
HTTP, or (the browser walk) through its pages at `Kestrel.url`.

School A is the demo school (Ashdown Primary School, URN 100001, Hannah Greenwood among its
pupils, Chloe Kelan its DSL); school B is Brook Lane Academy (URN 100002), with Priya Shah as its
DSL and Hannah on its roll under the same UPN (`seed_receiving_school`). Chloe and Priya each
have an authenticator app whose secret the test knows (`Phone`), for signing in through the pages.

The two are migrated and seeded once per test run (a minute); each test serves its own copy of
their folders, on ports of its own.

    from kestrel.transfer_pages.tests.two_servers import two_kestrels  # noqa: F401 (fixture)

    def test_...(two_kestrels):
        a, b = two_kestrels
        a.python("print(...)")
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
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
CHLOE = "chloe.kelan@example.org"
PRIYA = "priya.shah@brooklane.example.org"


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
    # More of its environment: KESTREL_PAUSE_AT and KESTREL_PAUSE_DIR for the fault tests.
    extra_env: dict = field(default_factory=dict)

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
            # Both run on 127.0.0.1, which a real Kestrel would refuse to ask.
            "TRANSFER_PEERS_ALLOW_PRIVATE": "1",
            **self.extra_env,
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

    def rows(self, sql: str, *params) -> list[tuple]:
        """Rows of this Kestrel's database, read directly (quicker than `python`, and whether
        or not it is serving)."""
        with contextlib.closing(sqlite3.connect(self.folder / "kestrel.sqlite3", timeout=20)) as db:
            return db.execute(sql, params).fetchall()

    def start(self) -> None:
        self.launch()
        self.wait_until_serving()

    def launch(self) -> None:
        """Starts `serve` (the web server and the task worker) in a process group of its own."""
        log = self.log.open("a")
        self.process = subprocess.Popen(
            [*MANAGE, "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_serving(self) -> None:
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

    def kill(self) -> None:
        """`kill -9` of the whole installation: serve, its web server, its worker supervisor and
        the worker's db_worker, all at once (as a power cut or the OOM killer would)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        # Its children were in the group too: wait until none is left holding the port or a task.
        gone = wait_for(lambda: not _group_alive(self.process.pid), seconds=10, every=0.1)
        assert gone, f"{self.name}: processes of its group outlived kill -9"


def _group_alive(group: int) -> bool:
    """Whether any process (not a zombie) is left in process group `group`."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":  # pgrp, state
            return True
    return False


@dataclass
class Phone:
    """An authenticator app whose secret the test knows: the codes a person would type, each
    used once (django-otp refuses a code of a step already used; one step of skew is allowed,
    so a second code within 30 seconds is the next step's, and a third waits)."""

    key: bytes
    last_step: int = -1

    def code(self) -> str:
        from django_otp.oath import TOTP

        now = int(time.time()) // 30
        step = max(now, self.last_step + 1)
        if step > now + 1:
            time.sleep(max(0.0, (step - 1) * 30 - time.time()) + 0.2)
        self.last_step = step
        totp = TOTP(self.key, step=30, digits=6)
        totp.time = step * 30
        return f"{totp.token():06d}"


def give_authenticator(server: Kestrel, email: str) -> bytes:
    """A confirmed authenticator app for the user `email` at `server`; its secret."""
    key = secrets.token_bytes(20)
    server.python(
        f"""
        from kestrel.accounts.models import (
            KEY_ENCRYPTED_ELSEWHERE, Authenticator, AuthenticatorSecret, User,
        )
        from kestrel.encryption import encrypt
        device = Authenticator.objects.create(
            user=User.objects.get(email={email!r}), name="Phone", confirmed=True,
            key=KEY_ENCRYPTED_ELSEWHERE,
        )
        AuthenticatorSecret.objects.create(
            device=device, encrypted_key=encrypt(bytes.fromhex({key.hex()!r}))
        )
        print("true")
        """
    )
    return key


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
    """The demo school at A (URN 100001); Chloe Kelan's password set; on Hannah's case file, a
    referral the deputy DSL (Daniel Fitzgerald) recorded three weeks ago, so that her file holds
    an entry by someone other than the DSL who sends it. Hannah's id and UPN."""
    a.manage("seed_demo")
    return a.python(
        f"""
        import datetime, json
        from django.utils import timezone
        from kestrel.accounts.models import User
        from kestrel.casefile.services import make_referral
        from kestrel.schools.models import School
        from kestrel.students.models import Student
        School.objects.update(urn={A_URN!r})
        chloe = User.objects.get(email="chloe.kelan@example.org")
        chloe.set_password({PASSWORD!r})
        chloe.save()
        hannah = Student.objects.get(legal_first_name="Hannah", legal_last_name="Greenwood")
        deputy = User.objects.get(first_name="Daniel", last_name="Fitzgerald")
        made_on = timezone.localdate() - datetime.timedelta(days=21)
        make_referral(
            actor=deputy, student=hannah, target="early_help", to_label="Early help",
            made_on=made_on, made_by=deputy, feedback_due_on=made_on + datetime.timedelta(days=10),
            reason="Father seen at the school gates despite the order; family support asked for.",
        )
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
    chloe_phone: Phone  # Chloe Kelan's (A's DSL) authenticator app
    priya_phone: Phone  # Priya Shah's (B's DSL)

    def __iter__(self):
        return iter((self.a, self.b))


@dataclass(frozen=True)
class Seeded:
    """A's and B's folders, migrated and seeded, not serving: copied for each test."""

    a: Path
    b: Path
    sender: dict
    receiver: dict
    chloe_key: bytes
    priya_key: bytes


_seeded: dict[Path, Seeded] = {}


def seeded(tmp_path_factory) -> Seeded:
    """Both installations migrated and seeded, once per test run."""
    base = tmp_path_factory.getbasetemp()
    if base not in _seeded:
        folder = tmp_path_factory.mktemp("two-kestrels-seeded")
        a, b = Kestrel("Kestrel A", folder / "a"), Kestrel("Kestrel B", folder / "b")
        for server in (a, b):
            server.folder.mkdir()
        migrate_all(a, b)
        sender = seed_sending_school(a)
        receiver = seed_receiving_school(b, sender)
        _seeded[base] = Seeded(
            a=a.folder,
            b=b.folder,
            sender=sender,
            receiver=receiver,
            chloe_key=give_authenticator(a, CHLOE),
            priya_key=give_authenticator(b, PRIYA),
        )
    return _seeded[base]


def start_all(*servers: Kestrel) -> None:
    """Starts the servers side by side; returns once each answers."""
    for server in servers:
        server.launch()
    for server in servers:
        server.wait_until_serving()


@contextlib.contextmanager
def serving(tmp_path: Path, tmp_path_factory, *, a_env=None, b_env=None):
    """A and B, copied from the seeded pair into `tmp_path` and serving (with `a_env` and
    `b_env` added to their environments); both stopped at the end."""
    ready = seeded(tmp_path_factory)
    a = Kestrel("Kestrel A", tmp_path / "a", extra_env=a_env or {})
    b = Kestrel("Kestrel B", tmp_path / "b", extra_env=b_env or {})
    shutil.copytree(ready.a, a.folder, ignore=shutil.ignore_patterns("*.log"))
    shutil.copytree(ready.b, b.folder, ignore=shutil.ignore_patterns("*.log"))
    try:
        start_all(a, b)
        yield TwoKestrels(
            a=a,
            b=b,
            sender=ready.sender,
            receiver=ready.receiver,
            chloe_phone=Phone(ready.chloe_key),
            priya_phone=Phone(ready.priya_key),
        )
    finally:
        a.stop()
        b.stop()


@pytest.fixture
def two_kestrels(tmp_path, tmp_path_factory):
    """Kestrel A (the demo school) and Kestrel B (Brook Lane Academy), each migrated, seeded and
    serving with its task worker; both stopped when the test ends."""
    with serving(tmp_path, tmp_path_factory) as pair:
        yield pair


def send_hannahs_file(a: Kestrel, b: Kestrel, hannah_at_a: int) -> tuple[dict, list]:
    """At A: Hannah left yesterday for Brook Lane Academy, on the Kestrel at B's address; the DSL
    is shown the school as B names it, then sends, and A's worker delivers it. Returns what was
    sent ({transfer, delivery, to, address}) and the delivery's end [state, reason, transfer's
    state, package digest]."""
    sent = a.python(
        f"""
        import datetime, json
        from django.utils import timezone
        from kestrel.accounts.models import User
        from kestrel.students.models import Student
        from kestrel.transfer_pages import delivery
        from kestrel.transfers.models import Destination
        from kestrel.transfers.services import mark_left
        chloe = User.objects.get(email="chloe.kelan@example.org")
        hannah = Student.objects.get(pk={hannah_at_a})
        transfer = mark_left(
            actor=chloe, student=hannah,
            left_on=timezone.localdate() - datetime.timedelta(days=1),
            destination=Destination.SCHOOL,
            details={{"destination_name": "Brook Lane Academy", "destination_urn": {B_URN!r},
                      "destination_address": {b.url!r}}},
        )
        to = delivery.destination(transfer)
        sending = delivery.request_delivery(transfer=transfer, actor=chloe, confirmed=to)
        print(json.dumps({{"transfer": transfer.pk, "delivery": sending.pk, "to": to.name,
                          "address": to.address}}))
        """
    )

    def delivered():
        state = a.python(
            f"""
            import json
            from kestrel.transfers.models import KestrelDelivery, Transfer
            sending = KestrelDelivery.objects.get(pk={sent["delivery"]})
            transfer = Transfer.objects.get(pk={sent["transfer"]})
            print(json.dumps([sending.state, sending.reason, transfer.state,
                              transfer.package_sha256]))
            """
        )
        return state if state[0] in ("delivered", "failed") else None

    state = wait_for(delivered, seconds=180, every=1)
    assert state is not None, a.log.read_text()
    return sent, state
