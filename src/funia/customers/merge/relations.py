"""The generic walk over the related rows of a contact or account, and their moves."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, router
from django.db.models import F, ForeignObjectRel, Max
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.core.tenancy import TenantScoped
from funia.customers.merge.constants import BATCH, DUPLICATE_FIELDS, NOT_MOVED
from funia.customers.models import Merge, MergeMove

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
