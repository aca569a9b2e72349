"""Generic writes of tenant records: every one versioned, audited, in one transaction.

App services build on these (`account_create` calls `record_create`), so versioning, the
audit trail, optimistic concurrency and soft delete behave the same for every record type.
"""

from django.db import transaction
from django.utils import timezone

from funia.core.actor import Actor
from funia.core.audit import AuditAction, audit_record, diff, snapshot
from funia.core.tenancy import TenantModel


class StaleVersion(Exception):
    """The client's If-Match names a version that is no longer current."""

    def __init__(self, current_etag: str):
        super().__init__(
            f"The record changed since you read it; its current version is {current_etag}."
        )
        self.current_etag = current_etag


def etag_matches(if_match: str | None, obj: TenantModel) -> bool:
    """RFC 9110 If-Match (strong comparison): absent or '*' match; else a listed tag must."""
    if if_match is None:
        return True
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or obj.etag in tags


def _locked(obj: TenantModel) -> TenantModel:
    model = type(obj)
    return (
        model.objects.for_tenant(obj.tenant_id, with_deleted=True)
        .select_for_update()
        .get(pk=obj.pk)
    )


def record_create(
    *, model: type[TenantModel], by: Actor, extra_changes: dict | None = None, **fields
) -> TenantModel:
    """Create a record; `extra_changes` adds what the row does not hold (e.g. members)."""
    with transaction.atomic():
        obj = model(tenant=by.tenant, **fields)
        obj.full_clean()
        obj.save()
        changes = diff({}, snapshot(obj)) | (extra_changes or {})
        audit_record(by=by, obj=obj, action=AuditAction.CREATE, changes=changes)
    return obj


def record_update(
    *,
    obj: TenantModel,
    by: Actor,
    fields: dict,
    if_match: str | None = None,
    extra_changes: dict | None = None,
) -> TenantModel:
    """Apply field values; a stale If-Match raises StaleVersion and changes nothing."""
    with transaction.atomic():
        current = _locked(obj)
        if not etag_matches(if_match, current):
            raise StaleVersion(current.etag)
        before = snapshot(current)
        for name, value in fields.items():
            setattr(current, name, value)
        current.full_clean()
        changes = diff(before, snapshot(current)) | (extra_changes or {})
        if changes:
            current.version += 1
            current.updated_at = timezone.now()
            current.save()
            audit_record(by=by, obj=current, action=AuditAction.UPDATE, changes=changes)
    return current


def _set_deleted(*, obj: TenantModel, by: Actor, deleted: bool, if_match: str | None):
    with transaction.atomic():
        current = _locked(obj)
        if not etag_matches(if_match, current):
            raise StaleVersion(current.etag)
        if current.is_deleted == deleted:
            return current
        old = current.deleted_at
        current.deleted_at = timezone.now() if deleted else None
        current.version += 1
        current.updated_at = timezone.now()
        current.save(update_fields=["deleted_at", "version", "updated_at"])
        audit_record(
            by=by,
            obj=current,
            action=AuditAction.DELETE if deleted else AuditAction.RESTORE,
            changes={
                "deleted_at": [
                    old and old.isoformat(),
                    current.deleted_at and current.deleted_at.isoformat(),
                ]
            },
        )
    return current


def record_soft_delete(*, obj: TenantModel, by: Actor, if_match: str | None = None):
    """Move a record to the trash; it keeps all its links and can be restored."""
    return _set_deleted(obj=obj, by=by, deleted=True, if_match=if_match)


def record_restore(*, obj: TenantModel, by: Actor, if_match: str | None = None):
    return _set_deleted(obj=obj, by=by, deleted=False, if_match=if_match)
