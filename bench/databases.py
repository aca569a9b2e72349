"""What the big-data benches share: one run per database (a process each, as Django reads
its settings once per process), and a fresh database for the run.

Not a bench (run_all.py runs bench_*.py); bench_pipeline.py and bench_funnel.py import it
from this folder.
"""

import os
import subprocess
import sys
import tempfile

_URL = os.environ.get("FUNIA_DATABASE_URL", "")
# The PostgreSQL server: the one FUNIA_DATABASE_URL names, else the local one.
PG_SERVER = (
    _URL.rsplit("/", 1)[0] if _URL.startswith("postgres") else "postgres://postgres@127.0.0.1:5432"
)


def pg_admin(statement: str) -> None:
    """CREATE or DROP a bench database, from the server's maintenance database."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as pg:
        pg.execute(statement)


def pg_reachable() -> bool:
    try:
        pg_admin("SELECT 1")
    except Exception:
        return False
    return True


def run_per_database(script: str) -> None:
    """`--database both`: run the script once per database, then exit with their status."""
    failed = 0
    wanted = ["postgresql"] if _URL.startswith("postgres") else ["sqlite", "postgresql"]
    for database in wanted:
        if database == "postgresql" and not pg_reachable():
            print("== PostgreSQL is not reachable: skipped", flush=True)
            continue
        forwarded = [a for a in sys.argv[1:] if not a.startswith("--database")]
        failed |= subprocess.call([sys.executable, script, "--database", database, *forwarded])
    sys.exit(failed)


def use_database(database: str, *, name: str, reuse: str | None) -> None:
    """Point Django at the run's database: a fresh PostgreSQL database `name` (or the kept
    one with reuse='yes'), or SQLite in a new var dir (or the kept one given in reuse)."""
    prefix = f"{name.replace('_', '-')}-"
    if database == "postgresql":
        if reuse != "yes":
            pg_admin(f"DROP DATABASE IF EXISTS {name}")
            pg_admin(f"CREATE DATABASE {name}")
        os.environ["FUNIA_DATABASE_URL"] = f"{PG_SERVER}/{name}"
        os.environ["FUNIA_VAR_DIR"] = tempfile.mkdtemp(prefix=prefix)
    else:
        os.environ.pop("FUNIA_DATABASE_URL", None)
        os.environ["FUNIA_VAR_DIR"] = reuse or tempfile.mkdtemp(prefix=prefix)
