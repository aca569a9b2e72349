"""Helpers other test modules use to get an import (e.g. the cross-tenant walks)."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from funia.imports import engine, services


def finished_import(actor, media_root, *, name: str = "people.csv"):
    """A finished import of `actor` with one row error, its file under `media_root`."""
    content = b"Last Name,Email\nRivalimport,rival.import@example.com\nBad,not-an-email\n"
    with override_settings(MEDIA_ROOT=media_root):
        job = services.import_create(
            by=actor, target="contacts", uploaded=SimpleUploadedFile(name, content)
        )
        return engine.process_import(job)
