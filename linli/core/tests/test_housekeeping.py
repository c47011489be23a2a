import os
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from linli.accounts.models import Role, User
from linli.accounts.tests.factories import user_with_role
from linli.core import pii
from linli.core.periodic import periodic_due, periodic_tasks
from linli.core.tasks import downloads_purge


def test_periodic_tasks_are_due_once_per_interval():
    last_runs: dict[str, float] = {}
    first = periodic_due(last_runs, 1000.0)
    names = {t.module_path for t in first}
    assert "linli.core.tasks.downloads_purge" in names
    assert "linli.accounts.tasks.phone_codes_purge" in names
    assert periodic_due(last_runs, 1001.0) == []
    longest = max(seconds for _, seconds in periodic_tasks())
    assert {t.module_path for t in periodic_due(last_runs, 1000.0 + longest)} == names


@pytest.mark.django_db
def test_the_scheduler_enqueues_the_periodic_tasks():
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "linli.accounts.tasks.phone_codes_purge" in out.getvalue()


def test_old_downloads_are_purged(tmp_path, settings):
    settings.LINLI_DOWNLOAD_DIR = str(tmp_path)
    old, fresh = tmp_path / "old", tmp_path / "fresh"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    assert downloads_purge.call() == 1
    assert not old.exists()
    assert fresh.exists()


@pytest.mark.django_db
def test_pii_rotate_reencrypts_with_the_newest_key(community_a):
    with override_settings(PII_KEYS=["old-key"]):
        user = user_with_role(Role.RESIDENT, community_a, phone="13900000077")
    with override_settings(PII_KEYS=["new-key", "old-key"]):
        call_command("pii_rotate", stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [user.pk])
        stored = cursor.fetchone()[0]
    with override_settings(PII_KEYS=["new-key"]):
        assert pii.decrypt(stored) == "13900000077"
        assert User.objects.get(pk=user.pk).phone == "13900000077"
