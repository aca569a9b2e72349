"""Writes of the catalog: products with their option groups and files, and price books with
their prices. Administrators write; every member of the organisation reads (selectors).

Option groups are saved as a whole list (`option_groups`), each group with its options:

    [{"id"?, "name", "kind": "single"|"multiple", "required": bool,
      "options": [{"id"?, "name", "price_adjustment", "adjustment_type": "fixed"|"percent",
                   "default": bool, "requires": [ref, ...], "excludes": [ref, ...]}]}]

The list replaces the product's groups. A group or option keeps its id when it is named by
`id`, or else when a group of the same name (an option of the same name in that group)
exists, so configurations saved on quote lines keep pointing to the same options. A
reference in `requires` / `excludes` names an option of the same product: by its name
("Premium"), by its id, or as {"id"} / {"name", "group"?} (the group only when several
groups have an option of that name).

Price books are saved with their whole list of `entries` ({"product": id, "unit_price"}),
which replaces the prices of the book's live products (prices of products in the trash
are kept for their restore).
"""

import datetime
import uuid
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.audit import AuditAction, audit_record
from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.core.visibility import require_admin
from funia.sales.catalog.models import (
    AdjustmentType,
    Option,
    OptionGroup,
    OptionGroupKind,
    PriceBook,
    PriceBookEntry,
    Product,
    ProductFile,
    ProductFileKind,
)
from funia.sales.catalog.sanitize import sanitize_description
from funia.sales.money import normalize_currency

CENT = Decimal("0.01")
PRODUCT_WRITABLE = {
    "sku",
    "name",
    "description",
    "category",
    "unit",
    "tax_rate",
    "is_active",
    "option_groups",
}
PRICE_BOOK_WRITABLE = {
    "name",
    "currency",
    "valid_from",
    "valid_until",
    "is_active",
    "is_default",
    "entries",
}
MAX_DESCRIPTION = 50_000
MAX_GROUPS = 50
MAX_OPTIONS = 100
MAX_ENTRIES = 5000
AMOUNT_LIMIT = Decimal(10) ** 12  # 14 digits, 2 of them decimals
PERCENT_LOW, PERCENT_HIGH = Decimal(-100), Decimal(1000)
MAX_FILE_BYTES = 10 * 1024 * 1024

IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
}
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "txt": "text/plain",
    "odt": "application/vnd.oasis.opendocument.text",
}
OOXML_FOLDER = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


# -- shared cleaning ---------------------------------------------------------------------


def _text(value, *, limit: int, field_name: str, errors: dict, required_message=None) -> str:
    text = " ".join(str(value if value is not None else "").split())
    if not text and required_message:
        errors[field_name] = required_message
    elif len(text) > limit:
        errors[field_name] = _("At most %(n)d characters.") % {"n": limit}
    return text


def _decimal(value, field_name: str, errors: dict, *, low=None, high=None, message="") -> Decimal:
    """A decimal with at most two decimals within [low, high] (high exclusive for amounts)."""
    if isinstance(value, bool) or value is None or value == "":
        errors[field_name] = message
        return Decimal(0)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field_name] = message
        return Decimal(0)
    if not number.is_finite() or (low is not None and number < low):
        errors[field_name] = message
        return Decimal(0)
    if high is not None and number > high:
        errors[field_name] = message
        return Decimal(0)
    if number != number.quantize(CENT):
        errors[field_name] = _("At most two decimals.")
        return Decimal(0)
    return number.quantize(CENT)


def _bool(value, field_name: str, errors: dict) -> bool:
    if not isinstance(value, bool):
        errors[field_name] = _("Give true or false.")
        return False
    return value


def _unknown_fields(data: dict, allowed: set) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})


# -- products ----------------------------------------------------------------------------


def _sku_taken(tenant, sku: str, exclude_pk: int | None) -> Product | None:
    qs = Product.objects.for_tenant(tenant).filter(sku__iexact=sku)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def _sku_error(other: Product) -> str:
    return _("The SKU %(sku)s is already used by the product “%(name)s”.") % {
        "sku": other.sku,
        "name": other.name,
    }


def _clean_product(by: Actor, data: dict, current: Product | None) -> dict:
    """Product fields checked and normalised; `option_groups` is left as given."""
    _unknown_fields(data, PRODUCT_WRITABLE)
    errors: dict = {}
    cleaned: dict = {}
    if "sku" in data or current is None:
        sku = str(data.get("sku") if data.get("sku") is not None else "").strip()
        if not sku:
            errors["sku"] = _("Give the product a SKU.")
        elif len(sku) > 64:
            errors["sku"] = _("At most %(n)d characters.") % {"n": 64}
        else:
            other = _sku_taken(by.tenant, sku, current.pk if current else None)
            if other is not None:
                errors["sku"] = _sku_error(other)
        cleaned["sku"] = sku
    if "name" in data or current is None:
        cleaned["name"] = _text(
            data.get("name"),
            limit=200,
            field_name="name",
            errors=errors,
            required_message=_("Give the product a name."),
        )
    if "description" in data:
        raw = str(data["description"] if data["description"] is not None else "")
        if len(raw) > MAX_DESCRIPTION:
            errors["description"] = _("At most %(n)d characters.") % {"n": MAX_DESCRIPTION}
        cleaned["description"] = sanitize_description(raw)
    if "category" in data:
        cleaned["category"] = _text(
            data["category"], limit=100, field_name="category", errors=errors
        )
    if "unit" in data or current is None:
        cleaned["unit"] = _text(
            data.get("unit", "pcs"),
            limit=20,
            field_name="unit",
            errors=errors,
            required_message=_("Give the unit the product is sold in, e.g. pcs or hour."),
        )
    if "tax_rate" in data:
        cleaned["tax_rate"] = _decimal(
            data["tax_rate"],
            "tax_rate",
            errors,
            low=Decimal(0),
            high=Decimal(100),
            message=_("A tax rate is a percentage from 0 to 100."),
        )
    if "is_active" in data:
        cleaned["is_active"] = _bool(data["is_active"], "is_active", errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _save_product(create, *args, **kwargs):
    """Run a product write; a SKU taken meanwhile by a parallel write is a field error."""
    try:
        return create(*args, **kwargs)
    except IntegrityError as exc:
        if "sku" in str(exc).lower():
            raise ValidationError(
                {"sku": _("This SKU is already used by another product.")}
            ) from exc
        raise


def _locked_product(product: Product) -> Product:
    return (
        Product.objects.for_tenant(product.tenant_id, with_deleted=True)
        .select_for_update()
        .get(pk=product.pk)
    )


def product_create(*, by: Actor, option_groups: list | None = None, **fields) -> Product:
    """Add a product (administrators), with its option groups when given."""
    require_admin(by)
    data = _clean_product(by, fields, None)
    plan = _plan_options(by.tenant, None, option_groups or [])

    def write():
        with transaction.atomic():
            extra = {"option_groups": [None, plan.summary()]} if plan.groups else None
            product = record_create(model=Product, by=by, extra_changes=extra, **data)
            _apply_options(product, plan)
        return product

    return _save_product(write)


def product_update(
    *, by: Actor, product: Product, fields: dict, if_match: str | None = None
) -> Product:
    """Change fields; `option_groups` (when given) replaces the product's groups."""
    require_admin(by)
    fields = dict(fields)
    option_groups = fields.pop("option_groups", None)
    data = _clean_product(by, fields, product)

    def write():
        with transaction.atomic():
            locked = _locked_product(product)
            extra = {}
            if option_groups is not None:
                extra = _replace_options(locked, option_groups)
            return record_update(
                obj=locked, by=by, fields=data, if_match=if_match, extra_changes=extra
            )

    return _save_product(write)


def product_delete(*, by: Actor, product: Product, if_match: str | None = None) -> Product:
    """Move to the trash: its prices, files and options stay for a restore."""
    require_admin(by)
    return record_soft_delete(obj=product, by=by, if_match=if_match)


def product_restore(*, by: Actor, product: Product, if_match: str | None = None) -> Product:
    """Back from the trash, unless a live product took its SKU meanwhile."""
    require_admin(by)
    other = _sku_taken(by.tenant, product.sku, product.pk)
    if other is not None:
        raise ValidationError({"sku": _sku_error(other)})
    return _save_product(record_restore, obj=product, by=by, if_match=if_match)


# -- option groups -----------------------------------------------------------------------


@dataclass
class OptionPlan:
    name: str
    price_adjustment: Decimal
    adjustment_type: str
    is_default: bool
    requires_refs: list
    excludes_refs: list
    id: object = None  # the row it names, as given
    group: "GroupPlan" = None
    existing: Option | None = None
    requires: list = field(default_factory=list)  # OptionPlan
    excludes: list = field(default_factory=list)
    saved: Option | None = None

    def label(self) -> str:
        return f"{self.name} ({self.group.name})"


@dataclass
class GroupPlan:
    name: str
    kind: str
    required: bool
    options: list
    id: object = None
    existing: OptionGroup | None = None
    saved: OptionGroup | None = None


@dataclass
class Plan:
    groups: list
    existing_groups: list = field(default_factory=list)
    existing_options: list = field(default_factory=list)

    def summary(self) -> list[str]:
        return [_group_summary(g.name, g.kind, g.required, g.options) for g in self.groups]


def _option_words(name, adjustment, adjustment_type, is_default, requires, excludes) -> str:
    amount = f"{adjustment:+}" + (" %" if adjustment_type == AdjustmentType.PERCENT else "")
    text = f"{name} {amount}"
    if is_default:
        text += " " + _("(default)")
    if requires:
        text += " " + _("requires %(names)s") % {"names": ", ".join(requires)}
    if excludes:
        text += " " + _("excludes %(names)s") % {"names": ", ".join(excludes)}
    return text


def _group_summary(name, kind, required, options) -> str:
    words = [str(OptionGroupKind(kind).label).lower()]
    if required:
        words.append(_("required"))
    parts = []
    for option in options:
        if isinstance(option, OptionPlan):
            parts.append(
                _option_words(
                    option.name,
                    option.price_adjustment,
                    option.adjustment_type,
                    option.is_default,
                    [o.name for o in option.requires],
                    [o.name for o in option.excludes],
                )
            )
        else:
            parts.append(
                _option_words(
                    option.name,
                    option.price_adjustment,
                    option.adjustment_type,
                    option.is_default,
                    [o.name for o in option.requires.all()],
                    [o.name for o in option.excludes.all()],
                )
            )
    return f"{name} ({', '.join(words)}): {'; '.join(parts)}"


def _existing_summary(groups: list[OptionGroup]) -> list[str]:
    return [
        _group_summary(g.name, g.kind, g.required, list(g.options.all()))
        for g in sorted(groups, key=lambda g: (g.position, g.pk))
    ]


def _existing_groups(tenant, product: Product | None) -> list[OptionGroup]:
    if product is None:
        return []
    from funia.sales.catalog.selectors import option_groups_of

    return option_groups_of(tenant, product.pk)


def _ref(value, where: str, errors: list) -> dict | None:
    """A reference to an option: a name, an id, or {"id"} / {"name", "group"?}."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, int):
        return {"id": value, "name": None, "group": None}
    if isinstance(value, str) and value.strip():
        return {"id": None, "name": " ".join(value.split()), "group": None}
    if isinstance(value, dict):
        ref_id = value.get("id")
        name = value.get("name")
        group = value.get("group")
        if isinstance(ref_id, int) and not isinstance(ref_id, bool):
            return {"id": ref_id, "name": None, "group": None}
        if isinstance(name, str) and name.strip():
            group = " ".join(group.split()) if isinstance(group, str) and group.strip() else None
            return {"id": None, "name": " ".join(name.split()), "group": group}
    errors.append(_("%(where)s: name an option by its name or id.") % {"where": where})
    return None


def _clean_groups(raw) -> list[GroupPlan]:
    """Shapes, names, kinds, amounts and defaults; references are resolved later."""
    if not isinstance(raw, list | tuple):
        raise ValidationError({"option_groups": _("Give a list of option groups.")})
    if len(raw) > MAX_GROUPS:
        raise ValidationError(
            {"option_groups": _("At most %(n)d option groups.") % {"n": MAX_GROUPS}}
        )
    errors: list[str] = []
    groups: list[GroupPlan] = []
    seen_groups: set[str] = set()
    for g_index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            errors.append(_("Group %(n)d: give its name and options.") % {"n": g_index})
            continue
        problems: dict = {}
        name = _text(
            item.get("name"),
            limit=120,
            field_name="name",
            errors=problems,
            required_message=_("needs a name"),
        )
        label = name or _("Group %(n)d") % {"n": g_index}
        if problems:
            errors.append(f"{label}: {problems['name']}")
        elif name.casefold() in seen_groups:
            errors.append(
                _("There are two groups named “%(name)s”: group names differ within a product.")
                % {"name": name}
            )
        seen_groups.add(name.casefold())
        kind = item.get("kind") or OptionGroupKind.SINGLE
        if kind not in OptionGroupKind.values:
            errors.append(_("“%(group)s”: the kind is single or multiple.") % {"group": label})
            kind = OptionGroupKind.SINGLE
        required = item.get("required", False)
        if not isinstance(required, bool):
            errors.append(_("“%(group)s”: required is true or false.") % {"group": label})
            required = False
        raw_options = item.get("options") or []
        if not isinstance(raw_options, list | tuple) or len(raw_options) > MAX_OPTIONS:
            errors.append(
                _("“%(group)s”: give a list of at most %(n)d options.")
                % {"group": label, "n": MAX_OPTIONS}
            )
            raw_options = []
        group = GroupPlan(name=name, kind=kind, required=required, options=[], id=item.get("id"))
        seen_options: set[str] = set()
        for o_index, raw_option in enumerate(raw_options, start=1):
            option = _clean_option(raw_option, label, o_index, seen_options, errors)
            if option is not None:
                option.group = group
                group.options.append(option)
        defaults = [o for o in group.options if o.is_default]
        if kind == OptionGroupKind.SINGLE and len(defaults) > 1:
            errors.append(
                _("“%(group)s” is a single choice: only one of its options can be the default.")
                % {"group": label}
            )
        groups.append(group)
    if errors:
        raise ValidationError({"option_groups": errors})
    return groups


def _clean_option(raw, group_label: str, index: int, seen: set, errors: list):
    if not isinstance(raw, dict):
        errors.append(
            _("“%(group)s”, option %(n)d: give its name and price adjustment.")
            % {"group": group_label, "n": index}
        )
        return None
    problems: dict = {}
    name = _text(
        raw.get("name"),
        limit=120,
        field_name="name",
        errors=problems,
        required_message=_("needs a name"),
    )
    label = (
        f"{name} ({group_label})"
        if name
        else _("“%(group)s”, option %(n)d") % {"group": group_label, "n": index}
    )
    if problems:
        errors.append(f"{label}: {problems['name']}")
    elif name.casefold() in seen:
        errors.append(
            _("“%(group)s” has two options named “%(name)s”: option names differ within a group.")
            % {"group": group_label, "name": name}
        )
    seen.add(name.casefold())
    adjustment_type = raw.get("adjustment_type") or AdjustmentType.FIXED
    if adjustment_type not in AdjustmentType.values:
        errors.append(_("%(option)s: the adjustment is fixed or percent.") % {"option": label})
        adjustment_type = AdjustmentType.FIXED
    amount_errors: dict = {}
    if adjustment_type == AdjustmentType.PERCENT:
        adjustment = _decimal(
            raw.get("price_adjustment", 0),
            "price_adjustment",
            amount_errors,
            low=PERCENT_LOW,
            high=PERCENT_HIGH,
            message=_("a percentage is between -100 and 1000"),
        )
    else:
        adjustment = _decimal(
            raw.get("price_adjustment", 0),
            "price_adjustment",
            amount_errors,
            low=-AMOUNT_LIMIT + CENT,
            high=AMOUNT_LIMIT - CENT,
            message=_("the price adjustment is an amount below a trillion"),
        )
    if amount_errors:
        errors.append(f"{label}: {amount_errors['price_adjustment']}")
    is_default = raw.get("default", False)
    if not isinstance(is_default, bool):
        errors.append(_("%(option)s: default is true or false.") % {"option": label})
        is_default = False
    refs = {}
    for kind in ("requires", "excludes"):
        values = raw.get(kind) or []
        if not isinstance(values, list | tuple) or len(values) > MAX_OPTIONS * MAX_GROUPS:
            errors.append(_("%(option)s: %(rule)s is a list.") % {"option": label, "rule": kind})
            values = []
        refs[kind] = [r for r in (_ref(v, label, errors) for v in values) if r is not None]
    option = OptionPlan(
        name=name,
        price_adjustment=adjustment,
        adjustment_type=adjustment_type,
        is_default=is_default,
        requires_refs=refs["requires"],
        excludes_refs=refs["excludes"],
        id=raw.get("id"),
    )
    return option


def _match_existing(plan: Plan, errors: list) -> None:
    """Pair each planned group and option with the row it keeps (by id, else by name)."""
    groups_by_id = {g.pk: g for g in plan.existing_groups}
    options_by_id = {o.pk: o for o in plan.existing_options}
    claimed_groups: set[int] = set()
    claimed_options: set[int] = set()
    for group in plan.groups:
        if group.id is None:
            continue
        found = groups_by_id.get(group.id) if isinstance(group.id, int) else None
        if found is None or found.pk in claimed_groups:
            errors.append(_("Group %(id)s is not a group of this product.") % {"id": group.id})
            continue
        group.existing = found
        claimed_groups.add(found.pk)
    for group in plan.groups:
        if group.existing is None and group.id is None:
            for candidate in plan.existing_groups:
                same = candidate.name.casefold() == group.name.casefold()
                if same and candidate.pk not in claimed_groups:
                    group.existing = candidate
                    claimed_groups.add(candidate.pk)
                    break
    for group in plan.groups:
        for option in group.options:
            if option.id is None:
                continue
            found = options_by_id.get(option.id) if isinstance(option.id, int) else None
            if found is None or found.pk in claimed_options:
                errors.append(
                    _("Option %(id)s is not an option of this product.") % {"id": option.id}
                )
                continue
            option.existing = found
            claimed_options.add(found.pk)
    for group in plan.groups:
        if group.existing is None:
            continue
        for option in group.options:
            if option.existing is not None or option.id is not None:
                continue
            for candidate in plan.existing_options:
                same = candidate.name.casefold() == option.name.casefold()
                if (
                    same
                    and candidate.group_id == group.existing.pk
                    and candidate.pk not in claimed_options
                ):
                    option.existing = candidate
                    claimed_options.add(candidate.pk)
                    break


def _resolve_refs(plan: Plan, product_name: str, errors: list) -> None:
    options = [o for g in plan.groups for o in g.options]
    by_id = {o.existing.pk: o for o in options if o.existing is not None}
    by_name: dict[str, list[OptionPlan]] = {}
    for option in options:
        by_name.setdefault(option.name.casefold(), []).append(option)

    def find(ref: dict, option: OptionPlan) -> OptionPlan | None:
        if ref["id"] is not None:
            target = by_id.get(ref["id"])
            if target is None:
                errors.append(
                    _("%(option)s: option %(id)s is not an option of %(product)s.")
                    % {"option": option.label(), "id": ref["id"], "product": product_name}
                )
            return target
        candidates = by_name.get(ref["name"].casefold(), [])
        if ref["group"] is not None:
            group = ref["group"].casefold()
            candidates = [c for c in candidates if c.group.name.casefold() == group]
        if not candidates:
            named = f"{ref['group']}: {ref['name']}" if ref["group"] else ref["name"]
            errors.append(
                _("%(option)s: “%(name)s” is not an option of %(product)s.")
                % {"option": option.label(), "name": named, "product": product_name}
            )
            return None
        if len(candidates) > 1:
            errors.append(
                _(
                    "%(option)s: “%(name)s” is an option of several groups (%(groups)s); "
                    "name its group too."
                )
                % {
                    "option": option.label(),
                    "name": ref["name"],
                    "groups": ", ".join(c.group.name for c in candidates),
                }
            )
            return None
        return candidates[0]

    for option in options:
        for kind in ("requires", "excludes"):
            targets = []
            for ref in getattr(option, f"{kind}_refs"):
                target = find(ref, option)
                if target is None:
                    continue
                if target is option:
                    message = (
                        _("%(option)s cannot require itself.")
                        if kind == "requires"
                        else _("%(option)s cannot exclude itself.")
                    )
                    errors.append(message % {"option": option.label()})
                    continue
                if target not in targets:
                    targets.append(target)
            setattr(option, kind, targets)
        for target in option.requires:
            if target in option.excludes:
                errors.append(
                    _("%(option)s cannot both require and exclude %(other)s.")
                    % {"option": option.label(), "other": target.label()}
                )
            elif target.group is option.group and option.group.kind == OptionGroupKind.SINGLE:
                errors.append(
                    _(
                        "%(option)s cannot require %(other)s: only one option of the single "
                        "choice “%(group)s” can be chosen."
                    )
                    % {
                        "option": option.label(),
                        "other": target.label(),
                        "group": option.group.name,
                    }
                )


def _plan_options(tenant, product: Product | None, raw) -> Plan:
    """The checked plan of a product's option groups (ValidationError listing every
    problem otherwise), paired with the product's current rows."""
    groups = _clean_groups(raw)
    existing_groups = _existing_groups(tenant, product)
    plan = Plan(
        groups=groups,
        existing_groups=existing_groups,
        existing_options=[o for g in existing_groups for o in g.options.all()],
    )
    errors: list[str] = []
    _match_existing(plan, errors)
    _resolve_refs(plan, product.name if product else _("this product"), errors)
    if errors:
        raise ValidationError({"option_groups": list(dict.fromkeys(errors))})
    return plan


def _temporary_name(pk: int) -> str:
    return f"~{pk}~{uuid.uuid4().hex}"


def _apply_options(product: Product, plan: Plan) -> None:
    """Write the plan: unclaimed rows go, kept rows keep their ids, new rows are added."""
    tenant_id = product.tenant_id
    kept_options = {o.existing.pk for g in plan.groups for o in g.options if o.existing}
    kept_groups = {g.existing.pk for g in plan.groups if g.existing}
    gone_options = [o.pk for o in plan.existing_options if o.pk not in kept_options]
    if gone_options:
        Option.objects.for_tenant(tenant_id).filter(pk__in=gone_options).delete()
    # Free the names that move (renames, swaps, rows of removed groups) before saving.
    for group in plan.existing_groups:
        planned = next((g for g in plan.groups if g.existing is group), None)
        if planned is None or planned.name != group.name:
            OptionGroup.objects.for_tenant(tenant_id).filter(pk=group.pk).update(
                name=_temporary_name(group.pk)
            )
    for group in plan.groups:
        for option in group.options:
            row = option.existing
            if row is not None and (
                row.name != option.name or row.group_id != getattr(group.existing, "pk", None)
            ):
                Option.objects.for_tenant(tenant_id).filter(pk=row.pk).update(
                    name=_temporary_name(row.pk)
                )
    for position, group in enumerate(plan.groups):
        row = group.existing or OptionGroup(tenant_id=tenant_id, product=product)
        row.name, row.kind, row.required, row.position = (
            group.name,
            group.kind,
            group.required,
            position,
        )
        row.save()
        group.saved = row
    for group in plan.groups:
        for position, option in enumerate(group.options):
            row = option.existing or Option(tenant_id=tenant_id)
            row.group = group.saved
            row.name = option.name
            row.price_adjustment = option.price_adjustment
            row.adjustment_type = option.adjustment_type
            row.is_default = option.is_default
            row.position = position
            row.save()
            option.saved = row
    gone_groups = [g.pk for g in plan.existing_groups if g.pk not in kept_groups]
    if gone_groups:
        OptionGroup.objects.for_tenant(tenant_id).filter(pk__in=gone_groups).delete()
    for group in plan.groups:
        for option in group.options:
            option.saved.requires.set([t.saved.pk for t in option.requires])
            option.saved.excludes.set([t.saved.pk for t in option.excludes])


def _replace_options(product: Product, raw) -> dict:
    """Replace the (locked) product's groups; the audit change, if any."""
    plan = _plan_options(product.tenant_id, product, raw)
    before = _existing_summary(plan.existing_groups)
    _apply_options(product, plan)
    after = plan.summary()
    return {"option_groups": [before, after]} if before != after else {}


def product_options_set(
    *, by: Actor, product: Product, option_groups: list, if_match: str | None = None
) -> Product:
    """Replace the product's option groups (the whole list; see the module's docstring)."""
    return product_update(
        by=by, product=product, fields={"option_groups": option_groups}, if_match=if_match
    )


def option_spec(product: Product) -> list[dict]:
    """The product's groups as `option_groups` input, with ids: what the option editor
    changes one step at a time."""
    return [
        {
            "id": group.pk,
            "name": group.name,
            "kind": group.kind,
            "required": group.required,
            "options": [
                {
                    "id": option.pk,
                    "name": option.name,
                    "price_adjustment": option.price_adjustment,
                    "adjustment_type": option.adjustment_type,
                    "default": option.is_default,
                    "requires": [{"id": o.pk} for o in option.requires.all()],
                    "excludes": [{"id": o.pk} for o in option.excludes.all()],
                }
                for option in group.options.all()
            ],
        }
        for group in _existing_groups(product.tenant_id, product)
    ]


def _find_group(spec: list[dict], group_id: int) -> dict:
    for group in spec:
        if group["id"] == group_id:
            return group
    raise ValidationError({"group": _("This group is no longer an option group of the product.")})


def _find_option(spec: list[dict], option_id: int) -> tuple[dict, dict]:
    for group in spec:
        for option in group["options"]:
            if option["id"] == option_id:
                return group, option
    raise ValidationError({"option": _("This option is no longer an option of the product.")})


def _without_refs(spec: list[dict], option_ids: set[int]) -> None:
    for group in spec:
        for option in group["options"]:
            for kind in ("requires", "excludes"):
                option[kind] = [r for r in option[kind] if r.get("id") not in option_ids]


def _option_fields(values: dict) -> dict:
    allowed = ("name", "price_adjustment", "adjustment_type", "default", "requires", "excludes")
    return {k: v for k, v in values.items() if k in allowed}


def _edit_options(by: Actor, product: Product, change) -> Product:
    """Apply `change` to the current groups (read under the product's lock) and save."""
    require_admin(by)
    with transaction.atomic():
        locked = _locked_product(product)
        spec = option_spec(locked)
        change(spec)
        return product_update(by=by, product=locked, fields={"option_groups": spec})


def option_group_add(
    *, by: Actor, product: Product, name: str, kind: str = "single", required: bool = False
) -> Product:
    """Add an empty group after the others."""

    def change(spec):
        spec.append({"name": name, "kind": kind, "required": required, "options": []})

    return _edit_options(by, product, change)


def option_group_update(*, by: Actor, product: Product, group_id: int, fields: dict) -> Product:
    """Rename a group or change its kind or whether a choice is required."""

    def change(spec):
        group = _find_group(spec, group_id)
        group.update({k: v for k, v in fields.items() if k in ("name", "kind", "required")})

    return _edit_options(by, product, change)


def option_group_delete(*, by: Actor, product: Product, group_id: int) -> Product:
    """Remove a group with its options, and the rules that name them."""

    def change(spec):
        group = _find_group(spec, group_id)
        spec.remove(group)
        _without_refs(spec, {o["id"] for o in group["options"]})

    return _edit_options(by, product, change)


def option_add(*, by: Actor, product: Product, group_id: int, fields: dict) -> Product:
    """Add an option at the end of a group."""

    def change(spec):
        _find_group(spec, group_id)["options"].append(_option_fields(fields))

    return _edit_options(by, product, change)


def option_update(*, by: Actor, product: Product, option_id: int, fields: dict) -> Product:
    """Change an option: name, adjustment, default, what it requires and excludes."""

    def change(spec):
        _group, option = _find_option(spec, option_id)
        option.update(_option_fields(fields))

    return _edit_options(by, product, change)


def option_delete(*, by: Actor, product: Product, option_id: int) -> Product:
    """Remove an option and the rules that name it."""

    def change(spec):
        group, option = _find_option(spec, option_id)
        group["options"].remove(option)
        _without_refs(spec, {option_id})

    return _edit_options(by, product, change)


# -- product files -----------------------------------------------------------------------


def _extension(file_name: str) -> str:
    return PurePath(file_name or "").suffix.lower().lstrip(".")


def _read_head(uploaded, size: int = 4096) -> bytes:
    uploaded.seek(0)
    head = uploaded.read(size)
    uploaded.seek(0)
    return head or b""


def _zip_names(uploaded) -> list[str] | None:
    uploaded.seek(0)
    try:
        with zipfile.ZipFile(uploaded) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        uploaded.seek(0)


def _content_fits(uploaded, extension: str) -> bool:
    """Does the content match its extension (so a renamed file is not served as one)?"""
    head = _read_head(uploaded)
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension == "gif":
        return head[:6] in (b"GIF87a", b"GIF89a")
    if extension == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension == "pdf":
        return b"%PDF-" in head[:1024]
    if extension == "txt":
        uploaded.seek(0)
        for chunk in iter(lambda: uploaded.read(65536), b""):
            if b"\x00" in chunk:
                uploaded.seek(0)
                return False
        uploaded.seek(0)
        return True
    if not head.startswith(b"PK\x03\x04"):
        return False
    names = _zip_names(uploaded)
    if names is None:
        return False
    if extension == "odt":
        return "mimetype" in names and "content.xml" in names
    return "[Content_Types].xml" in names and any(
        n.startswith(OOXML_FOLDER[extension]) for n in names
    )


def _file_kind_name(extension: str) -> str:
    return {"jpg": "JPEG", "jpeg": "JPEG", "webp": "WebP"}.get(extension, extension.upper())


def check_upload(uploaded, kind: str | None) -> tuple[str, str, str]:
    """(kind, extension, content type) of an acceptable upload; ValidationError otherwise."""
    if uploaded is None:
        raise ValidationError({"file": _("Choose a file to upload.")})
    size = getattr(uploaded, "size", None) or 0
    if size <= 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            {
                "file": _("The file is %(size)s MB; the limit is %(limit)d MB.")
                % {"size": f"{size / 1024 / 1024:.1f}", "limit": MAX_FILE_BYTES // 1024 // 1024}
            }
        )
    extension = _extension(getattr(uploaded, "name", ""))
    if extension in IMAGE_TYPES:
        actual = ProductFileKind.IMAGE
        content_type = IMAGE_TYPES[extension]
    elif extension in DOCUMENT_TYPES:
        actual = ProductFileKind.DOCUMENT
        content_type = DOCUMENT_TYPES[extension]
    else:
        raise ValidationError(
            {
                "file": _(
                    "Upload an image (PNG, JPEG, WebP or GIF) or a document (PDF, DOCX, XLSX, "
                    "PPTX, TXT or ODT)."
                )
            }
        )
    if kind not in (None, ""):
        if kind not in ProductFileKind.values:
            raise ValidationError({"kind": _("Choose image or document.")})
        if kind != actual:
            message = (
                _("Only PNG, JPEG, WebP and GIF files can be images.")
                if kind == ProductFileKind.IMAGE
                else _("A %(type)s file is an image, not a document.")
                % {"type": _file_kind_name(extension)}
            )
            raise ValidationError({"kind": message})
    if not _content_fits(uploaded, extension):
        raise ValidationError(
            {
                "file": _("The file is not a valid %(type)s file.")
                % {"type": _file_kind_name(extension)}
            }
        )
    return actual, extension, content_type


def product_file_add(
    *, by: Actor, product: Product, uploaded, title: str = "", kind: str | None = None
) -> ProductFile:
    """Attach an image or a document (at most 10 MB) to a live product (administrators).
    Without a title, the file's name is its title; without a kind, its type decides."""
    require_admin(by)
    if not Product.objects.for_tenant(product.tenant_id).filter(pk=product.pk).exists():
        raise ValidationError(_("Restore the product from the trash first."))
    actual, extension, content_type = check_upload(uploaded, kind)
    errors: dict = {}
    original = PurePath(getattr(uploaded, "name", "") or "").stem
    title = _text(title or original, limit=200, field_name="title", errors=errors)
    if not title:
        title = extension.upper()
    if errors:
        raise ValidationError(errors)
    record = ProductFile(
        tenant_id=product.tenant_id,
        product=product,
        kind=actual,
        title=title,
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=by.user,
    )
    uploaded.seek(0)
    record.file.save(f"{uuid.uuid4().hex}.{extension}", uploaded, save=False)
    stored = record.file.name
    try:
        with transaction.atomic():
            record.save()
            audit_record(
                by=by, obj=product, action=AuditAction.UPDATE, changes={"files": [None, title]}
            )
    except Exception:
        record.file.storage.delete(stored)
        raise
    return record


def product_file_delete(*, by: Actor, product_file: ProductFile) -> None:
    """Remove a product's file; the stored file goes once the removal is committed."""
    require_admin(by)
    storage, name = product_file.file.storage, product_file.file.name
    product = product_file.product
    with transaction.atomic():
        ProductFile.objects.for_tenant(product_file.tenant_id).filter(pk=product_file.pk).delete()
        audit_record(
            by=by,
            obj=product,
            action=AuditAction.UPDATE,
            changes={"files": [product_file.title, None]},
        )
        if name:
            transaction.on_commit(lambda: storage.delete(name))


# -- price books -------------------------------------------------------------------------


def _date(value, field_name: str, errors: dict) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        errors[field_name] = _("Give a date.")
        return None
    return value


def _clean_entries(tenant, raw, errors: dict) -> list[tuple[Product, Decimal]]:
    if not isinstance(raw, list | tuple):
        errors["entries"] = _("Give a list of prices.")
        return []
    if len(raw) > MAX_ENTRIES:
        errors["entries"] = _("At most %(n)d prices.") % {"n": MAX_ENTRIES}
        return []
    wanted = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            errors[f"entries.{index}"] = _("Give the product and its unit price.")
            continue
        product = item.get("product", item.get("product_id"))
        if isinstance(product, Product):
            product = product.pk
        if isinstance(product, bool) or not isinstance(product, int):
            errors[f"entries.{index}.product"] = _("Give the product's id.")
            continue
        price = _decimal(
            item.get("unit_price"),
            f"entries.{index}.unit_price",
            errors,
            low=Decimal(0),
            high=AMOUNT_LIMIT - CENT,
            message=_("A unit price is an amount from 0, below a trillion."),
        )
        wanted.append((index, product, price))
    ids = {product for _index, product, _price in wanted}
    # Live products of this organisation only: another organisation's id reads as unknown.
    products = Product.objects.for_tenant(tenant).in_bulk(list(ids)) if ids else {}
    entries, seen = [], set()
    for index, product_id, price in wanted:
        product = products.get(product_id)
        if product is None:
            errors[f"entries.{index}.product"] = _(
                "Product %(id)s is not a product of your organisation (or it is in the trash)."
            ) % {"id": product_id}
            continue
        if product.pk in seen:
            errors[f"entries.{index}.product"] = _(
                "%(product)s has two prices: give one price per product."
            ) % {"product": product}
            continue
        seen.add(product.pk)
        entries.append((product, price))
    return entries


def _clean_price_book(by: Actor, data: dict, current: PriceBook | None) -> dict:
    _unknown_fields(data, PRICE_BOOK_WRITABLE)
    errors: dict = {}
    cleaned: dict = {}
    if "name" in data or current is None:
        cleaned["name"] = _text(
            data.get("name"),
            limit=120,
            field_name="name",
            errors=errors,
            required_message=_("Give the price book a name."),
        )
    if "currency" in data or current is None:
        try:
            cleaned["currency"] = normalize_currency(data.get("currency") or by.tenant.currency)
        except ValidationError as exc:
            errors |= exc.message_dict
    for name in ("valid_from", "valid_until"):
        if name in data:
            cleaned[name] = _date(data[name], name, errors)
    for name in ("is_active", "is_default"):
        if name in data:
            cleaned[name] = _bool(data[name], name, errors)
    start = cleaned.get("valid_from", getattr(current, "valid_from", None))
    end = cleaned.get("valid_until", getattr(current, "valid_until", None))
    if start and end and end < start and not {"valid_from", "valid_until"} & set(errors):
        errors["valid_until"] = _("The price book cannot end before it starts.")
    if "entries" in data:
        cleaned["entries"] = _clean_entries(by.tenant, data["entries"], errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _entries_summary(rows) -> list[list[str]]:
    return sorted([[product.sku, str(price)] for product, price in rows])


def _live_entries(book: PriceBook):
    return PriceBookEntry.objects.for_tenant(book.tenant_id).filter(
        price_book=book, product__deleted_at__isnull=True
    )


def _set_entries(book: PriceBook, entries: list[tuple[Product, Decimal]]) -> dict:
    """Replace the prices of the book's live products; the audit change, if any."""
    existing = {e.product_id: e for e in _live_entries(book).select_related("product")}
    before = _entries_summary((e.product, e.unit_price) for e in existing.values())
    wanted = {product.pk: (product, price) for product, price in entries}
    gone = [e.pk for pid, e in existing.items() if pid not in wanted]
    if gone:
        PriceBookEntry.objects.for_tenant(book.tenant_id).filter(pk__in=gone).delete()
    changed, added = [], []
    for product_id, (product, price) in wanted.items():
        entry = existing.get(product_id)
        if entry is None:
            added.append(
                PriceBookEntry(
                    tenant_id=book.tenant_id, price_book=book, product=product, unit_price=price
                )
            )
        elif entry.unit_price != price:
            entry.unit_price = price
            changed.append(entry)
    if changed:
        PriceBookEntry.objects.for_tenant(book.tenant_id).bulk_update(changed, ["unit_price"])
    if added:
        PriceBookEntry.objects.bulk_create(added)
    after = _entries_summary(entries)
    return {"prices": [before, after]} if before != after else {}


def _only_default(by: Actor, book: PriceBook) -> None:
    """A default book clears the default of the other books in its currency (audited)."""
    if not book.is_default or book.is_deleted:
        return
    others = (
        PriceBook.objects.for_tenant(by.tenant, with_deleted=True)
        .filter(currency=book.currency, is_default=True)
        .exclude(pk=book.pk)
    )
    for other in others:
        record_update(obj=other, by=by, fields={"is_default": False})


def price_book_create(*, by: Actor, entries: list | None = None, **fields) -> PriceBook:
    """Add a price book (administrators) with its prices."""
    require_admin(by)
    data = _clean_price_book(by, {**fields, "entries": entries or []}, None)
    rows = data.pop("entries")
    with transaction.atomic():
        extra = {"prices": [None, _entries_summary(rows)]} if rows else None
        book = record_create(model=PriceBook, by=by, extra_changes=extra, **data)
        PriceBookEntry.objects.bulk_create(
            [
                PriceBookEntry(
                    tenant_id=book.tenant_id, price_book=book, product=product, unit_price=price
                )
                for product, price in rows
            ]
        )
        _only_default(by, book)
    return book


def price_book_update(
    *, by: Actor, price_book: PriceBook, fields: dict, if_match: str | None = None
) -> PriceBook:
    """Change fields; `entries` (when given) replaces the prices of its live products."""
    require_admin(by)
    data = _clean_price_book(by, dict(fields), price_book)
    rows = data.pop("entries", None)
    with transaction.atomic():
        locked = (
            PriceBook.objects.for_tenant(by.tenant, with_deleted=True)
            .select_for_update()
            .get(pk=price_book.pk)
        )
        extra = _set_entries(locked, rows) if rows is not None else {}
        book = record_update(obj=locked, by=by, fields=data, if_match=if_match, extra_changes=extra)
        _only_default(by, book)
    return book


def price_book_delete(
    *, by: Actor, price_book: PriceBook, if_match: str | None = None
) -> PriceBook:
    """Move to the trash; deals and quotes that use it keep their prices."""
    require_admin(by)
    return record_soft_delete(obj=price_book, by=by, if_match=if_match)


def price_book_restore(
    *, by: Actor, price_book: PriceBook, if_match: str | None = None
) -> PriceBook:
    """Back from the trash; it stays the default of its currency only if no other is."""
    require_admin(by)
    with transaction.atomic():
        book = record_restore(obj=price_book, by=by, if_match=if_match)
        if book.is_default and (
            PriceBook.objects.for_tenant(by.tenant)
            .filter(currency=book.currency, is_default=True)
            .exclude(pk=book.pk)
            .exists()
        ):
            book = record_update(obj=book, by=by, fields={"is_default": False})
    return book


def price_book_entry_set(
    *, by: Actor, price_book: PriceBook, product_id: int, unit_price
) -> PriceBook:
    """Add or change one product's price in the book (the entries editor)."""
    return _edit_entries(by, price_book, lambda rows: rows.update({product_id: unit_price}))


def price_book_entry_remove(*, by: Actor, price_book: PriceBook, product_id: int) -> PriceBook:
    """Remove one product's price from the book (the entries editor)."""
    return _edit_entries(by, price_book, lambda rows: rows.pop(product_id, None))


def _edit_entries(by: Actor, price_book: PriceBook, change) -> PriceBook:
    require_admin(by)
    with transaction.atomic():
        locked = (
            PriceBook.objects.for_tenant(by.tenant, with_deleted=True)
            .select_for_update()
            .get(pk=price_book.pk)
        )
        rows = {e.product_id: e.unit_price for e in _live_entries(locked)}
        change(rows)
        entries = [{"product": pid, "unit_price": price} for pid, price in rows.items()]
        return price_book_update(by=by, price_book=locked, fields={"entries": entries})
