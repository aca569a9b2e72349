"""Schema changes on SQLite rebuild tables; the search triggers must not get in the way."""

import os
import subprocess
import sys

import pytest


def funia(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNIA_", "DJANGO_"))}
    env |= {"FUNIA_VAR_DIR": str(tmp_path), "FUNIA_DATABASE_URL": f"sqlite:///{tmp_path}/m.db"}
    return subprocess.run(  # noqa: S603  (our own interpreter and CLI)
        [sys.executable, "-m", "funia.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.skipif(
    "postgres" in os.environ.get("FUNIA_DATABASE_URL", ""), reason="SQLite table rebuilds"
)
def test_migrating_customers_back_and_forth_keeps_search_working(tmp_path):
    assert funia(tmp_path, "migrate", "-v0").returncode == 0
    back = funia(tmp_path, "migrate", "customers", "0002", "-v0")
    assert back.returncode == 0, back.stderr[-2000:]
    forth = funia(tmp_path, "migrate", "-v0")
    assert forth.returncode == 0, forth.stderr[-2000:]

    check = funia(
        tmp_path,
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "c.execute(\"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
        "AND name LIKE 'search_doc_%'\"); print(c.fetchone()[0])",
    )
    assert int(check.stdout.strip().splitlines()[-1]) > 0
