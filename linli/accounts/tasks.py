"""Background housekeeping for accounts (run by the worker, `manage.py db_worker`)."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from linli.accounts.models import PhoneCode


@task()
def phone_codes_purge(older_than_hours: int = 24) -> int:
    """Delete one-time codes past their use: nothing about a login needs to outlive a day."""
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    deleted, _ = PhoneCode.objects.filter(created_at__lt=cutoff).delete()
    return deleted


PERIODIC = [(phone_codes_purge, 3600)]
