"""`manage.py serve`: the web server and the task worker together, for one machine.

Both stop together: on Ctrl-C, or as soon as either one exits.
"""

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
        worker = subprocess.Popen(
            [*manage, "db_worker", "--interval", "1", "--no-reload", "--no-startup-delay"]
        )
        server = subprocess.Popen([*manage, "runserver", f"{host}:{port}", "--noreload"])
        children = [server, worker]
        self.stdout.write(
            self.style.SUCCESS(f"Kestrel is running on http://{host}:{port}/ (Ctrl-C stops it).")
        )

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
        self.stdout.write("Kestrel has stopped.")
