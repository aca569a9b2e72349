import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from funia.imports import engine, services


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(name: str, content: bytes | str, encoding: str = "utf-8") -> SimpleUploadedFile:
    if isinstance(content, str):
        content = content.encode(encoding)
    return SimpleUploadedFile(name, content)


@pytest.fixture
def start_import():
    """start_import(actor, name, content, **options) -> the import, queued (not run)."""

    def make(actor, name, content, *, target="contacts", encoding="utf-8", **options):
        return services.import_create(
            by=actor, target=target, uploaded=upload(name, content, encoding), **options
        )

    return make


@pytest.fixture
def run_import(start_import):
    """run_import(actor, name, content, **options) -> the import, run to its end in-process."""

    def run(actor, name, content, **options):
        job = start_import(actor, name, content, **options)
        return engine.process_import(job)

    return run
