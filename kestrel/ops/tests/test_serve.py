"""`manage.py serve` (what `make run` ends with): the web server and the task worker, together."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def children_of(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return [int(child) for child in listing.read().split()]


def command_of(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return cmdline.read().replace(b"\0", b" ").decode()


def test_serve_runs_the_site_and_the_task_worker_and_ctrl_c_stops_both(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "SITE_URL"},
        "DATABASE_URL": f"sqlite:///{tmp_path}/serve.sqlite3",
        "KESTREL_VAR_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "-v0"], ["seed_demo", "--if-empty"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(
        [*manage, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:

        def sign_in_page_answers():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as reply:
                    return reply.status == 200 and b"Login" in reply.read()
            except OSError:
                return False

        assert wait_for(sign_in_page_answers), Path(log.name).read_text()

        # The worker sends a queued email; the default EMAIL_URL prints it to the console.
        queue = (
            "from kestrel.accounts.tasks import send_password_reset\n"
            "send_password_reset.enqueue('chloe.kelan@example.org')\n"
        )
        subprocess.run([*manage, "shell", "-c", queue], cwd=ROOT, env=env, check=True)
        assert wait_for(
            lambda: "Click here to reset your password" in Path(log.name).read_text()
        ), Path(log.name).read_text()
        # With no SITE_URL set, the email's link is to the port being served (`PORT=8080 make
        # run`), not to 8000.
        assert f"http://127.0.0.1:{port}/password-reset/" in Path(log.name).read_text()

        # The worker killed outright: the site keeps answering and the worker comes back.
        (worker,) = [pid for pid in children_of(server.pid) if " worker" in command_of(pid)]
        os.kill(worker, signal.SIGKILL)
        assert wait_for(
            lambda: "The task worker stopped; starting it again." in Path(log.name).read_text()
        ), Path(log.name).read_text()
        assert sign_in_page_answers()
        queue_again = queue.replace("chloe.kelan", "james.carter")
        subprocess.run([*manage, "shell", "-c", queue_again], cwd=ROOT, env=env, check=True)
        assert wait_for(lambda: "To: james.carter@example.org" in Path(log.name).read_text()), Path(
            log.name
        ).read_text()
    finally:
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's process group
    assert server.wait(timeout=20) is not None

    def process_group_is_empty():
        try:
            os.killpg(server.pid, 0)  # signal 0: only asks whether any process is left
        except ProcessLookupError:
            return True
        return False

    assert wait_for(process_group_is_empty, seconds=15), "the server or the worker is still running"
    assert "Kestrel has stopped." in Path(log.name).read_text()
