"""`manage.py serve`: the web server and the task worker together, for one machine.

Ctrl-C stops both, and so does the web server exiting. The worker (`manage.py worker`) restarts
its own db_worker whenever that exits; should the worker itself exit, it is started again and the
web server keeps serving. With no SITE_URL set, links in emails follow the address served.
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serves Kestrel on 127.0.0.1 together with the task worker (email, imports, exports)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, port, host, **options):
        manage = [sys.executable, "manage.py"]
        env = dict(os.environ)
        if not env.get("SITE_URL"):
            shown = f"[{host}]" if ":" in host else host
            env["SITE_URL"] = f"http://{shown}:{port}"  # password and alert emails link here

        def start_worker():
            return subprocess.Popen([*manage, "worker", "--interval", "1"], env=env)

        worker = start_worker()
        server = subprocess.Popen([*manage, "runserver", f"{host}:{port}", "--noreload"], env=env)
        self.stdout.write(
            self.style.SUCCESS(f"Kestrel is running on http://{host}:{port}/ (Ctrl-C stops it).")
        )
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True
            for child in (server, worker):
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and server.poll() is None:
                if worker.poll() is not None:
                    self.stderr.write("The task worker stopped; starting it again.")
                    time.sleep(1)
                    worker = start_worker()
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for child in (server, worker):
                try:
                    child.wait(timeout=35)
                except subprocess.TimeoutExpired:
                    child.kill()
        self.stdout.write("Kestrel has stopped.")
