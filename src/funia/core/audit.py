"""The audit trail: every create, update, delete and restore, with the changed fields."""

import datetime
import decimal
import uuid

from funia.core.actor import Actor
from funia.core.models import AuditAction, AuditEntry


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj) -> dict:
    """The audited field values of a record, JSON-friendly (foreign keys as ids)."""
    excluded = set(getattr(obj, "audit_exclude", ())) | {obj._meta.pk.name}
    return {
        field.name: _jsonable(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if field.name not in excluded
    }


def diff(before: dict, after: dict) -> dict:
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def audit_record(*, by: Actor, obj, action: str, changes: dict | None = None) -> AuditEntry:
    """Append one audit entry; call inside the write's transaction."""
    return AuditEntry.objects.create(
        tenant_id=obj.tenant_id,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        action=action,
        changes=_jsonable(changes or {}),
        user=by.user,
        token=by.token,
    )


__all__ = ["AuditAction", "audit_record", "diff", "snapshot"]
