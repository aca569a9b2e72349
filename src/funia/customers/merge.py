"""Merging duplicate contacts or accounts into a survivor, and undoing a merge.

A merge takes each field from the record the user chose (by default from the most recently
updated record that has a value), moves every related row of the merged records to the
survivor, and soft-deletes the merged records with `merged_into` set. Related rows are found
through `_meta.related_objects` of Contact or Account, so the rows of any module with a
foreign key to them (activities, opportunities, tickets, ...) move without this module
knowing them.

Every moved row is written to `MergeMove` (model, primary key, foreign key, the record it came
from and any other column the move changed). A row that would duplicate one the survivor
already has (the same email or phone, tag, address, or a unique constraint such as one
account link per account) is deleted instead and kept whole in its `MergeMove`. Undo, within
the organisation's `merge_undo_days`, moves exactly those rows back, recreates the dropped
ones, restores the merged records from their snapshot and the survivor's fields that the merge
changed (unless someone changed them again since): rows added to the survivor after the merge
stay where they are.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models import F, ForeignObjectRel, Max
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.audit import AuditAction, audit_record
from funia.core.records import record_update
from funia.core.tenancy import TenantScoped
from funia.core.visibility import require_change, visible_records
from funia.customers import services
from funia.customers.custom_fields import definitions
from funia.customers.models import Account, ConsentEvent, Contact, Merge, MergeMove

MAX_MERGED = 20
CUSTOM_PREFIX = "custom."
# Fields of a record that are not chosen one by one: the tenant never changes, custom field
# values are chosen per key ("custom.<key>").
NOT_CHOOSABLE = {"tenant", "custom"}
# The snapshot of a record for undo: every column except these.
BOOKKEEPING = {"id", "tenant_id", "created_at", "updated_at", "version", "deleted_at"}
CONSENT_CHANNELS = {
    "consent_email": "email",
    "consent_phone": "phone",
    "consent_marketing": "marketing",
}
# Rows that stay with the merged record: the merges themselves, and the members of duplicate
# clusters (what a scan found, as it found it). A later module opts out the same way by
# setting `moves_on_merge = False` on its model.
NOT_MOVED = {"customers.merge", "customers.mergemove", "customers.duplicateclustermember"}
# Columns that make a related row a duplicate of one the survivor has, besides the unique
# constraints. A later module can declare its own as `merge_duplicate_fields` on its model.
DUPLICATE_FIELDS = {
    "customers.contactpoint": ("kind", "value"),
    "customers.recordtag": ("tag_id",),
    "customers.address": ("street", "city", "postal_code", "region", "country"),
}
BATCH = 500


# -- the generic walk over related rows ----------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A foreign key of `model` (any installed model) that points at a contact or account."""

    model: type[models.Model]
    field: models.ForeignKey

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.field.name}"


def related_links(model: type[models.Model]) -> list[Link]:
    """Every foreign key of every installed model that points at `model`.

    Walks the model's reverse relations (`_meta.related_objects`, plus the hidden ones of
    foreign keys declared with `related_name="+"`), so a module added later is covered as
    soon as it is installed; many-to-many relations are followed to their through table.
    Only `merged_into` and models that opt out (NOT_MOVED, `moves_on_merge = False`) stay.
    """
    links: dict[str, Link] = {}
    for rel in model._meta.get_fields(include_hidden=True):
        if not isinstance(rel, ForeignObjectRel):
            continue
        if rel.many_to_many:
            holder = rel.through
            field = holder._meta.get_field(rel.field.m2m_reverse_field_name())
        else:
            holder, field = rel.related_model, rel.field
        if (
            holder._meta.label_lower in NOT_MOVED
            or not getattr(holder, "moves_on_merge", True)
            or not field.concrete
            or (holder is model and field.name == "merged_into")
        ):
            continue
        link = Link(holder, field)
        links[link.label] = link
    return [links[label] for label in sorted(links)]


def _rows(model: type[models.Model], tenant_id: int) -> models.QuerySet:
    """All rows of a related model in one organisation, trashed ones included."""
    if issubclass(model, TenantScoped):
        return model._default_manager.for_tenant(tenant_id, with_deleted=True)
    return model._base_manager.all()


def _duplicate_keys(link: Link) -> list[tuple[str, ...]]:
    """Column sets (besides the foreign key) on which a moved row may clash with the
    survivor's rows: unique constraints that include the key, and declared duplicates."""
    model, name = link.model, link.field.name
    sets = []
    if link.field.unique:
        sets.append(())
    unique_sets = [*model._meta.unique_together]
    unique_sets += [c.fields for c in model._meta.total_unique_constraints]
    for names in unique_sets:
        if name in names:
            others = [model._meta.get_field(n).attname for n in names if n != name]
            sets.append(tuple(a for a in others if a != "tenant_id"))
    declared = DUPLICATE_FIELDS.get(model._meta.label_lower) or getattr(
        model, "merge_duplicate_fields", ()
    )
    if declared:
        sets.append(tuple(declared))
    return sets


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def _bump(model) -> dict:
    """A moved row of a versioned record changes: its ETag must change too."""
    if _has_field(model, "version") and _has_field(model, "updated_at"):
        return {"version": F("version") + 1, "updated_at": timezone.now()}
    return {}


def _row_values(row) -> dict:
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}


def _delete_alone(row) -> bool:
    """Delete a duplicate row unless that would delete or change any other row."""
    collector = Collector(using=router.db_for_write(type(row), instance=row), origin=row)
    try:
        collector.collect([row])
    except (ProtectedError, RestrictedError):
        return False
    others = (
        sum(len(objs) for objs in collector.data.values()) > 1
        or any(qs.exists() for qs in collector.fast_deletes)
        or any(len(objs) for lists in collector.field_updates.values() for objs in lists)
    )
    if others:
        return False
    collector.delete()
    return True


def _move_link(*, merge: Merge, link: Link, sources: list[int], survivor) -> list[MergeMove]:
    """Move the rows of one link from the merged records to the survivor."""
    model, attname = link.model, link.field.attname
    rows = _rows(model, survivor.tenant_id)
    records = [survivor.pk, *sources]
    moves = []

    def move(pk, from_id, old_values=None, row=None, dropped=False):
        moves.append(
            MergeMove(
                tenant_id=survivor.tenant_id,
                merge=merge,
                model=model._meta.label_lower,
                row_pk=str(pk),
                field=link.field.name,
                from_id=from_id,
                old_values=old_values or {},
                row=row or {},
                dropped=dropped,
            )
        )

    candidates = rows.filter(**{f"{attname}__in": sources})
    if model is type(survivor):
        # The records being merged keep their own references (e.g. a parent account).
        candidates = candidates.exclude(pk__in=records)
    keys = _duplicate_keys(link)
    has_position = _has_field(model, "position")
    if not keys and not has_position:
        pairs = list(candidates.order_by("pk").values_list("pk", attname))
        for start in range(0, len(pairs), BATCH):
            chunk = [pk for pk, _from in pairs[start : start + BATCH]]
            rows.filter(pk__in=chunk).update(**{attname: survivor.pk}, **_bump(model))
        for pk, from_id in pairs:
            move(pk, from_id)
        return moves

    survivor_rows = rows.filter(**{attname: survivor.pk})
    taken = {key: set() for key in keys}
    for row in survivor_rows:
        for key in keys:
            taken[key].add(tuple(getattr(row, a) for a in key))
    position = None
    if has_position:
        top = survivor_rows.aggregate(top=Max("position"))["top"]
        position = -1 if top is None else top
    order = {pk: index for index, pk in enumerate(sources)}
    ordering = ("position", "pk") if has_position else ("pk",)
    for row in sorted(candidates.order_by(*ordering), key=lambda r: order[getattr(r, attname)]):
        from_id = getattr(row, attname)
        values = {key: tuple(getattr(row, a) for a in key) for key in keys}
        clash = any(None not in value and value in taken[key] for key, value in values.items())
        kept = _row_values(row)
        if clash:
            if not _delete_alone(row):
                raise ValidationError(
                    _(
                        "A %(model)s of record %(id)s duplicates one of the survivor's and "
                        "other rows depend on it; resolve it by hand, then merge."
                    )
                    % {"model": model._meta.verbose_name, "id": from_id}
                )
            move(row.pk, from_id, row=kept, dropped=True)
            continue
        changes, old_values = {attname: survivor.pk}, {}
        if has_position:
            position += 1
            if row.position != position:
                changes["position"], old_values["position"] = position, row.position
        rows.filter(pk=row.pk).update(**changes, **_bump(model))
        for key, value in values.items():
            taken[key].add(value)
        move(row.pk, from_id, old_values, row=kept)
    return moves


def related_counts(records: Iterable) -> list[tuple[str, int]]:
    """(what, how many) related rows of these records would move in a merge."""
    records = list(records)
    if not records:
        return []
    model, tenant_id = type(records[0]), records[0].tenant_id
    ids = [r.pk for r in records]
    counts = []
    for link in related_links(model):
        qs = _rows(link.model, tenant_id).filter(**{f"{link.field.attname}__in": ids})
        if link.model is model:
            qs = qs.exclude(pk__in=ids)
        count = qs.count()
        if count:
            counts.append((str(link.model._meta.verbose_name_plural), count))
    return counts


# -- field choices ----------------------------------------------------------------------


def choosable_fields(model) -> list[models.Field]:
    """The fields a merge takes from one of the records (custom fields come per key)."""
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in NOT_CHOOSABLE
    ]


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _entity(model) -> str:
    return Merge.Type.CONTACT if model is Contact else Merge.Type.ACCOUNT


def custom_keys(records: list) -> list[str]:
    """Custom field keys to choose: the tenant's definitions, then any other stored key."""
    model = type(records[0])
    defined = [f.key for f in definitions(tenant=records[0].tenant_id, entity=_entity(model))]
    stored = sorted({key for r in records for key in (r.custom or {})} - set(defined))
    return [*defined, *stored]


def _latest_consent(records: list) -> dict[str, int]:
    """Channel -> the contact among these whose consent for it was recorded last."""
    latest = {}
    events = (
        ConsentEvent.objects.for_tenant(records[0].tenant_id)
        .filter(contact_id__in=[r.pk for r in records])
        .order_by("at", "id")
        .values_list("channel", "contact_id")
    )
    for channel, contact_id in events:
        latest[channel] = contact_id
    return latest


def default_sources(records: list, survivor) -> dict[str, int]:
    """{field: record id} the merge takes each value from unless told otherwise: the most
    recently updated record with a non-empty value (the survivor when none has one).

    Consent is the exception: it comes from the record whose consent for that channel was
    recorded last, so a later withdrawal is never overruled by an older "yes".
    """
    recent = sorted(records, key=lambda r: (r.updated_at, r.pk == survivor.pk, r.pk), reverse=True)
    by_id = {r.pk: r for r in records}
    consent = _latest_consent(records) if isinstance(survivor, Contact) else {}
    sources = {}
    for field in choosable_fields(type(survivor)):
        source = next((r for r in recent if not _is_empty(getattr(r, field.attname))), survivor)
        channel = CONSENT_CHANNELS.get(field.name)
        latest = by_id.get(consent.get(channel))
        if latest is not None and getattr(latest, field.attname) is not None:
            source = latest
        sources[field.name] = source.pk
    for key in custom_keys(records):
        source = next((r for r in recent if not _is_empty((r.custom or {}).get(key))), survivor)
        sources[CUSTOM_PREFIX + key] = source.pk
    return sources


def _resolve_sources(records: list, survivor, fields: dict) -> dict[str, int]:
    sources = default_sources(records, survivor)
    ids = {r.pk for r in records}
    errors = {}
    for name, source_id in (fields or {}).items():
        if name not in sources:
            errors[f"fields.{name}"] = _("There is no field “%(name)s” to choose.") % {"name": name}
        elif source_id not in ids:
            errors[f"fields.{name}"] = _("Choose one of the records being merged.")
        else:
            sources[name] = source_id
    if errors:
        raise ValidationError(errors)
    return sources


def _chosen_values(records: list, survivor, sources: dict[str, int]) -> dict:
    """{attname: value} the survivor gets (custom: the whole dict)."""
    by_id = {r.pk: r for r in records}
    values = {}
    for field in choosable_fields(type(survivor)):
        values[field.attname] = getattr(by_id[sources[field.name]], field.attname)
    custom = dict(survivor.custom or {})
    for name, source_id in sources.items():
        if name.startswith(CUSTOM_PREFIX):
            key = name.removeprefix(CUSTOM_PREFIX)
            value = (by_id[source_id].custom or {}).get(key)
            if value is None:
                custom.pop(key, None)
            else:
                custom[key] = value
    values["custom"] = custom
    if isinstance(survivor, Account):
        values["parent_id"] = _parent_outside(values["parent_id"], by_id, survivor)
    return values


def _parent_outside(parent_id, by_id: dict, survivor):
    """A parent among the merged records is replaced by that record's own parent."""
    seen = set()
    while parent_id in by_id and parent_id not in seen:
        seen.add(parent_id)
        parent_id = None if parent_id == survivor.pk else by_id[parent_id].parent_id
    return None if parent_id in by_id else parent_id


def _check_no_cycle(survivor: Account, parent_id) -> None:
    seen = {survivor.pk}
    current = parent_id
    while current is not None:
        if current in seen:
            raise ValidationError(
                {
                    "fields.parent": _(
                        "That parent is now below the merged account; choose another parent."
                    )
                }
            )
        seen.add(current)
        current = (
            Account.objects.for_tenant(survivor.tenant_id, with_deleted=True)
            .filter(pk=current)
            .values_list("parent_id", flat=True)
            .first()
        )


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
    return services._prepare(by, _entity(type(record)), {}, current=record).fields


def _lists(record) -> dict:
    return services._related_snapshot(record)


def _changed_lists(before: dict, after: dict) -> dict:
    return {name: [before[name], after[name]] for name in after if before.get(name) != after[name]}


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


# -- reads -------------------------------------------------------------------------------


def merge_get(*, actor: Actor, pk: int) -> Merge:
    """A merge of the actor's organisation whose survivor the actor may see."""
    merge = (
        Merge.objects.for_tenant(actor.tenant)
        .select_related("tenant", "survivor_contact", "survivor_account")
        .get(pk=pk)
    )
    model = Contact if merge.type == Merge.Type.CONTACT else Account
    if not visible_records(model, actor, with_deleted=True).filter(pk=merge.survivor_id).exists():
        raise Merge.DoesNotExist
    return merge


def records_for_merge(*, actor: Actor, model, ids: list[int]) -> list:
    """The records with these ids the actor may see (trash included), in the order given;
    raises DoesNotExist when any is missing, so another organisation's id answers 404."""
    found = visible_records(model, actor, with_deleted=True).in_bulk(ids)
    if len(found) != len(set(ids)):
        raise model.DoesNotExist
    return [found[pk] for pk in ids]
