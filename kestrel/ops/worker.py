"""The task worker, supervised: `manage.py worker` (what `make run` and production run).

django-tasks-db's `db_worker` marks a task RUNNING before it starts and never runs a RUNNING task
again, and it exits when the database goes away mid-task. So Kestrel runs it as a child that the
supervisor starts again whenever it exits (a database restart, a crash, `kill -9`), and every
WORKER_PERIOD_SECONDS the supervisor runs the PERIODIC_JOBS (dotted paths): `recover_tasks` first,
which runs again the tasks whose worker died, then the alert sweep and the rest.
"""

import datetime
import logging
import os
import signal
import socket
import sys
import time
import traceback

from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

HOST = socket.gethostname()[:40]


def new_worker_id() -> str:
    """`host:pid:random`, so that a supervisor on the same machine can tell a dead worker from a
    live one by its process id (db_worker allows 64 characters)."""
    return f"{HOST}:{os.getpid()}:{get_random_string(8)}"


def _process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"  # killed, not yet reaped
    except (OSError, IndexError):
        return False


def worker_is_dead(worker_id: str) -> bool:
    """Whether a worker of this machine has gone. One of another machine, or named another way,
    counts as alive: TASK_RUNNING_TIMEOUT_SECONDS is the bound for those."""
    host, _, rest = worker_id.partition(":")
    pid, _, _ = rest.partition(":")
    return host == HOST and pid.isdigit() and _process_is_gone(int(pid))


def recover_tasks() -> str:
    """Tasks left RUNNING by a worker that died are made ready to run again (Kestrel's tasks may
    run twice: an alert email is claimed by compare-and-set and keeps its Message-ID). A task
    whose workers have died TASK_MAX_RUNS times is marked failed instead, so that a task that
    kills its worker cannot stop the queue; the alert sweep still finds its alerts."""
    # The task queue belongs to no school (no school scope is needed or entered): each task
    # enters its own school's scope when it runs (kestrel.schools.scope).
    now = timezone.now()
    timeout = datetime.timedelta(seconds=settings.TASK_RUNNING_TIMEOUT_SECONDS)
    running = DBTaskResult.objects.running().only("id", "worker_ids", "started_at")
    ready = failed = 0
    for task in running:
        last = task.worker_ids[-1] if task.worker_ids else ""
        overdue = task.started_at is not None and task.started_at < now - timeout
        if not (worker_is_dead(last) or overdue):
            continue
        still = DBTaskResult.objects.filter(
            pk=task.pk, status="RUNNING", started_at=task.started_at
        )
        if len(task.worker_ids) >= settings.TASK_MAX_RUNS:
            failed += still.update(
                status="FAILED",
                finished_at=now,
                exception_class_path="kestrel.ops.worker.WorkerDied",
                traceback=f"Its worker died {len(task.worker_ids)} times while running it.\n",
            )
        else:
            ready += still.update(status="READY", started_at=None)
    if ready or failed:
        logger.warning("Tasks whose worker died: %s to run again, %s failed", ready, failed)
    return f"{ready} tasks to run again, {failed} failed"


def _close_connections() -> None:
    """Closes the supervisor's connections; one the database has already dropped (a restart)
    may fail to close, which must not stop the supervisor."""
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:
            logger.warning("Could not close a dropped database connection", exc_info=True)


def run_periodic_jobs() -> None:
    """Each job in PERIODIC_JOBS, in order; one that fails is logged and the rest still run."""
    for path in settings.PERIODIC_JOBS:
        run_job(path)


def run_job(path: str) -> None:
    """One periodic job; a failure is logged, never raised (the supervisor carries on)."""
    try:
        outcome = import_string(path)()
    except Exception:
        logger.exception("Periodic job %s failed", path)
    else:
        logger.debug("Periodic job %s: %s", path, outcome)
    finally:
        _close_connections()  # the supervisor holds no connection between runs


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel stops this child when the supervisor dies, even by `kill -9`."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(0)


class Supervisor:
    """Runs db_worker in a child process, starts another whenever it exits, and runs the
    periodic jobs. Stops on SIGTERM (letting the current task finish) or Ctrl-C."""

    def __init__(self, *, interval: float, period: float, verbosity: int = 1):
        self.interval = interval
        self.period = period
        self.verbosity = verbosity
        self.running = True
        self.child: int | None = None
        self.restarts = 0

    def stop(self, signum, frame) -> None:
        first = self.running
        self.running = False
        # Ctrl-C reaches the child by itself; a second signal would cut its task short.
        if first and signum == signal.SIGTERM and self.child is not None:
            os.kill(self.child, signal.SIGTERM)

    def start_child(self) -> None:
        _close_connections()  # a forked child must not share the supervisor's connections
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid:
            self.child = pid
            logger.info("Task worker %s started", pid)
            return
        code = 0
        try:
            _die_with_parent(parent)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            call_command(
                "db_worker",
                interval=self.interval,
                reload=False,
                startup_delay=False,
                worker_id=new_worker_id(),
                verbosity=self.verbosity,
            )
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def reap(self) -> None:
        """Notices a child that has exited, runs its tasks again, and starts another (after a
        growing pause while it keeps exiting at once, as when the database is down)."""
        pid, status = os.waitpid(self.child, os.WNOHANG)
        if not pid:
            return
        self.child = None
        if os.WIFSIGNALED(status):
            how = f"was killed ({signal.Signals(os.WTERMSIG(status)).name})"
        else:
            how = f"exited with status {os.WEXITSTATUS(status)}"
        if not self.running:
            return
        logger.warning("Task worker %s %s; starting another", pid, how)
        try:
            recover_tasks()
        except Exception:
            logger.exception("Could not recover its tasks yet; the periodic jobs will")
        finally:
            _close_connections()
        if os.WIFSIGNALED(status):
            return  # killed from outside: start another at once
        # Exiting by itself (the database is down, say): wait longer each time, up to 30 s.
        self.restarts += 1
        self.pause_until = time.monotonic() + min(30, 2 ** min(self.restarts - 1, 5) - 1)

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.pause_until = 0.0
        next_jobs = next_seal = time.monotonic()
        started_at = 0.0
        while self.running:
            now = time.monotonic()
            if self.child is None and now >= self.pause_until:
                self.start_child()
                started_at = now
            elif self.child is not None:
                self.reap()
                if self.child is not None and now - started_at > 60:
                    self.restarts = 0  # it has stayed up: the next restart is immediate
            if now >= next_jobs:
                run_periodic_jobs()
                next_jobs = time.monotonic() + self.period
            if now >= next_seal:
                run_job(settings.SEALER)
                next_seal = time.monotonic() + settings.AUDIT_SEAL_EVERY_SECONDS
            time.sleep(0.2)
        self.wait_for_child()

    def wait_for_child(self, seconds: float = 30) -> None:
        if self.child is None:
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pid, _ = os.waitpid(self.child, os.WNOHANG)
            if pid:
                return
            time.sleep(0.1)
        os.kill(self.child, signal.SIGKILL)
        os.waitpid(self.child, 0)
