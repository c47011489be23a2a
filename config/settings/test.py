"""Test settings: fast hashing, the same database engines as production."""

import os

os.environ.setdefault("LINLI_ENV", "test")

from .base import *  # noqa: F403
from .base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # Test runs open and close many connections; the pool would only hold them open.
    DATABASES["default"]["OPTIONS"].pop("pool", None)
# SQLite tests run in a shared in-memory database (Django's default), never on the demo file.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
AXES_ENABLED = True
