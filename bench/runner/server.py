"""Kestrel under gunicorn as production runs it: two sync workers, the environment's settings."""

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path

WORKERS = 2
WORKER_CLASS = "sync"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def description() -> dict:
    return {
        "name": "gunicorn",
        "version": version("gunicorn"),
        "workers": WORKERS,
        "worker_class": WORKER_CLASS,
    }


@contextlib.contextmanager
def gunicorn(*, port: int, log: Path, ready_path: str, env: dict | None = None):
    """Serves `kestrel.wsgi` on 127.0.0.1:`port` until the block ends; yields the base URL."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "kestrel.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={WORKERS}",
        f"--worker-class={WORKER_CLASS}",
        "--timeout=120",
        "--graceful-timeout=5",
        "--log-level=warning",
    ]
    with log.open("w") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(server, base_url + ready_path, log)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_until_ready(server: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    """Waits for `url` to answer 200 through the pretend TLS proxy."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped ({server.returncode}):\n{tail(log)}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
