"""Settings for the test run: production settings, with static files served uncollected.

Everything else stays as in production (DEBUG off, argon2, axes), so tests see what users see.
"""

import os
import tempfile
from pathlib import Path

from funia.settings import *  # noqa: F403
from funia.settings import DATABASES, STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads and generated files of this test process stay out of var/ and out of the way of
# parallel test workers.
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"funia-test-media-{os.getpid()}"

# SQLite tests use a file, not Django's default in-memory database: an in-memory database is
# one connection shared by the live server's request threads and the test thread, and
# concurrent use of one sqlite3 connection can deadlock the process (a browser page loading
# several fragments at once while the test flushes the database).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"funia-test-{os.getpid()}.sqlite3")
    }
