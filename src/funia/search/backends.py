"""Search backends: one interface, one class per database vendor.

- SQLite: an FTS5 table per searchable with the `trigram` tokenizer (substring matching in
  any script, SQLite >= 3.34), kept current by row triggers. A bulk insert may pause the
  insert trigger of an index inside its transaction and index its rows with one
  INSERT ... SELECT (`index.bulk_insert`): the trigger is dropped and created again, the
  same, in that transaction (SQLite's DDL is transactional, and the transaction holds the
  only write lock), so no other connection ever sees it missing. (A row trigger costs
  SQLite more than the row's own insert even when its WHEN clause stops it at once; the
  `search_index_pause` row its WHEN clause looks for is the older way to pause it.)
- PostgreSQL: a document table per searchable with a pg_trgm GIN index (`LIKE '%term%'`
  is index-backed), kept current by statement triggers with transition tables, so a bulk
  insert of a million rows runs one INSERT ... SELECT, not a million.

Both store the same document (see `index.IndexSpec`): a leading space and words separated
by spaces, so " pe" finds words that start with "pe". `match()` returns the ids of the
records whose document contains every term, newest first, among those the actor may see;
visibility is the shared policy's queryset, run as a correlated EXISTS for each candidate,
so the scan stops as soon as `limit` visible records are found.
"""

# The SQL here is built from the identifiers of `IndexSpec`s (code, never input); what users
# type reaches the database only as query parameters.
# ruff: noqa: S608, S611

import json

from django.db import transaction
from django.db.models.expressions import RawSQL

from funia.search.index import IndexSpec
from funia.search.query import Term

# FTS5 trigram and pg_trgm both need three characters to use the index.
MIN_INDEXED = 3
# FTS5 reads the doclist of every trigram of a phrase, so a long one (a whole email, with
# "gmail.com" in a quarter of the rows) costs tens of milliseconds: the index matches its
# first characters, and instr() checks the whole term on the few rows found.
MAX_PHRASE = 10


def pattern(term: Term) -> str:
    return f" {term.text}" if term.word_start else term.text


def patterns(term: Term) -> list[str]:
    """The term's pattern in each of its spellings."""
    return [f" {text}" if term.word_start else text for text in term.texts]


def _any(conditions: list[str]) -> str:
    return conditions[0] if len(conditions) == 1 else f"({' OR '.join(conditions)})"


def visible_exists(queryset, id_sql: str) -> tuple[str, list]:
    """`EXISTS (<queryset> AND pk = <id_sql>)`: the queryset's own filters, verbatim."""
    inner = queryset.order_by().filter(pk=RawSQL(id_sql, ())).values("pk")
    sql, params = inner.query.sql_with_params()
    return f"EXISTS ({sql})", list(params)


class SearchBackend:
    vendor = ""
    # Can a bulk insert pause the per-row indexing and index its rows in one statement?
    pauses_row_triggers = False

    def __init__(self, connection):
        self.connection = connection

    # -- schema ---------------------------------------------------------------------

    def ensure(self, spec: IndexSpec) -> bool:
        """Create or repair the index; True when it was (re)built."""
        with self.connection.cursor() as cursor:
            tables = set(self.connection.introspection.table_names(cursor))
            needed = {spec.table} | {d.table for d in spec.dependencies}
            if not needed <= tables:  # migrated back to before the model existed
                return False
            existing = self.existing_triggers(cursor, spec)
            expected = set(self.trigger_names(spec))
            table_exists = spec.doc_table in tables
            if table_exists and existing == expected:
                return False
            with transaction.atomic(using=self.connection.alias):
                self.drop_triggers(cursor, spec, existing)
                if not table_exists:
                    for statement in self.create_table(spec):
                        cursor.execute(statement)
                for statement in self.create_triggers(spec):
                    cursor.execute(statement)
                for statement in self.rebuild(spec):
                    cursor.execute(statement)
        return True

    def drop(self, spec: IndexSpec) -> None:
        with self.connection.cursor() as cursor:
            self.drop_triggers(cursor, spec, self.existing_triggers(cursor, spec))
            cursor.execute(f"DROP TABLE IF EXISTS {spec.doc_table}")

    def documents(self, spec: IndexSpec, where: str, source: str | None = None) -> str:
        """SELECT id, tenant, document of the live rows of `source` (default: the table)."""
        return (
            f"SELECT r.id, r.tenant_id, {spec.document} FROM {source or spec.table} r "
            f"{spec.joins} WHERE ({where}) AND ({spec.live})"
        )

    def trigger_names(self, spec: IndexSpec) -> list[str]:
        roles = ["insert", "update", "delete"]
        roles += [f"dep{n}" for n, _dep in enumerate(spec.dependencies)]
        return [spec.trigger_name(role) for role in roles]

    def existing_triggers(self, cursor, spec: IndexSpec) -> set[str]:
        raise NotImplementedError

    def drop_triggers(self, cursor, spec: IndexSpec, names) -> None:
        raise NotImplementedError

    def create_table(self, spec: IndexSpec) -> list[str]:
        raise NotImplementedError

    def create_triggers(self, spec: IndexSpec) -> list[str]:
        raise NotImplementedError

    def rebuild(self, spec: IndexSpec) -> list[str]:
        raise NotImplementedError

    def pause(self, cursor, specs: list[IndexSpec]):
        """Stop indexing inserted rows one by one (this transaction only); returns what
        `index_rows` needs to end the pause."""

    def index_rows(self, cursor, specs: list[IndexSpec], ids: list[int], paused=None) -> None:
        """Index the rows inserted while paused, one statement per index; end the pause."""

    # -- queries --------------------------------------------------------------------

    def documents_sql(self, spec: IndexSpec, terms: list[Term]) -> tuple[str, list] | None:
        """SELECT of the ids whose document contains every term (None: no indexable term)."""
        raise NotImplementedError

    def match(
        self,
        spec: IndexSpec,
        queryset,
        *,
        tenant_id: int,
        terms: list[Term],
        limit: int,
        tenant_wide: bool = False,
    ) -> list[int]:
        """Ids of records in `queryset` whose document contains every term, newest first.

        `tenant_wide`: the queryset is every live row of the tenant (the actor sees all),
        which the index itself can tell where it records the tenant.
        """
        raise NotImplementedError

    def run(self, sql: str, params: list) -> list[int]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]


PAUSE_TABLE = "search_index_pause"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class SQLiteBackend(SearchBackend):
    vendor = "sqlite"
    pauses_row_triggers = True

    def ensure(self, spec):
        # The insert triggers read it; a pause row lives only inside a bulk insert's
        # transaction, so the table is empty whenever another connection looks.
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {PAUSE_TABLE} (name text PRIMARY KEY) WITHOUT ROWID"
            )
        return super().ensure(spec)

    def pause(self, cursor, specs):
        """Drop the specs' insert triggers (their definitions are returned, to be created
        again by `index_rows` in the same transaction). Any signature: a trigger of an
        older definition, not rebuilt yet by `ensure`, stands aside too."""
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
            f"({', '.join(['%s'] * len(specs))}) ORDER BY name",
            [spec.table for spec in specs],
        )
        paused = [
            (name, sql)
            for name, sql in cursor.fetchall()
            if name.endswith("_insert")
            and any(name.startswith(spec.trigger_prefix) for spec in specs)
        ]
        for name, _sql in paused:
            cursor.execute(f'DROP TRIGGER "{name}"')
        return paused

    def index_rows(self, cursor, specs, ids, paused=None):
        # Ids are integers: inlined (without parameters, a `%` in a spec's SQL stays as is).
        listed = _literal(json.dumps([int(pk) for pk in ids]))
        for spec in specs:
            cursor.execute(self._insert(spec, f"r.id IN (SELECT value FROM json_each({listed}))"))
        for _name, sql in paused or ():
            cursor.execute(sql)

    def existing_triggers(self, cursor, spec):
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in cursor.fetchall() if name.startswith(spec.trigger_prefix)}

    def drop_triggers(self, cursor, spec, names):
        for name in names:
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')

    def create_table(self, spec):
        return [f"CREATE VIRTUAL TABLE {spec.doc_table} USING fts5(body, tokenize = 'trigram')"]

    def _insert(self, spec: IndexSpec, where: str) -> str:
        select = self.documents(spec, where).replace("r.tenant_id, ", "", 1)
        return f"INSERT INTO {spec.doc_table}(rowid, body) {select}"

    def create_triggers(self, spec):
        doc, table = spec.doc_table, spec.table
        names = iter(self.trigger_names(spec))
        changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in spec.watch)
        statements = [
            f"CREATE TRIGGER {next(names)} AFTER INSERT ON {table} "
            f"WHEN NOT EXISTS (SELECT 1 FROM {PAUSE_TABLE} WHERE name = {_literal(spec.name)}) "
            f"BEGIN {self._insert(spec, 'r.id = NEW.id')}; END",
            f"CREATE TRIGGER {next(names)} AFTER UPDATE ON {table} WHEN {changed} BEGIN "
            f"DELETE FROM {doc} WHERE rowid = OLD.id; {self._insert(spec, 'r.id = NEW.id')}; END",
            f"CREATE TRIGGER {next(names)} AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM {doc} WHERE rowid = OLD.id; END",
        ]
        for dependency in spec.dependencies:
            rows = dependency.rows.format(changed="NEW")
            changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in dependency.watch)
            statements.append(
                f"CREATE TRIGGER {next(names)} AFTER UPDATE ON {dependency.table} "
                f"WHEN {changed} BEGIN "
                f"DELETE FROM {doc} WHERE rowid IN (SELECT r.id FROM {table} r WHERE {rows}); "
                f"{self._insert(spec, rows)}; END"
            )
        return statements

    def rebuild(self, spec):
        return [
            f"DELETE FROM {spec.doc_table}",
            self._insert(spec, "1 = 1"),
            f"INSERT INTO {spec.doc_table}({spec.doc_table}) VALUES ('optimize')",
        ]

    def documents_sql(self, spec, terms):
        matched, checks, params = [], [], []
        for term in terms:
            spelled = patterns(term)
            if any(len(p) < MIN_INDEXED for p in spelled):
                checks.append(_any(["instr(d.body, %s) > 0"] * len(spelled)))
                params += spelled
                continue
            phrases = ['"{}"'.format(p[:MAX_PHRASE].replace('"', '""')) for p in spelled]
            matched.append(_any(list(dict.fromkeys(phrases))))
            if any(len(p) > MAX_PHRASE for p in spelled):
                checks.append(_any(["instr(d.body, %s) > 0"] * len(spelled)))
                params += spelled
        if not matched:
            return None
        sql = f"SELECT d.rowid FROM {spec.doc_table} d WHERE d.body MATCH %s"
        sql += "".join(f" AND {check}" for check in checks)
        return sql, [" AND ".join(matched), *params]

    def match(self, spec, queryset, *, tenant_id, terms, limit, tenant_wide=False):
        documents = self.documents_sql(spec, terms)
        if documents is None:
            return []
        # The FTS table holds no tenant: the visibility check always runs (on the few rows
        # read before the limit is reached, newest first).
        exists, exists_params = visible_exists(queryset, "d.rowid")
        sql = f"{documents[0]} AND {exists} ORDER BY d.rowid DESC LIMIT %s"
        return self.run(sql, [*documents[1], *exists_params, limit])


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class PostgresBackend(SearchBackend):
    vendor = "postgresql"

    def existing_triggers(self, cursor, spec):
        cursor.execute(
            "SELECT proname FROM pg_proc WHERE starts_with(proname, %s)", [spec.trigger_prefix]
        )
        return {name for (name,) in cursor.fetchall()}

    def drop_triggers(self, cursor, spec, names):
        for name in names:
            cursor.execute(f'DROP FUNCTION IF EXISTS "{name}"() CASCADE')

    def create_table(self, spec):
        doc = spec.doc_table
        return [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            f"CREATE TABLE {doc} (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, "
            "body text NOT NULL)",
            f"CREATE INDEX {doc}_body ON {doc} USING gin (body gin_trgm_ops)",
        ]

    def _trigger(self, name: str, table: str, event: str, body: str) -> list[str]:
        transitions = {
            "INSERT": "REFERENCING NEW TABLE AS new_rows",
            "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "DELETE": "REFERENCING OLD TABLE AS old_rows",
            "TRUNCATE": "",
        }[event]
        return [
            f'CREATE FUNCTION "{name}"() RETURNS trigger LANGUAGE plpgsql AS $$ '
            f"BEGIN {body}; RETURN NULL; END $$",
            f'CREATE TRIGGER "{name}" AFTER {event} ON {table} {transitions} '
            f'FOR EACH STATEMENT EXECUTE FUNCTION "{name}"()',
        ]

    def _insert(self, spec: IndexSpec, where: str, source: str | None = None) -> str:
        return (
            f"INSERT INTO {spec.doc_table}(id, tenant_id, body) "
            f"{self.documents(spec, where, source)}"
        )

    def create_triggers(self, spec):
        doc, table = spec.doc_table, spec.table
        names = iter(self.trigger_names(spec))
        changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in spec.watch)
        changed_ids = f"SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {changed}"
        statements = [
            *self._trigger(next(names), table, "INSERT", self._insert(spec, "TRUE", "new_rows")),
            *self._trigger(
                next(names),
                table,
                "UPDATE",
                f"DELETE FROM {doc} WHERE id IN ({changed_ids}); "
                + self._insert(spec, f"r.id IN ({changed_ids})", "new_rows"),
            ),
            *self._trigger(
                next(names),
                table,
                "DELETE",
                f"DELETE FROM {doc} WHERE id IN (SELECT id FROM old_rows)",
            ),
        ]
        for dependency in spec.dependencies:
            changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in dependency.watch)
            affected = (
                f"EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id "
                f"WHERE ({changed}) AND ({dependency.rows.format(changed='n')}))"
            )
            statements += self._trigger(
                next(names),
                dependency.table,
                "UPDATE",
                f"DELETE FROM {doc} WHERE id IN (SELECT r.id FROM {table} r WHERE {affected}); "
                + self._insert(spec, affected),
            )
        # TRUNCATE fires no row triggers (Django's flush truncates): empty the index too.
        truncate = spec.trigger_name("truncate")
        statements += self._trigger(truncate, table, "TRUNCATE", f"TRUNCATE {doc}")
        return statements

    def trigger_names(self, spec):
        return [*super().trigger_names(spec), spec.trigger_name("truncate")]

    def rebuild(self, spec):
        return [
            f"TRUNCATE {spec.doc_table}",
            self._insert(spec, "TRUE"),
            f"ANALYZE {spec.doc_table}",
        ]

    def documents_sql(self, spec, terms):
        if not any(len(pattern(t)) >= MIN_INDEXED for t in terms):
            return None
        conditions, params = [], []
        for term in terms:
            spelled = patterns(term)
            # As in SQLite: the index narrows on the first characters (every trigram of a
            # whole email is a long posting list to intersect), strpos() checks the rest.
            conditions.append(_any(["d.body LIKE %s"] * len(spelled)))
            params += [_like(p[:MAX_PHRASE]) for p in spelled]
            if any(len(p) > MAX_PHRASE for p in spelled):
                conditions.append(_any(["strpos(d.body, %s) > 0"] * len(spelled)))
                params += spelled
        return f"SELECT d.id FROM {spec.doc_table} d WHERE {' AND '.join(conditions)}", params

    def match(self, spec, queryset, *, tenant_id, terms, limit, tenant_wide=False):
        documents = self.documents_sql(spec, terms)
        if documents is None:
            return []
        sql, params = f"{documents[0]} AND d.tenant_id = %s", [*documents[1], tenant_id]
        if not tenant_wide:
            exists, exists_params = visible_exists(queryset, "d.id")
            sql, params = f"{sql} AND {exists}", [*params, *exists_params]
        return self.run(f"{sql} ORDER BY d.id DESC LIMIT %s", [*params, limit])


BACKENDS = {backend.vendor: backend for backend in (SQLiteBackend, PostgresBackend)}


def backend_for(connection) -> SearchBackend:
    """The search backend of this database connection (by `connection.vendor`)."""
    try:
        return BACKENDS[connection.vendor](connection)
    except KeyError:
        raise NotImplementedError(f"No search backend for {connection.vendor}") from None
