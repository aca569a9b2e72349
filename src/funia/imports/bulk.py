"""Many accounts or contacts at once, with the invariants of `account_create`/`contact_create`.

The customers services write one record per call (about fifteen queries each). An import of
100,000 rows needs the same result in a few queries per chunk, so this module

- prepares each row with `customers.services.prepare_record` itself (normalised emails and E.164
  phones, addresses, tags, consent, `name_key` and `search_text`: the services' own code)
  and the model's own field validation (`clean_fields`);
- leaves references (owner, account, parent) and custom values to the caller, who checks
  them once per chunk with the same rules (`clean_custom` with the field definitions read
  once, members and visible accounts read once);
- writes the records (with ids taken beforehand, so no RETURNING and no second pass), their
  contact points, addresses, tags and consent events, and one `create` audit entry per
  record holding what `record_create` records (`diff({}, snapshot(record))` plus the
  lists), inside the caller's transaction: COPY on PostgreSQL, one prepared single-row
  INSERT run for all rows on SQLite. Django's `bulk_create` spends most of its time
  preparing each value of each field; here the values are already clean, so only the
  types the database driver cannot take as they are (JSON; date-times on SQLite) are
  converted. The search index of the records is written with one statement per chunk
  (`search.index.bulk_insert`), in the same transaction.
"""

import functools
import itertools
import json
import operator
from collections.abc import Iterable
from dataclasses import dataclass

from django.core import validators
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from funia.core.actor import Actor
from funia.core.audit import _jsonable as audit_jsonable
from funia.core.models import AuditAction, AuditEntry
from funia.customers import services
from funia.customers.models import (
    Account,
    Address,
    ConsentEvent,
    Contact,
    ContactPoint,
    RecordTag,
)
from funia.search import index as search_index

MODELS = {"account": Account, "contact": Contact}
# Checked in bulk by the caller (see the module docstring), so left out of clean_fields().
REFERENCE_FIELDS = ("tenant", "owner", "account", "parent", "merged_into")
REFERENCES = ("owner_id", "account_id", "parent_id")


# The reference a record may get while its chunk is written (a contact's account named in
# the file, an account's parent): the audit text is made without it (see audit_halves()).
WRITTEN_REFERENCE = {Contact: "account", Account: "parent"}
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


class RawJSON(str):
    """JSON text made beforehand: `insert` writes it as it is."""


@dataclass
class PreparedRecord:
    """A record ready to write: the unsaved instance and the lists that go with it."""

    instance: Account | Contact
    prepared: services.Prepared
    audit_text: tuple[str, str] | None = None  # see audit_halves()

    def audit_halves(self) -> tuple[str, str]:
        """The JSON members of the record's `create` audit entry before and after its
        written reference: what `record_create` records (diff({}, snapshot(record)) plus
        the lists). Made once; a helper process makes it while packing, so the writer
        only joins strings."""
        if self.audit_text is None:
            model = type(self.instance)
            reference = WRITTEN_REFERENCE[model]
            halves: tuple[dict, dict] = ({}, {})
            side = 0
            for name, attname in _audit_fields(model):
                if name == reference:
                    side = 1
                    continue
                value = getattr(self.instance, attname)
                if value is not None:
                    halves[side][name] = [None, audit_jsonable(value)]
            halves[1].update(services.prepared_audit_lists(self.prepared))
            # Each half as the members of a JSON object: its text without the braces.
            self.audit_text = (_ENCODE(halves[0])[1:-1], _ENCODE(halves[1])[1:-1])
        return self.audit_text

    def audit_changes(self) -> RawJSON:
        """The `changes` of the record's `create` audit entry, as JSON text."""
        before, after = self.audit_halves()
        reference = WRITTEN_REFERENCE[type(self.instance)]
        value = getattr(self.instance, f"{reference}_id")
        middle = f'"{reference}": [null, {int(value)}]' if value is not None else ""
        return RawJSON("{" + ", ".join(part for part in (before, middle, after) if part) + "}")


@functools.cache
def _audit_fields(model) -> tuple[tuple[str, str], ...]:
    """(field name, attname) of what `audit.snapshot` records, in its order."""
    excluded = set(getattr(model, "audit_exclude", ()))
    return tuple(
        (field.name, field.attname)
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in excluded
    )


# Validators a plain text field may have and still be checked at a glance (see valid()).
_GLANCE_VALIDATORS = (validators.MaxLengthValidator, validators.ProhibitNullCharactersValidator)


class RecordPreparer:
    """Validates records of one type like the services do, without per-record queries."""

    def __init__(self, *, by: Actor, entity: str):
        self.by = by
        self.entity = entity
        self.model = MODELS[entity]
        # `prepare_record` reads missing fields from `current`; a blank record makes them empty
        # and skips the checks this module's callers make once per chunk. Never saved.
        self.blank = self.model(tenant_id=by.tenant.pk)
        self.attnames = {field.attname for field in self.model._meta.concrete_fields}
        # Each field's default as the constructor takes it: the constant ones once (the same
        # values: a field's default value, None or ""), the callable ones (dict, now) per
        # record.
        self.constants, self.defaults = {}, []
        for field in self.model._meta.concrete_fields:
            if (field.has_default() and callable(field.default)) or field.has_db_default():
                self.defaults.append((field.attname, field._get_default))
            else:
                self.constants[field.attname] = field._get_default()
        # What clean_fields() checks, field by field: plain text fields as (name, attname,
        # max length, blank), the others with the field to clean.
        self.text_fields, self.other_fields = [], []
        for field in self.model._meta.fields:
            if field.name in REFERENCE_FIELDS or field.generated:
                continue
            if (
                type(field) in (models.CharField, models.TextField)
                and not field.choices
                and all(isinstance(v, _GLANCE_VALIDATORS) for v in field.validators)
            ):
                self.text_fields.append((field.name, field.attname, field.max_length, field.blank))
            else:
                self.other_fields.append(field)

    def prepare(
        self, data: dict, custom: dict | None = None, *, unchecked: tuple[str, ...] = ()
    ) -> PreparedRecord:
        """ValidationError names the fields, as the services' errors do.

        `data` holds the service fields; references (`owner_id`, `account_id`,
        `parent_id`) must be checked by the caller, and `custom` cleaned with
        `custom_fields.clean_custom`. Fields in `unchecked` are left to the caller (a row
        that updates a record need not repeat its required name).
        """
        data = dict(data)
        references = {name: data.pop(name) for name in REFERENCES if name in data}
        if references.get("owner_id") is None:
            references["owner_id"] = self.by.user.pk
        data.pop("custom", None)
        prepared = services.prepare_record(self.by, self.entity, data, current=self.blank)
        prepared.fields.update(references)
        prepared.fields["custom"] = custom or {}
        instance = self.new_instance(prepared.fields)
        if not self.valid(instance, unchecked):
            try:
                instance.clean_fields(exclude=(*REFERENCE_FIELDS, *unchecked))
            except ValidationError as exc:
                raise ValidationError(exc.message_dict) from exc
        return PreparedRecord(instance, prepared)

    def valid(self, instance, unchecked: tuple[str, ...]) -> bool:
        """True when `instance.clean_fields()` would pass: plain text fields are checked
        at a glance (type, blank, length, no NUL), the others cleaned as clean_fields()
        does. False sends the record through clean_fields() for its messages (it is
        never more lenient than clean_fields)."""
        values = instance.__dict__
        for name, attname, max_length, blank in self.text_fields:
            if name in unchecked:
                continue
            value = values[attname]
            if type(value) is not str:
                return False
            if not value:
                if blank:
                    continue
                return False
            if (max_length is not None and len(value) > max_length) or "\x00" in value:
                return False
        for field in self.other_fields:
            if field.name in unchecked:
                continue
            value = values[field.attname]
            if field.blank and value in field.empty_values:
                continue
            try:
                values[field.attname] = field.clean(value, instance)
            except ValidationError:
                return False
        return True

    def new_instance(self, fields: dict):
        """`model(tenant_id=..., **fields)` without the constructor's per-keyword work."""
        if not fields.keys() <= self.attnames:
            return self.model(tenant_id=self.by.tenant.pk, **fields)
        values = self.constants.copy()
        for name, default in self.defaults:
            values[name] = default()
        values.update(fields)
        values["tenant_id"] = self.by.tenant.pk
        return instance_from_values(self.model, values)


def instance_from_values(model, values: dict):
    """An unsaved instance holding `values` (every concrete field's attname), as the model's
    constructor would make it; no per-field descriptor calls (no init signals are used)."""
    instance = model.__new__(model)
    instance._state = ModelState()
    instance.__dict__.update(values)
    return instance


def prepare_record(*, by: Actor, entity: str, data: dict, custom: dict | None = None):
    """One record (see RecordPreparer.prepare)."""
    return RecordPreparer(by=by, entity=entity).prepare(data, custom)


# -- bulk inserts ------------------------------------------------------------------------


def _converter(field):
    """How a clean Python value of this field becomes a driver value (None: as it is)."""
    if isinstance(field, models.JSONField):
        dumps = functools.partial(json.dumps, cls=field.encoder, ensure_ascii=False)
        return lambda value: value if type(value) is RawJSON else dumps(value)
    if connection.vendor == "postgresql":
        return None  # psycopg takes dates, times and decimals as they are
    if isinstance(field, models.DateTimeField):
        # A chunk's records share their timestamps: convert each distinct one once.
        return functools.lru_cache(maxsize=4)(connection.ops.adapt_datetimefield_value)
    if isinstance(field, models.DecimalField | models.DateField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def allocate_ids(model, count: int) -> list[int]:
    """`count` new primary keys of `model`'s table, for rows inserted with explicit ids.

    PostgreSQL: from the table's sequence (safe with concurrent writers). SQLite: after
    the highest id ever used (the AUTOINCREMENT counter); the caller's transaction holds
    SQLite's only write lock (transactions begin IMMEDIATE), so no other writer can take
    them, and inserting them moves the counter on.
    """
    if count <= 0:
        return []
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if not connection.in_atomic_block:
            raise RuntimeError("allocate_ids() on SQLite must run inside a transaction.")
        quote = connection.ops.quote_name
        cursor.execute(
            f"SELECT max(coalesce((SELECT max({quote(pk)}) FROM {quote(table)}), 0), "  # noqa: S608
            "coalesce((SELECT max(seq) FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + count))


def insert(model, columns: list[str], rows: Iterable[tuple]) -> None:
    """INSERT the rows (values in `columns` order, by field name) in one go.

    PostgreSQL: COPY (one statement, no SQL to parse per row; statement triggers fire
    once). SQLite: one single-row INSERT prepared once and run for every row. `rows` may
    be a generator: each row is made (and its values converted) as it is sent.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    rows = itertools.chain([first], rows)
    fields = [model._meta.get_field(name) for name in columns]
    converters = [(i, c) for i, c in enumerate(map(_converter, fields)) if c is not None]
    if converters:
        rows = _converted(rows, converters)
    quote = connection.ops.quote_name
    # Table and column names come from the model, never from input; values are parameters.
    table = quote(model._meta.db_table)
    names = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608
                rows,
            )


def _converted(rows, converters):
    for row in rows:
        row = list(row)
        for index, convert in converters:
            if row[index] is not None:
                row[index] = convert(row[index])
        yield row


def _audit_rows(records, common, by, now):
    """The `create` audit entry of each record (see PreparedRecord.audit_halves)."""
    tenant_id, object_type = common
    user_id, token_id = by
    for record in records:
        yield (
            tenant_id,
            object_type,
            record.instance.pk,
            str(record.instance)[:200],
            AuditAction.CREATE,
            record.audit_changes(),
            user_id,
            token_id,
            now,
        )


def records_bulk_create(*, by: Actor, records: list[PreparedRecord]) -> list:
    """Write prepared records of one type with their related rows and audit entries."""
    if not records:
        return []
    instances = [r.instance for r in records]
    model = type(instances[0])
    owner_column = "account" if model is Account else "contact"
    tenant_id = by.tenant.pk
    user_id = by.user.pk
    token_id = by.token.pk if by.token is not None else None
    now = timezone.now()
    object_type = model._meta.label_lower
    concrete = list(model._meta.concrete_fields)
    values_of = operator.attrgetter(*(field.attname for field in concrete))  # -> a tuple
    with transaction.atomic():
        ids = allocate_ids(model, len(instances))
        rows = []
        for obj, pk in zip(instances, ids, strict=True):
            # Written together: one time for all, as one statement would.
            obj.pk = pk
            obj.created_at = obj.updated_at = now
            obj._state.adding = False
            obj._state.db = connection.alias
            rows.append(values_of(obj))
        with search_index.bulk_insert(model._meta.db_table, ids):
            insert(model, [field.name for field in concrete], rows)
        names = {name.lower(): name for r in records for name in (r.prepared.tags or [])}
        tags = {
            tag.name.lower(): tag.pk
            for tag in services.tags_get_or_create(tenant_id=tenant_id, names=list(names.values()))
        }
        points, addresses, tag_links, consent = [], [], [], []
        for record, obj in zip(records, instances, strict=True):
            prepared = record.prepared
            pk = obj.pk
            for kind, items in (("email", prepared.emails), ("phone", prepared.phones)):
                points.extend(
                    (tenant_id, pk, kind, item["value"], item["label"], position)
                    for position, item in enumerate(items or [])
                )
            addresses.extend(
                (tenant_id, pk, position, *(a[name] for name in services.ADDRESS_FIELDS))
                for position, a in enumerate(prepared.addresses or [])
            )
            tag_links.extend((tenant_id, pk, tags[name.lower()]) for name in prepared.tags or [])
            consent.extend(
                (tenant_id, pk, e["channel"], e["granted"], now, e["source"])
                for e in prepared.consent_events
            )
        insert(
            ContactPoint,
            ["tenant", owner_column, "kind", "value", "label", "position"],
            points,
        )
        insert(
            Address,
            ["tenant", owner_column, "position", *services.ADDRESS_FIELDS],
            addresses,
        )
        insert(RecordTag, ["tenant", owner_column, "tag"], tag_links)
        insert(ConsentEvent, ["tenant", "contact", "channel", "granted", "at", "source"], consent)
        # Made while they are written: on PostgreSQL the server stores the entries sent
        # while the next ones are being made.
        audit = _audit_rows(records, (tenant_id, object_type), (user_id, token_id), now)
        insert(
            AuditEntry,
            [
                "tenant",
                "object_type",
                "object_id",
                "object_repr",
                "action",
                "changes",
                "user",
                "token",
                "at",
            ],
            audit,
        )
    return instances
