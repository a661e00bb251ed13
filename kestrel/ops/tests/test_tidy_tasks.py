"""`manage.py tidy` keeps the task queue small: the worker's sweeps read it every 30 seconds."""

import datetime
import io

from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kestrel.alerts.tasks import send_alert_email


def task(settings, status, finished_days_ago=None):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    pk = send_alert_email.enqueue(1).id
    finished = None
    if finished_days_ago is not None:
        finished = timezone.now() - datetime.timedelta(days=finished_days_ago)
    DBTaskResult.objects.filter(pk=pk).update(status=status, finished_at=finished)
    return pk


def test_finished_tasks_go_after_a_week_and_waiting_or_running_ones_stay(db, settings):
    old_done = task(settings, "SUCCESSFUL", finished_days_ago=8)
    old_failed = task(settings, "FAILED", finished_days_ago=8)
    recent = task(settings, "SUCCESSFUL", finished_days_ago=1)
    waiting = task(settings, "READY")
    running = task(settings, "RUNNING")
    call_command("tidy", stdout=io.StringIO())
    kept = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert kept == {str(recent), str(waiting), str(running)}
    assert str(old_done) not in kept and str(old_failed) not in kept
