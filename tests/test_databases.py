"""The embedded SQLite database is configured for a server; PostgreSQL gets a pool."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import django
django.setup()
from django.db import connection
with connection.cursor() as c:
    print(c.execute('PRAGMA journal_mode').fetchone()[0])
    print(c.execute('PRAGMA synchronous').fetchone()[0])
    print(c.execute('PRAGMA busy_timeout').fetchone()[0])
    print(c.execute('PRAGMA foreign_keys').fetchone()[0])
print(connection.transaction_mode)
"""


@pytest.mark.skipif("DATABASE_URL" in os.environ, reason="checks the embedded default")
def test_sqlite_runs_in_wal_mode_with_full_sync_and_immediate_transactions(tmp_path):
    # given the production settings pointed at a fresh database file
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    journal, synchronous, busy, foreign_keys, mode = result.stdout.split()[-5:]
    assert journal == "wal"
    assert synchronous == "2"  # FULL: an acknowledged write survives a power cut
    assert int(busy) >= 5000
    assert foreign_keys == "1"
    assert mode == "IMMEDIATE"


def test_postgresql_url_selects_psycopg_with_a_connection_pool():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/linli",
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; print(d['ENGINE'], d['OPTIONS']['pool']['max_size'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    engine, max_size = result.stdout.split()[-2:]
    assert engine == "django.db.backends.postgresql"
    assert int(max_size) >= 4
