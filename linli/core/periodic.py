"""Periodic work. django.tasks has no scheduler: each app lists its periodic tasks in its
tasks.py as `PERIODIC = [(task, seconds), ...]`, and `manage.py scheduler` enqueues them
on the database queue, where `db_worker` runs them. Every periodic task is idempotent, so a
restart (which runs each one once at start) or a missed run loses nothing."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps


def periodic_tasks() -> list[tuple[Any, int]]:
    found: list[tuple[Any, int]] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("linli."):
            continue
        try:
            module = import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise
            continue
        found.extend(getattr(module, "PERIODIC", []))
    return found


def periodic_due(last_runs: dict[str, float], now: float) -> list[Any]:
    """The tasks whose interval has passed since they were last enqueued (updates last_runs)."""
    due = []
    for task, seconds in periodic_tasks():
        name = f"{task.module_path}"
        if now - last_runs.get(name, float("-inf")) >= seconds:
            last_runs[name] = now
            due.append(task)
    return due
