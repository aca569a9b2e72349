"""Jobs used by the job tests; the worker imports them by dotted path like any real job."""

from pathlib import Path

from funia.core.jobs import job


@job(max_attempts=3, backoff_seconds=60)
def append_line(path: str, text: str) -> None:
    with Path(path).open("a") as fh:
        fh.write(text + "\n")


@job(max_attempts=2, backoff_seconds=60)
def fail_until_file_exists(path: str) -> str:
    """Fails while the marker file is missing: a stand-in for a flaky remote service."""
    marker = Path(path)
    attempts = marker.with_suffix(".attempts")
    attempts.write_text(str(int(attempts.read_text() or 0) + 1 if attempts.exists() else 1))
    if not marker.exists():
        raise ConnectionError("remote service unavailable")
    return "delivered"
