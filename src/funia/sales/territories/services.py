"""Writes of territories: create, update (rules, manager, reps), reorder, trash, restore.

Administrators write territories, as they write the assignment rules that use them; every
other role reads them. Fields come as keyword arguments named like the model's
(`manager_id`) plus `rep_ids`, the whole list of the territory's reps, which are audited
with the territory like a team's members.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.models import Membership
from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.core.visibility import require_admin
from funia.imports.countries import country_code
from funia.sales.models import Territory, TerritoryRep

LISTS = ("countries", "regions", "industries")
WRITABLE = {
    "name",
    "position",
    "is_active",
    *LISTS,
    "min_employees",
    "max_employees",
    "manager_id",
    "rep_ids",
}
MAX_ITEMS = 100
MAX_REPS = 500
MAX_INT = 2_147_483_647


def _clean_list(value, name: str, errors: dict) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        errors[name] = _("Give a list.")
        return []
    if len(value) > MAX_ITEMS:
        errors[name] = _("At most %(n)d items.") % {"n": MAX_ITEMS}
        return []
    result: list[str] = []
    for item in value:
        text = " ".join(str(item if item is not None else "").split())
        if len(text) > 100:
            errors[name] = _("At most %(n)d characters.") % {"n": 100}
            continue
        if text and name == "countries":
            try:
                text = country_code(text)
            except ValueError:
                errors[name] = _("Unknown country %(value)s: give ISO codes, e.g. BG.") % {
                    "value": text
                }
                continue
        if text and text.casefold() not in {r.casefold() for r in result}:
            result.append(text)
    return result


def _clean_count(value, name: str, errors: dict):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
        errors[name] = _("Enter a whole number from 0.")
        return None
    return value


def _rep_ids(tenant, value, errors: dict) -> list[int]:
    """The reps, once each, in the order given: active members of the organisation."""
    if value is None:
        return []
    if not isinstance(value, list | tuple) or len(value) > MAX_REPS:
        errors["reps"] = _("Give at most %(n)d users.") % {"n": MAX_REPS}
        return []
    try:
        ids = list(dict.fromkeys(int(v) for v in value))
    except (TypeError, ValueError):
        errors["reps"] = _("Give user ids.")
        return []
    active = set(
        Membership.objects.for_tenant(tenant)
        .filter(user_id__in=ids, is_active=True, user__is_active=True)
        .values_list("user_id", flat=True)
    )
    if any(i not in active for i in ids):
        errors["reps"] = _("Every rep must be an active user of this organisation.")
    return ids


def _prepare(by: Actor, data: dict, current: Territory | None) -> dict:
    unknown = set(data) - WRITABLE
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    data = dict(data)
    errors: dict = {}
    if "name" in data or current is None:
        data["name"] = " ".join(str(data.get("name") or "").split())
        if not data["name"]:
            errors["name"] = _("Give the territory a name.")
        elif len(data["name"]) > 120:
            errors["name"] = _("At most %(n)d characters.") % {"n": 120}
    for name in LISTS:
        if name in data:
            data[name] = _clean_list(data[name], name, errors)
    for name in ("min_employees", "max_employees"):
        if name in data:
            data[name] = _clean_count(data[name], name, errors)
    if "position" in data and data["position"] is not None:
        data["position"] = _clean_count(data["position"], "position", errors)
    if "is_active" in data and not isinstance(data["is_active"], bool):
        errors["is_active"] = _("Give true or false.")
    low = (
        data["min_employees"]
        if "min_employees" in data
        else getattr(current, "min_employees", None)
    )
    high = (
        data["max_employees"]
        if "max_employees" in data
        else getattr(current, "max_employees", None)
    )
    if low is not None and high is not None and low > high and "max_employees" not in errors:
        errors["max_employees"] = _("The maximum must not be below the minimum.")
    manager_id = data.get("manager_id")
    if (
        manager_id is not None
        and not Membership.objects.for_tenant(by.tenant).filter(user_id=manager_id).exists()
    ):
        errors["manager"] = _("The manager must be a user of this organisation.")
    if "rep_ids" in data:
        data["rep_ids"] = _rep_ids(by.tenant, data["rep_ids"], errors)
    if errors:
        raise ValidationError(errors)
    return data


def current_rep_ids(territory: Territory) -> list[int]:
    return sorted(
        TerritoryRep.objects.for_tenant(territory.tenant_id)
        .filter(territory=territory)
        .values_list("user_id", flat=True)
    )


def _set_reps(territory: Territory, rep_ids: list[int]) -> None:
    reps = TerritoryRep.objects.for_tenant(territory.tenant_id).filter(territory=territory)
    reps.exclude(user_id__in=rep_ids).delete()
    present = set(reps.values_list("user_id", flat=True))
    TerritoryRep.objects.bulk_create(
        [
            TerritoryRep(tenant_id=territory.tenant_id, territory=territory, user_id=uid)
            for uid in rep_ids
            if uid not in present
        ]
    )


def _next_position(tenant) -> int:
    last = (
        Territory.objects.for_tenant(tenant, with_deleted=True)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return min((last or 0) + 10, MAX_INT)


def territory_create(*, by: Actor, **fields) -> Territory:
    """Add a territory (administrators); without a position it is tried last."""
    require_admin(by)
    data = _prepare(by, fields, None)
    reps = data.pop("rep_ids", [])
    with transaction.atomic():
        if data.get("position") is None:
            data["position"] = _next_position(by.tenant)
        territory = record_create(
            model=Territory,
            by=by,
            extra_changes={"reps": [[], sorted(reps)]} if reps else None,
            **data,
        )
        _set_reps(territory, reps)
    return territory


def territory_update(
    *, by: Actor, territory: Territory, fields: dict, if_match: str | None = None
) -> Territory:
    """Change rules, name, position, manager and/or the whole list of reps (`rep_ids`)."""
    require_admin(by)
    data = _prepare(by, fields, territory)
    if "position" in data and data["position"] is None:
        data.pop("position")
    with transaction.atomic():
        extra = {}
        if "rep_ids" in data:
            reps = sorted(data.pop("rep_ids"))
            before = current_rep_ids(territory)
            if reps != before:
                extra["reps"] = [before, reps]
        territory = record_update(
            obj=territory, by=by, fields=data, if_match=if_match, extra_changes=extra
        )
        if extra:
            _set_reps(territory, extra["reps"][1])
    return territory


def territory_set_reps(
    *, by: Actor, territory: Territory, rep_ids: list[int], if_match: str | None = None
) -> Territory:
    """Replace the territory's reps (audited with the territory)."""
    return territory_update(
        by=by, territory=territory, fields={"rep_ids": rep_ids}, if_match=if_match
    )


def territory_reorder(*, by: Actor, territory_ids: list[int]) -> list[Territory]:
    """Put the named live territories first, in the order given, the others after them in
    their current order; positions become 10, 20, 30... (each change audited)."""
    require_admin(by)
    ids = list(dict.fromkeys(territory_ids))
    with transaction.atomic():
        territories = list(
            Territory.objects.for_tenant(by.tenant).select_for_update().order_by("position", "id")
        )
        known = {t.pk: t for t in territories}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ValidationError({"territories": _("No such territories: %s.") % unknown})
        ordered = [known[i] for i in ids] + [t for t in territories if t.pk not in set(ids)]
        result = []
        for index, territory in enumerate(ordered, start=1):
            position = index * 10
            if territory.position != position:
                territory = record_update(obj=territory, by=by, fields={"position": position})
            result.append(territory)
    return result


def territory_move(*, by: Actor, territory: Territory, direction: str) -> list[Territory]:
    """Swap the territory with the one before ("up") or after ("down") it."""
    require_admin(by)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Choose up or down.")})
    ids = list(
        Territory.objects.for_tenant(by.tenant)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    if territory.pk not in ids:
        raise ValidationError(_("A territory in the trash has no place in the order."))
    index = ids.index(territory.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
    return territory_reorder(by=by, territory_ids=ids)


def territory_delete(*, by: Actor, territory: Territory, if_match: str | None = None) -> Territory:
    """Move to the trash: its accounts fall to the next territory that matches them."""
    require_admin(by)
    return record_soft_delete(obj=territory, by=by, if_match=if_match)


def territory_restore(*, by: Actor, territory: Territory, if_match: str | None = None) -> Territory:
    require_admin(by)
    return record_restore(obj=territory, by=by, if_match=if_match)
