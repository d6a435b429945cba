"""Queueing work for the Celery workers: by the task's registered name, after commit.

Work is stored before it is queued: ``enqueue`` sends the message only once the transaction
that wrote the work commits (at once outside a transaction), so that a worker never looks for
a row that is not there yet, and a rolled-back request queues nothing. Tasks are named, not
imported: the domain never imports its ``tasks`` module, and the routes of
``CELERY_TASK_ROUTES`` choose the queue. A message lost on the way (the broker down, a worker
killed) is found again by the reconciler of its kind of work, which reads the database.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction


def enqueue(task: str, /, **kwargs: int | str | list[int]) -> None:
    """Queue the task named ``task`` with these keyword arguments after the current
    transaction commits."""

    def send() -> None:
        current_app.send_task(task, kwargs=kwargs)

    transaction.on_commit(send)
