"""The platform's settings with SQLite's WAL in synchronous=NORMAL (bench comparison only).

In WAL mode NORMAL skips the fsync at each commit; a commit still survives the death of
the process (kill -9) because it is in the WAL file the OS holds, but not a power cut
before the next checkpoint. The platform ships FULL; this module lets the benchmark show
what the fsync costs on a given disk.
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    options = DATABASES["default"]["OPTIONS"]
    options["init_command"] = options["init_command"].replace(
        "synchronous=FULL", "synchronous=NORMAL"
    )
