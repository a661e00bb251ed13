"""What every app's tasks share."""

from functools import partial

from django.db import transaction
from django_tasks_db import DatabaseBackend


def enqueue_with_transaction(task, *args) -> None:
    """Enqueues `task` with the current transaction. The database task backend writes its row
    inside it: the rows the task is about and the task are committed together or not at all,
    and the request commits once. Any other backend (a broker) is told only after the commit,
    so that no worker looks for rows that are not there yet."""
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args)
    else:
        transaction.on_commit(partial(task.enqueue, *args))
