"""Settings for the test run: production settings, with static files served uncollected.

Everything else stays as in production (DEBUG off, argon2, axes), so tests see what users see.
"""

from funia.settings import *  # noqa: F403
from funia.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
