"""`manage.py worker`: the task worker, restarted whenever it exits, with the periodic jobs
(tasks whose worker died run again; alert emails with no task are queued again). Run this, not
bare `db_worker`, in production: one or more per installation."""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand

from kestrel.ops.worker import Supervisor, run_periodic_jobs


class Command(BaseCommand):
    help = "Runs the task worker (email, imports, exports), restarting it whenever it exits."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1, help="Seconds between looks at an empty queue."
        )
        parser.add_argument(
            "--once", action="store_true", help="Run the periodic jobs once and exit."
        )

    def handle(self, *args, interval, once, verbosity, **options):
        if verbosity > 1:
            logging.getLogger("kestrel.ops.worker").setLevel(logging.DEBUG)
        if once:
            run_periodic_jobs()
            return
        Supervisor(
            interval=interval, period=settings.WORKER_PERIOD_SECONDS, verbosity=verbosity
        ).run()
