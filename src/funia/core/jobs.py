"""Background jobs on Django's Tasks API, enqueued only after the transaction commits.

`@job` turns a function into a task that is retried with back-off when it raises: each
failed attempt stays recorded (status FAILED, exception and traceback) in the task results,
and the next attempt is a new task that runs after the delay.
"""

import functools
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

DEFAULT_ATTEMPTS = 3


def job(*, max_attempts: int = DEFAULT_ATTEMPTS, backoff_seconds: int = 30, **task_options):
    def decorate(func):
        @functools.wraps(func)
        def run(*args, _attempt: int = 1, **kwargs):
            try:
                return func(*args, **kwargs)
            except Exception:
                if _attempt < max_attempts:
                    delay = timedelta(seconds=backoff_seconds * 2 ** (_attempt - 1))
                    this_task.using(run_after=timezone.now() + delay).enqueue(
                        *args, _attempt=_attempt + 1, **kwargs
                    )
                raise

        this_task = task(**task_options)(run)
        return this_task

    return decorate


def enqueue_on_commit(task_obj, *args, **kwargs) -> None:
    """Enqueue a job when (and only if) the current transaction commits."""
    transaction.on_commit(lambda: task_obj.enqueue(*args, **kwargs), robust=False)
