"""The services: `contact_merge`, `account_merge` and `merge_undo`."""

from collections import defaultdict

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.audit import AuditAction, audit_record
from funia.core.records import record_update
from funia.core.visibility import require_change, visible_records
from funia.customers.merge.constants import BATCH, MAX_MERGED
from funia.customers.merge.fields import _check_no_cycle, _chosen_values, _entity, _resolve_sources
from funia.customers.merge.relations import (
    Link,
    _bump,
    _duplicate_keys,
    _move_link,
    _rows,
    related_links,
)
from funia.customers.merge.snapshots import (
    _changed_lists,
    _field,
    _lists,
    _python,
    _search_keys,
    _values,
)
from funia.customers.models import Account, Contact, Merge, MergeMove

# -- merge -------------------------------------------------------------------------------


def _check_records(by: Actor, survivor, merged: list) -> list:
    """Authorize and validate before anything is written; returns the merged records."""
    model = type(survivor)
    merged = list({r.pk: r for r in merged}.values())
    everyone = [survivor, *merged]
    if any(type(r) is not model or r.tenant_id != by.tenant.pk for r in everyone):
        raise model.DoesNotExist
    ids = [r.pk for r in everyone]
    visible = visible_records(model, by, with_deleted=True).filter(pk__in=ids).count()
    if visible != len(set(ids)):
        raise model.DoesNotExist
    for record in everyone:
        require_change(by, record)
    if not merged:
        raise ValidationError({"merged": _("Choose at least one record to merge.")})
    if len(merged) > MAX_MERGED:
        raise ValidationError(
            {"merged": _("Merge at most %(n)d records at once.") % {"n": MAX_MERGED}}
        )
    if survivor.pk in {r.pk for r in merged}:
        raise ValidationError({"merged": _("The survivor cannot also be merged into itself.")})
    return merged


def _check_alive(records: list) -> None:
    errors = []
    for record in records:
        if record.merged_into_id is not None:
            errors.append(
                _("%(name)s (#%(id)s) was already merged into #%(into)s.")
                % {"name": record, "id": record.pk, "into": record.merged_into_id}
            )
        elif record.is_deleted:
            errors.append(
                _("%(name)s (#%(id)s) is in the trash; restore it first.")
                % {"name": record, "id": record.pk}
            )
    if errors:
        raise ValidationError(errors)


def _lock(model, tenant_id: int, ids: list[int]) -> dict:
    return {
        r.pk: r
        for r in model.objects.for_tenant(tenant_id, with_deleted=True)
        .select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
    }


def _retire(*, by: Actor, record, survivor, now) -> None:
    record.deleted_at = now
    record.merged_into_id = survivor.pk
    record.version += 1
    record.updated_at = now
    record.save(update_fields=["deleted_at", "merged_into", "version", "updated_at"])
    audit_record(
        by=by,
        obj=record,
        action=AuditAction.DELETE,
        changes={"deleted_at": [None, now.isoformat()], "merged_into": [None, survivor.pk]},
    )


def _merge(*, by: Actor, survivor, merged: list, fields: dict | None) -> Merge:
    model = type(survivor)
    merged = _check_records(by, survivor, merged)
    with transaction.atomic():
        locked = _lock(model, by.tenant.pk, [survivor.pk, *(r.pk for r in merged)])
        survivor = locked[survivor.pk]
        merged = [locked[r.pk] for r in merged]
        records = [survivor, *merged]
        _check_alive(records)
        sources = _resolve_sources(records, survivor, fields or {})
        values = _chosen_values(records, survivor, sources)
        before = _values(survivor)
        merge = Merge.objects.create(
            tenant_id=by.tenant.pk,
            type=_entity(model),
            survivor_contact=survivor if model is Contact else None,
            survivor_account=survivor if model is Account else None,
            merged_ids=[r.pk for r in merged],
            fields=sources,
            survivor_before=before,
            merged_before={str(r.pk): _values(r) for r in merged},
            created_by=by.user,
        )
        lists_before = _lists(survivor)
        moves = []
        try:
            for link in related_links(model):
                moves += _move_link(
                    merge=merge, link=link, sources=[r.pk for r in merged], survivor=survivor
                )
        except IntegrityError as exc:
            raise ValidationError(
                _("Related rows of these records clash in a way a merge cannot resolve.")
            ) from exc
        MergeMove.objects.bulk_create(moves, batch_size=BATCH)
        if model is Account:
            _check_no_cycle(survivor, values["parent_id"])
        for attname, value in values.items():
            setattr(survivor, attname, value)
        values |= _search_keys(by, survivor)
        now = timezone.now()
        for record in merged:
            _retire(by=by, record=record, survivor=survivor, now=now)
        extra = {"merged": [None, merge.merged_ids], "merge": [None, merge.pk]}
        extra |= _changed_lists(lists_before, _lists(survivor))
        survivor = record_update(obj=survivor, by=by, fields=values, extra_changes=extra)
        merge.survivor_after = {k: v for k, v in _values(survivor).items() if before[k] != v}
        merge.save(update_fields=["survivor_after"])
    return merge


def contact_merge(*, by: Actor, survivor: Contact, merged: list[Contact], fields=None) -> Merge:
    """Merge contacts into `survivor`; `fields` maps a field name (or "custom.<key>") to the
    id of the record to take its value from. Emails, phones, addresses, tags, account links,
    consent history and every row of any module that refers to the merged contacts move to
    the survivor; the merged contacts go to the trash with `merged_into` set."""
    return _merge(by=by, survivor=survivor, merged=merged, fields=fields)


def account_merge(*, by: Actor, survivor: Account, merged: list[Account], fields=None) -> Merge:
    """Merge accounts into `survivor`, as `contact_merge`; their contacts and child accounts
    move too."""
    return _merge(by=by, survivor=survivor, merged=merged, fields=fields)


# -- undo --------------------------------------------------------------------------------


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:  # the module was removed since: nothing to put back
        return None


def _recreate(model, row: dict) -> None:
    """Insert a row again as it was, unless its primary key is taken or a record it refers
    to is gone since (a link to a deleted tag is rightly not restored)."""
    values = {k: _python(model, k, v) for k, v in row.items()}
    if model._base_manager.filter(pk=values[model._meta.pk.attname]).exists():
        return
    for field in model._meta.concrete_fields:
        value = values.get(field.attname)
        if (
            field.is_relation
            and value is not None
            and not field.related_model._base_manager.filter(pk=value).exists()
        ):
            return
    model(**values).save(force_insert=True)


def _restore_moved(merge: Merge, survivor) -> None:
    """Move every row the merge moved back to the record it came from."""
    moved = defaultdict(list)
    for move in merge.moves.filter(dropped=False).order_by("id"):
        moved[move.model, move.field].append(move)
    for (label, name), group in moved.items():
        model = _model(label)
        if model is None:
            continue
        link = Link(model, model._meta.get_field(name))
        attname = link.field.attname
        rows = _rows(model, merge.tenant_id).filter(**{attname: survivor.pk})
        plain = defaultdict(list)
        for move in group:
            if move.row:
                _restore_row(rows, link, move)
            else:
                plain[move.from_id].append(move.row_pk)
        for from_id, pks in plain.items():
            for start in range(0, len(pks), BATCH):
                rows.filter(pk__in=pks[start : start + BATCH]).update(
                    **{attname: from_id}, **_bump(model)
                )


def _restore_row(rows, link: Link, move: MergeMove) -> None:
    """Put one row checked for duplicates back. Services rewrite a record's lists on update
    (new rows, new ids), so a row no longer found by its id is found on the survivor by its
    duplicate key; when it is gone altogether it is recreated on the record it came from."""
    model, attname = link.model, link.field.attname
    changes = {attname: move.from_id}
    changes |= {k: _python(model, k, v) for k, v in move.old_values.items()}
    if rows.filter(pk=move.row_pk).update(**changes, **_bump(model)):
        return
    for key in _duplicate_keys(link):
        if not key:
            continue
        wanted = {a: _python(model, a, move.row.get(a)) for a in key}
        match = rows.filter(**wanted).order_by("pk").first()
        if match is not None:
            rows.filter(pk=match.pk).update(**changes, **_bump(model))
            return
    if not model._base_manager.filter(pk=move.row_pk).exists():
        _recreate(model, move.row)


def _recreate_dropped(merge: Merge) -> None:
    for move in merge.moves.filter(dropped=True).order_by("id"):
        model = _model(move.model)
        if model is not None:
            _recreate(model, move.row)


def _check_undo(merge: Merge, survivor, merged: dict) -> None:
    if merge.undone_at is not None:
        raise ValidationError(
            _("This merge was already undone on %(when)s.")
            % {"when": timezone.localtime(merge.undone_at).strftime("%Y-%m-%d %H:%M")}
        )
    if timezone.now() > merge.undo_until:
        raise ValidationError(
            _(
                "This merge can no longer be undone: merges can be undone for %(days)d days "
                "(until %(until)s)."
            )
            % {
                "days": merge.tenant.merge_undo_days,
                "until": timezone.localtime(merge.undo_until).strftime("%Y-%m-%d %H:%M"),
            }
        )
    if survivor.merged_into_id is not None:
        raise ValidationError(
            _("The surviving record was merged into #%(id)s since; undo that merge first.")
            % {"id": survivor.merged_into_id}
        )
    if set(merged) != set(merge.merged_ids):
        raise ValidationError(_("A merged record no longer exists; this merge cannot be undone."))


def merge_undo(*, by: Actor, merge: Merge) -> Merge:
    """Undo a merge within the organisation's window: the merged records come back with their
    own values, related rows return to the record they came from, duplicates dropped by the
    merge are recreated, and the survivor's fields the merge changed get their old values
    (unless changed again since). Rows added to the survivor after the merge stay on it."""
    model = Contact if merge.type == Merge.Type.CONTACT else Account
    if merge.tenant_id != by.tenant.pk:
        raise Merge.DoesNotExist
    ids = [merge.survivor_id, *merge.merged_ids]
    records = visible_records(model, by, with_deleted=True).in_bulk(ids)
    if merge.survivor_id not in records:
        raise Merge.DoesNotExist
    for record in records.values():
        require_change(by, record)
    hidden = set(merge.merged_ids) - set(records)
    if model.objects.for_tenant(by.tenant, with_deleted=True).filter(pk__in=hidden).exists():
        raise PermissionDenied(_("You may not change every record of this merge."))
    with transaction.atomic():
        merge = Merge.objects.for_tenant(by.tenant).select_for_update().get(pk=merge.pk)
        locked = _lock(model, by.tenant.pk, ids)
        survivor = locked[merge.survivor_id]
        merged = {pk: locked[pk] for pk in merge.merged_ids if pk in locked}
        _check_undo(merge, survivor, merged)
        lists_before = _lists(survivor)
        try:
            _restore_moved(merge, survivor)
            _recreate_dropped(merge)
        except IntegrityError as exc:
            raise ValidationError(
                _("Related rows changed since the merge in a way undo cannot resolve.")
            ) from exc
        now = timezone.now()
        for pk, record in merged.items():
            snapshot = merge.merged_before.get(str(pk), {})
            old_deleted = record.deleted_at
            changes = {}
            for attname, value in snapshot.items():
                value = _python(model, attname, value)
                if getattr(record, attname) != value:
                    name = _field(model, attname).name
                    if name not in model.audit_exclude:
                        changes[name] = [getattr(record, attname), value]
                    setattr(record, attname, value)
            changes |= {
                "deleted_at": [old_deleted and old_deleted.isoformat(), None],
                "merged_into": [record.merged_into_id, None],
            }
            record.deleted_at = None
            record.merged_into_id = None
            record.version += 1
            record.updated_at = now
            record.save()
            audit_record(by=by, obj=record, action=AuditAction.RESTORE, changes=changes)
        fields = {}
        for attname, after in merge.survivor_after.items():
            current = getattr(survivor, attname)
            if attname == "custom":
                fields["custom"] = _undo_custom(
                    current or {}, merge.survivor_before.get("custom") or {}, after or {}
                )
            elif current == _python(model, attname, after):
                fields[attname] = _python(model, attname, merge.survivor_before.get(attname))
        for attname, value in fields.items():
            setattr(survivor, attname, value)
        fields |= _search_keys(by, survivor)
        extra = {"merged": [merge.merged_ids, None], "merge": [merge.pk, None]}
        extra |= _changed_lists(lists_before, _lists(survivor))
        record_update(obj=survivor, by=by, fields=fields, extra_changes=extra)
        merge.undone_at = now
        merge.undone_by = by.user
        merge.save(update_fields=["undone_at", "undone_by"])
    return merge


def _undo_custom(current: dict, before: dict, after: dict) -> dict:
    """Custom values back to before the merge, key by key, unless changed again since."""
    result = dict(current)
    for key in set(before) | set(after):
        if current.get(key) != after.get(key):
            continue
        if key in before:
            result[key] = before[key]
        else:
            result.pop(key, None)
    return result
