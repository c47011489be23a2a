"""Background work for cases (run by `manage.py db_worker`): texts, deadline checks, sweep.

Deadlines are watched twice over (ADR 0073): a task per case scheduled at its next
deadline, and the idempotent periodic sweep (`manage.py cases_sweep`, every few minutes
from a systemd timer or cron) that catches whatever a lost task or a restart missed.
"""

from __future__ import annotations

import logging

from django.tasks import default_task_backend, task

logger = logging.getLogger("linli.cases.tasks")


@task()
def sms_deliver(user_id: int, text: str) -> bool:
    """Send one text to a person's phone through the pluggable SMS backend."""
    from linli.accounts.models import User
    from linli.accounts.sms import sms_send

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.phone:
        return False
    sms_send(phone=user.phone, message=text)
    return True


@task()
def case_deadline_check(case_id: int) -> int:
    """Check one case at its deadline, then schedule its next check."""
    from linli.cases.services import case_sweep

    report = case_sweep(case_id=case_id)
    case_deadline_task_schedule(case_id)
    return report.total


@task()
def case_sweep_task() -> str:
    """The periodic sweep as a task (for deployments that enqueue it from a scheduler)."""
    from linli.cases.services import case_sweep

    return case_sweep().line()


def case_deadline_task_schedule(case_id: int) -> bool:
    """Enqueue the case's next deadline check, if the backend can run tasks later."""
    from linli.cases.models import Case
    from linli.cases.services import case_next_deadline

    if not getattr(default_task_backend, "supports_defer", False):
        return False  # e.g. the immediate backend in tests: the sweep covers deadlines
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return False
    moment = case_next_deadline(case)
    if moment is None:
        return False
    try:
        case_deadline_check.using(run_after=moment).enqueue(case_id)
    except Exception:  # a queue failure must not lose the case: the sweep still runs
        logger.exception("could not schedule the deadline check of case %s", case_id)
        return False
    return True


PERIODIC = [(case_sweep_task, 300)]
