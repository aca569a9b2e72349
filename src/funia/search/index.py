"""Search documents: one index table per searchable model, kept in sync by triggers.

An `IndexSpec` describes a model's search document in SQL: an expression over the row
(alias `r`) and optional joins, e.g. a contact's own search text plus its account's.
The database backend (`backends.py`) turns it into an FTS5 table (SQLite) or a table with
a pg_trgm GIN index (PostgreSQL) and into triggers on the model's table and on the tables
the document depends on, so every write path (services, bulk imports, merges, raw SQL)
keeps the index current without a hook in Python.

A bulk insert (the imports) may index its rows itself, one statement per index for the
whole batch, instead of row by row: `bulk_insert(table, ids)` pauses the row triggers that
would index those rows (SQLite: drops them, to create them again at the end of the block)
and, at the end of the block, inserts their documents in one statement, inside the
caller's transaction, so the index is never stale after a commit.
Where the database's triggers are per statement already (PostgreSQL) it does nothing.

The index is reconciled after every `migrate` (`ensure_search_indexes`, on `post_migrate`):
created when missing; rebuilt when its definition changed or when a table rebuild dropped
its triggers (SQLite's ALTER TABLE emulation does that). Trigger names carry a signature
of the definition, so a changed definition is noticed without a bookkeeping table.
"""

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections

# Bump when the generated DDL changes in a way the signature of a spec would not show.
DDL_VERSION = "2"


@dataclass(frozen=True)
class Dependency:
    """Rows of another table that are part of the document (a contact's account's name).

    `rows` selects the documents to rebuild when a watched column of `table` changes:
    a condition on `r` (the searchable row) and `{changed}` (the changed row of `table`).
    """

    table: str
    watch: tuple[str, ...]
    rows: str


@dataclass(frozen=True)
class IndexSpec:
    name: str  # "contact": the index table is search_doc_contact
    table: str  # the model's table, e.g. "customers_contact"
    document: str  # SQL text expression over `r` (and the joins' aliases)
    watch: tuple[str, ...]  # columns of `table` whose change rebuilds the row's document
    joins: str = ""  # e.g. "LEFT JOIN customers_account a ON a.id = r.account_id"
    live: str = "r.deleted_at IS NULL"  # rows that are searchable at all
    dependencies: tuple[Dependency, ...] = ()

    @property
    def doc_table(self) -> str:
        return f"search_doc_{self.name}"

    @property
    def signature(self) -> str:
        return hashlib.sha256(f"{DDL_VERSION}:{self!r}".encode()).hexdigest()[:10]

    @property
    def trigger_prefix(self) -> str:
        """Every trigger (and function) of this index starts with it."""
        return f"{self.doc_table}__"

    def trigger_name(self, role: str) -> str:
        return f"{self.trigger_prefix}{self.signature}_{role}"


def ensure_search_indexes(*, using: str = DEFAULT_DB_ALIAS, verbosity: int = 1, **kwargs) -> None:
    """Create or repair the index of every registered searchable (post_migrate handler)."""
    from funia.search.backends import backend_for
    from funia.search.registry import searchables

    backend = backend_for(connections[using])
    for searchable in searchables():
        rebuilt = backend.ensure(searchable.index)
        if rebuilt and verbosity >= 2:
            print(f"  Built the search index {searchable.index.doc_table}")


def suspend_search_triggers(*, using: str = DEFAULT_DB_ALIAS, plan=None, **kwargs) -> None:
    """Drop the SQLite triggers before migrations run (pre_migrate handler).

    SQLite's ALTER TABLE emulation rebuilds a table under a temporary name; a trigger of
    another table that reads it (contacts read their account) then fails the migration.
    `ensure_search_indexes` puts the triggers back and rebuilds the index afterwards, which
    also indexes whatever the migrations wrote.
    """
    from funia.search.backends import backend_for
    from funia.search.registry import searchables

    connection = connections[using]
    if not plan or connection.vendor != "sqlite":
        return
    backend = backend_for(connection)
    with connection.cursor() as cursor:
        for searchable in searchables():
            spec = searchable.index
            backend.drop_triggers(cursor, spec, backend.existing_triggers(cursor, spec))


@contextlib.contextmanager
def bulk_insert(table: str, ids: Sequence[int], *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Index the rows with these ids that the block inserts into `table` in one statement
    per index, at the end of the block, rather than a trigger run for each row.

    Must run inside a transaction (the block's rows and their documents commit together).
    Every registered index on `table` takes part; an exception inside the block leaves the
    transaction to be rolled back, which also undoes the pause.
    """
    from funia.search.backends import backend_for
    from funia.search.registry import searchables

    connection = connections[using]
    backend = backend_for(connection)
    specs = [s.index for s in searchables() if s.index.table == table]
    if not specs or not ids or not backend.pauses_row_triggers:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("search.index.bulk_insert() must run inside a transaction.")
    with connection.cursor() as cursor:
        paused = backend.pause(cursor, specs)
    yield
    with connection.cursor() as cursor:
        backend.index_rows(cursor, specs, list(ids), paused)
