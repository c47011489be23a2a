from datetime import timedelta

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.test import override_settings
from django.utils import timezone

from linli.accounts.models import PhoneCode
from linli.accounts.tasks import phone_codes_purge

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_runs_a_task_through_db_worker():
    # given an old and a fresh code, and the real database queue (SQLite or PostgreSQL)
    now = timezone.now()
    old = PhoneCode.objects.create(phone_hash="a", code_hash="x", expires_at=now)
    PhoneCode.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=2))
    PhoneCode.objects.create(phone_hash="b", code_hash="y", expires_at=now)
    with override_settings(TASKS=DB_QUEUE):
        result = phone_codes_purge.enqueue()
        assert result.status == TaskResultStatus.READY
        # when the worker processes the queue
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
        result.refresh()
    # then the task ran, returned its count, and only the old code is gone
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    assert list(PhoneCode.objects.values_list("phone_hash", flat=True)) == ["b"]
