"""Many accounts or contacts at once, with the invariants of `account_create`/`contact_create`.

The customers services write one record per call (about fifteen queries each). An import of
100,000 rows needs the same result in a few queries per chunk, so this module

- prepares each row with `customers.services.prepare_record` itself (normalised emails and E.164
  phones, addresses, tags, consent, `name_key` and `search_text`: the services' own code)
  and the model's own field validation (`clean_fields`);
- leaves references (owner, account, parent) and custom values to the caller, who checks
  them once per chunk with the same rules (`clean_custom` with the field definitions read
  once, members and visible accounts read once);
- writes the records, their contact points, addresses, tags and consent events, and one
  `create` audit entry per record holding what `record_create` records
  (`diff({}, snapshot(record))` plus the lists), in multi-row INSERT statements inside the
  caller's transaction. Django's `bulk_create` spends most of its time preparing each value
  of each field; here the values are already clean, so only the types the database driver
  cannot take as they are (date-times, JSON) are converted.
"""

import functools
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

from funia.core.actor import Actor
from funia.core.audit import diff, snapshot
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

MODELS = {"account": Account, "contact": Contact}
# Checked in bulk by the caller (see the module docstring), so left out of clean_fields().
REFERENCE_FIELDS = ("tenant", "owner", "account", "parent", "merged_into")
REFERENCES = ("owner_id", "account_id", "parent_id")
MAX_PARAMETERS = 10_000


@dataclass
class PreparedRecord:
    """A record ready to write: the unsaved instance and the lists that go with it."""

    instance: Account | Contact
    prepared: services.Prepared


class RecordPreparer:
    """Validates records of one type like the services do, without per-record queries."""

    def __init__(self, *, by: Actor, entity: str):
        self.by = by
        self.entity = entity
        self.model = MODELS[entity]
        # `prepare_record` reads missing fields from `current`; a blank record makes them empty
        # and skips the checks this module's callers make once per chunk. Never saved.
        self.blank = self.model(tenant_id=by.tenant.pk)

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
        instance = self.model(tenant_id=self.by.tenant.pk, **prepared.fields)
        try:
            instance.clean_fields(exclude=(*REFERENCE_FIELDS, *unchecked))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return PreparedRecord(instance, prepared)


def prepare_record(*, by: Actor, entity: str, data: dict, custom: dict | None = None):
    """One record (see RecordPreparer.prepare)."""
    return RecordPreparer(by=by, entity=entity).prepare(data, custom)


# -- multi-row inserts -------------------------------------------------------------------


def _converter(field):
    """How a clean Python value of this field becomes a driver value (None: as it is)."""
    if isinstance(field, models.DateTimeField):
        # A chunk's records share their timestamps: convert each distinct one once.
        return functools.lru_cache(maxsize=4)(connection.ops.adapt_datetimefield_value)
    if isinstance(field, models.JSONField):
        return lambda value: connection.ops.adapt_json_value(value, field.encoder)
    if isinstance(field, models.DecimalField | models.DateField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def insert(model, columns: list[str], rows: list[tuple], *, returning: bool = False) -> list:
    """INSERT the rows (values in `columns` order, by field name); the new ids if asked.

    PostgreSQL gets one array per column through UNNEST, as Django's own bulk_create does
    (a short statement, parsed once); SQLite gets multi-row VALUES within its parameter
    limit.
    """
    if not rows:
        return []
    fields = [model._meta.get_field(name) for name in columns]
    converters = [(i, c) for i, c in enumerate(map(_converter, fields)) if c is not None]
    if converters:
        rows = [list(row) for row in rows]
        for row in rows:
            for index, convert in converters:
                if row[index] is not None:
                    row[index] = convert(row[index])
    quote = connection.ops.quote_name
    # Table and column names come from the model, never from input; values are parameters.
    head = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) "
    )
    suffix = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    if connection.vendor == "postgresql":
        types = [field.db_type(connection).split("(")[0] for field in fields]
        arrays = ", ".join(f"(%s)::{db_type}[]" for db_type in types)
        statements = [
            (
                f"{head}SELECT * FROM UNNEST({arrays}){suffix}",  # noqa: S608
                [list(c) for c in zip(*rows, strict=True)],
            )
        ]
    else:
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        limit = min(connection.features.max_query_params or MAX_PARAMETERS, MAX_PARAMETERS)
        size = max(1, limit // len(fields))
        statements = [
            (
                f"{head}VALUES {', '.join([one] * len(batch))}{suffix}",
                [value for row in batch for value in row],
            )
            for batch in (rows[start : start + size] for start in range(0, len(rows), size))
        ]
    ids = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids


def _insert_records(instances: list) -> None:
    model = type(instances[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = [tuple(getattr(obj, f.attname) for f in fields) for obj in instances]
    ids = insert(model, [f.name for f in fields], rows, returning=True)
    for obj, pk in zip(instances, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def records_bulk_create(*, by: Actor, records: list[PreparedRecord]) -> list:
    """Write prepared records of one type with their related rows and audit entries."""
    if not records:
        return []
    instances = [r.instance for r in records]
    owner_column = "account" if isinstance(instances[0], Account) else "contact"
    tenant_id = by.tenant.pk
    user_id = by.user.pk
    token_id = by.token.pk if by.token is not None else None
    now = timezone.now()
    object_type = instances[0]._meta.label_lower
    for obj in instances:  # written together: one time for all, as one statement would
        obj.created_at = obj.updated_at = now
    with transaction.atomic():
        _insert_records(instances)
        names = {name.lower(): name for r in records for name in (r.prepared.tags or [])}
        tags = {
            tag.name.lower(): tag.pk
            for tag in services.tags_get_or_create(tenant_id=tenant_id, names=list(names.values()))
        }
        points, addresses, tag_links, consent, audit = [], [], [], [], []
        for record in records:
            obj, prepared = record.instance, record.prepared
            for kind, items in (("email", prepared.emails), ("phone", prepared.phones)):
                points.extend(
                    (tenant_id, obj.pk, kind, item["value"], item["label"], position)
                    for position, item in enumerate(items or [])
                )
            addresses.extend(
                (tenant_id, obj.pk, position, *(a[name] for name in services.ADDRESS_FIELDS))
                for position, a in enumerate(prepared.addresses or [])
            )
            tag_links.extend(
                (tenant_id, obj.pk, tags[name.lower()]) for name in prepared.tags or []
            )
            consent.extend(
                (tenant_id, obj.pk, e["channel"], e["granted"], now, e["source"])
                for e in prepared.consent_events
            )
            changes = diff({}, snapshot(obj)) | services.prepared_audit_lists(prepared)
            audit.append(
                (
                    tenant_id,
                    object_type,
                    obj.pk,
                    str(obj)[:200],
                    AuditAction.CREATE,
                    changes,
                    user_id,
                    token_id,
                    now,
                )
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
