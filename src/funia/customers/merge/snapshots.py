"""Snapshots of records and their lists, for undo and the audit trail."""

from django.db import models

from funia.core.actor import Actor
from funia.customers import services
from funia.customers.merge.constants import BOOKKEEPING
from funia.customers.merge.fields import _entity

# -- snapshots --------------------------------------------------------------------------


def _values(record) -> dict:
    """Every column of a record that a merge or undo may change, by attribute name."""
    return {
        f.attname: getattr(record, f.attname)
        for f in record._meta.concrete_fields
        if f.attname not in BOOKKEEPING and f.name != "merged_into"
    }


def _field(model, attname: str) -> models.Field:
    return next(f for f in model._meta.concrete_fields if f.attname == attname)


def _python(model, attname: str, value):
    """A snapshot value (JSON) back as the field's Python value."""
    return value if value is None else _field(model, attname).to_python(value)


def _search_keys(by: Actor, record) -> dict:
    # The services own how name keys and search text are built; reuse them, not a copy.
    return services.prepare_record(by, _entity(type(record)), {}, current=record).fields


def _lists(record) -> dict:
    return services.related_snapshot(record)


def _changed_lists(before: dict, after: dict) -> dict:
    return {name: [before[name], after[name]] for name in after if before.get(name) != after[name]}
