"""Project-level guarantees: migrations match the models, production settings pass the deploy
checks, and no page template carries an inline script (CSP)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_migrations_match_the_models():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"missing migrations: {out.getvalue()} ({exc})")


def test_production_settings_pass_the_deploy_checks():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "LINLI_ENV": "production",
        "LINLI_SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
        "LINLI_PII_KEYS": "production-pii-key-1",
        "LINLI_PII_HASH_KEY": "production-hash-key",
        "LINLI_ALLOWED_HOSTS": "linli.example.gov.cn",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set in-process by the browser tests
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_secrets():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "LINLI_ENV": "production",
    }
    env.pop("LINLI_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "LINLI_SECRET_KEY" in result.stderr


def test_no_template_has_an_inline_script_or_handler():
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|\son[a-z]+=\"", re.I
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in list(ROOT.glob("templates/**/*.html"))
        + list(ROOT.glob("linli/*/templates/**/*.html"))
        if inline.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
