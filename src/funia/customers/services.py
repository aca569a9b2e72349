"""Writes of accounts and contacts: normalised, duplicate-checked, audited, versioned.

Fields come as keyword arguments with references as ids (`owner_id`, `parent_id`,
`account_id`) and these structured values:
- `emails`, `phones`: lists of {"value", "label"} (or plain strings); the first is primary;
- `addresses`: lists of {"label", "street", "city", "postal_code", "region", "country"};
- `tags`: list of names; `custom`: {key: value} for the tenant's custom fields;
- contacts only: `accounts` [{"account_id", "role"}] (further accounts), and `consent`
  {"email" | "phone" | "marketing": {"granted": bool, "source": str}}.
A list given replaces the old one; a field not given is left as it is.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.errors import DuplicatesFound
from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.core.services import check_owner
from funia.core.visibility import require_change, require_writer, visible_records
from funia.customers import dedupe
from funia.customers.custom_fields import clean_custom
from funia.customers.models import (
    Account,
    AccountContact,
    Address,
    ConsentEvent,
    Contact,
    ContactPoint,
    RecordTag,
    Tag,
)
from funia.customers.normalize import (
    company_name_key,
    fold,
    normalize_domain,
    normalize_email,
    normalize_phone,
    person_name_key,
    phone_digits,
)

ON_DUPLICATE = ("error", "create")
ADDRESS_FIELDS = ("label", "street", "city", "postal_code", "region", "country")
MAX_ITEMS = 20
CONSENT_CHANNELS = {
    "email": "consent_email",
    "phone": "consent_phone",
    "marketing": "consent_marketing",
}


@dataclass
class Prepared:
    """Validated input: row fields plus the related lists to write (None: unchanged)."""

    fields: dict
    emails: list[dict] | None = None
    phones: list[dict] | None = None
    addresses: list[dict] | None = None
    tags: list[str] | None = None
    accounts: list[dict] | None = None
    consent_events: list[dict] = field(default_factory=list)


def _points(raw, kind: str, region: str, errors: dict) -> list[dict]:
    if not isinstance(raw, list | tuple):
        errors[f"{kind}s"] = _("Give a list.")
        return []
    result, seen = [], set()
    for index, item in enumerate(raw[:MAX_ITEMS]):
        if isinstance(item, str):
            item = {"value": item, "label": ""}
        value, label = str(item.get("value") or "").strip(), str(item.get("label") or "")[:40]
        if not value:
            continue
        try:
            value = normalize_email(value) if kind == "email" else normalize_phone(value, region)
        except ValueError as exc:
            errors[f"{kind}s.{index}.value"] = str(exc)
            continue
        if value not in seen:
            seen.add(value)
            result.append({"value": value, "label": label})
    if len(raw) > MAX_ITEMS:
        errors[f"{kind}s"] = _("At most %(n)d items.") % {"n": MAX_ITEMS}
    return result


def _addresses(raw, errors: dict) -> list[dict]:
    if not isinstance(raw, list | tuple):
        errors["addresses"] = _("Give a list.")
        return []
    result = []
    for item in raw[:MAX_ITEMS]:
        address = {name: str(item.get(name) or "").strip() for name in ADDRESS_FIELDS}
        address["country"] = address["country"].upper()[:2]
        if any(address[name] for name in ADDRESS_FIELDS if name != "label"):
            result.append(address)
    return result


def _tags(raw, errors: dict) -> list[str]:
    if not isinstance(raw, list | tuple):
        errors["tags"] = _("Give a list of tag names.")
        return []
    names = []
    for name in raw[:50]:
        name = " ".join(str(name).split())[:50]
        if name and name.lower() not in {n.lower() for n in names}:
            names.append(name)
    return names


def _check_owner(by: Actor, owner_id, errors: dict) -> None:
    check_owner(by.tenant, owner_id, errors)


def _check_account_ref(by: Actor, name: str, account_id, errors: dict) -> None:
    if account_id is not None and not (visible_records(Account, by).filter(pk=account_id).exists()):
        errors[name] = _("No such account.")


def _current_points(record, kind: str) -> list[dict]:
    if record is None or record.pk is None:
        return []
    return [
        {"value": p.value, "label": p.label}
        for p in record.points.filter(kind=kind).order_by("position", "id")
    ]


def prepare_record(by: Actor, entity: str, data: dict, current=None) -> Prepared:
    """Validate and normalise; one ValidationError naming every bad field.

    Shared with the bulk import and merge paths, so every write path keeps the same
    normalisation and duplicate/search keys."""
    data = dict(data)
    errors: dict = {}
    region = getattr(by.tenant, "default_region", "") or "BG"
    prepared = Prepared(fields={})
    if "emails" in data:
        prepared.emails = _points(data.pop("emails") or [], "email", region, errors)
    if "phones" in data:
        prepared.phones = _points(data.pop("phones") or [], "phone", region, errors)
    if "addresses" in data:
        prepared.addresses = _addresses(data.pop("addresses") or [], errors)
    if "tags" in data:
        prepared.tags = _tags(data.pop("tags") or [], errors)
    if "custom" in data:
        try:
            data["custom"] = clean_custom(
                tenant=by.tenant,
                entity=entity,
                values=data.pop("custom") or {},
                current=current.custom if current is not None else None,
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    elif current is None:
        try:
            data["custom"] = clean_custom(tenant=by.tenant, entity=entity, values={})
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if entity == "contact":
        if "accounts" in data:
            links = []
            for index, link in enumerate(data.pop("accounts") or []):
                _check_account_ref(by, f"accounts.{index}.account", link.get("account_id"), errors)
                links.append(
                    {
                        "account_id": link.get("account_id"),
                        "role": str(link.get("role") or "")[:100],
                    }
                )
            prepared.accounts = links
        for channel, choice in (data.pop("consent", None) or {}).items():
            if channel not in CONSENT_CHANNELS or not isinstance(choice, dict):
                errors[f"consent.{channel}"] = _("Unknown consent channel.")
                continue
            granted = choice.get("granted")
            data[CONSENT_CHANNELS[channel]] = granted
            changed = current is None or getattr(current, CONSENT_CHANNELS[channel]) != granted
            if changed and granted is not None:
                source = str(choice.get("source") or "")[:100]
                prepared.consent_events.append(
                    {"channel": channel, "granted": bool(granted), "source": source}
                )
        _check_account_ref(by, "account", data.get("account_id"), errors)
    else:
        _check_account_ref(by, "parent", data.get("parent_id"), errors)
        if data.get("domain"):
            try:
                data["domain"] = normalize_domain(data["domain"])
            except ValueError as exc:
                errors["domain"] = str(exc)
    if data.get("country"):
        data["country"] = str(data["country"]).upper()
    _check_owner(by, data.get("owner_id"), errors)
    if errors:
        raise ValidationError(errors)

    # Keys for duplicate detection and search, from the record as it will be.
    emails = prepared.emails if prepared.emails is not None else _current_points(current, "email")
    phones = prepared.phones if prepared.phones is not None else _current_points(current, "phone")

    def final(name: str) -> str:
        return str(data[name] if name in data else getattr(current, name, "") or "")

    if entity == "contact":
        name_text = f"{final('first_name')} {final('last_name')}"
        data["name_key"] = person_name_key(final("first_name"), final("last_name"))
        data.update(dedupe.contact_keys(final("first_name"), final("last_name")))
    else:
        name_text = f"{final('name')} {final('domain')}"
        data["name_key"] = company_name_key(final("name"))
        data.update(dedupe.account_keys(final("name")))
    data["search_text"] = " ".join(
        [
            fold(name_text),
            *(e["value"] for e in emails),
            *(phone_digits(p["value"]) for p in phones),
        ]
    )[:2000]
    prepared.fields = data
    return prepared


def _check_duplicates(by: Actor, entity: str, prepared: Prepared, current, on_duplicate: str):
    if on_duplicate not in ON_DUPLICATE:
        raise ValidationError({"on_duplicate": _("Use 'error' or 'create'.")})
    if on_duplicate == "create":
        return
    emails = prepared.emails if prepared.emails is not None else _current_points(current, "email")
    phones = prepared.phones if prepared.phones is not None else _current_points(current, "phone")
    keys = {
        "tenant": by.tenant,
        "name_key": prepared.fields["name_key"],
        "emails": [e["value"] for e in emails],
        "phones": [p["value"] for p in phones],
        "exclude_id": current.pk if current is not None else None,
    }
    if entity == "contact":
        candidates = dedupe.find_contact_duplicates(**keys)
    else:
        domain = prepared.fields.get("domain", getattr(current, "domain", "") or "")
        candidates = dedupe.find_account_duplicates(domain=domain, **keys)
    if candidates:
        raise DuplicatesFound(candidates)


def _owner_kwarg(record) -> dict:
    return {"account": record} if isinstance(record, Account) else {"contact": record}


def related_snapshot(record) -> dict:
    """The record's lists, for the audit trail's old -> new."""
    tags = sorted(
        RecordTag.objects.for_tenant(record.tenant_id)
        .filter(**_owner_kwarg(record))
        .values_list("tag__name", flat=True)
    )
    snapshot = {
        "emails": [e["value"] for e in _current_points(record, "email")],
        "phones": [p["value"] for p in _current_points(record, "phone")],
        "addresses": [
            _address_line(
                {
                    "street": a.street,
                    "city": a.city,
                    "postal_code": a.postal_code,
                    "country": a.country,
                }
            )
            for a in record.addresses.all()
        ],
        "tags": tags,
    }
    if isinstance(record, Contact):
        snapshot["accounts"] = sorted(
            f"{link.account_id}:{link.role}" for link in record.account_links.all()
        )
    return snapshot


def _write_related(record, prepared: Prepared) -> None:
    tenant_id, owner = record.tenant_id, _owner_kwarg(record)
    for kind, items in (("email", prepared.emails), ("phone", prepared.phones)):
        if items is None:
            continue
        ContactPoint.objects.for_tenant(tenant_id).filter(kind=kind, **owner).delete()
        ContactPoint.objects.bulk_create(
            [
                ContactPoint(
                    tenant_id=tenant_id,
                    kind=kind,
                    value=item["value"],
                    label=item["label"],
                    position=index,
                    **owner,
                )
                for index, item in enumerate(items)
            ]
        )
    if prepared.addresses is not None:
        Address.objects.for_tenant(tenant_id).filter(**owner).delete()
        Address.objects.bulk_create(
            [
                Address(tenant_id=tenant_id, position=index, **owner, **address)
                for index, address in enumerate(prepared.addresses)
            ]
        )
    if prepared.tags is not None:
        tags = tags_get_or_create(tenant_id=tenant_id, names=prepared.tags)
        RecordTag.objects.for_tenant(tenant_id).filter(**owner).delete()
        RecordTag.objects.bulk_create(
            [RecordTag(tenant_id=tenant_id, tag=tag, **owner) for tag in tags]
        )
    if prepared.accounts is not None:
        AccountContact.objects.for_tenant(tenant_id).filter(contact=record).delete()
        AccountContact.objects.bulk_create(
            [
                AccountContact(
                    tenant_id=tenant_id,
                    contact=record,
                    account_id=link["account_id"],
                    role=link["role"],
                )
                for link in {link["account_id"]: link for link in prepared.accounts}.values()
            ]
        )
    now = timezone.now()
    ConsentEvent.objects.bulk_create(
        [
            ConsentEvent(tenant_id=tenant_id, contact=record, at=now, **event)
            for event in prepared.consent_events
        ]
    )


def tags_get_or_create(*, tenant_id: int, names: list[str]) -> list[Tag]:
    """The tenant's tags with these names (case-insensitive), creating the missing ones."""
    wanted = Q()
    for name in names:
        wanted |= Q(name__iexact=name)
    existing = {t.name.lower(): t for t in Tag.objects.for_tenant(tenant_id).filter(wanted)}
    missing = [n for n in names if n.lower() not in existing]
    for name in missing:
        existing[name.lower()] = Tag.objects.for_tenant(tenant_id).get_or_create(
            tenant_id=tenant_id, name=name
        )[0]
    return [existing[n.lower()] for n in names]


def _changed_lists(before: dict, after: dict) -> dict:
    return {name: [before[name], after[name]] for name in after if before.get(name) != after[name]}


def _address_line(address: dict) -> str:
    return ", ".join(
        filter(None, (address.get(k) for k in ("street", "city", "postal_code", "country")))
    )


def prepared_audit_lists(prepared: Prepared) -> dict:
    """The lists a create writes, in the audit trail's form (see related_snapshot)."""
    lists = {
        "emails": [e["value"] for e in prepared.emails or []],
        "phones": [p["value"] for p in prepared.phones or []],
        "addresses": [_address_line(a) for a in prepared.addresses or []],
        "tags": sorted(prepared.tags or []),
        "accounts": sorted(f"{a['account_id']}:{a['role']}" for a in prepared.accounts or []),
    }
    return {name: [None, values] for name, values in lists.items() if values}


def _create(by: Actor, model, entity: str, on_duplicate: str, data: dict):
    require_writer(by)
    data.setdefault("owner_id", by.user.pk)
    prepared = prepare_record(by, entity, data)
    with transaction.atomic():
        _check_duplicates(by, entity, prepared, None, on_duplicate)
        record = record_create(
            model=model, by=by, extra_changes=prepared_audit_lists(prepared), **prepared.fields
        )
        _write_related(record, prepared)
    return record


def _update(by: Actor, record, entity: str, fields: dict, if_match, on_duplicate: str):
    require_change(by, record)
    prepared = prepare_record(by, entity, fields, current=record)
    with transaction.atomic():
        identity = {"name", "first_name", "last_name", "domain"}
        if (identity & set(fields)) or prepared.emails is not None or prepared.phones is not None:
            _check_duplicates(by, entity, prepared, record, on_duplicate)
        before = related_snapshot(record)
        _write_related(record, prepared)
        extra = _changed_lists(before, related_snapshot(record))
        return record_update(
            obj=record, by=by, fields=prepared.fields, if_match=if_match, extra_changes=extra
        )


def account_create(*, by: Actor, on_duplicate: str = "error", **fields) -> Account:
    """Create an account; the creator owns it unless an owner is given."""
    return _create(by, Account, "account", on_duplicate, fields)


def account_update(
    *,
    by: Actor,
    account: Account,
    fields: dict,
    if_match: str | None = None,
    on_duplicate: str = "error",
) -> Account:
    if "parent_id" in fields:
        _check_parent_cycle(account, fields["parent_id"])
    return _update(by, account, "account", fields, if_match, on_duplicate)


def _check_parent_cycle(account: Account, parent_id: int | None) -> None:
    seen = {account.pk}
    current = parent_id
    while current is not None:
        if current in seen:
            raise ValidationError({"parent": _("An account cannot be its own ancestor.")})
        seen.add(current)
        current = (
            Account.objects.for_tenant(account.tenant_id, with_deleted=True)
            .filter(pk=current)
            .values_list("parent_id", flat=True)
            .first()
        )


def _refuse_merged(record) -> None:
    if record.merged_into_id is not None:
        raise ValidationError(
            _("This record was merged into another; undo the merge to bring it back.")
        )


def account_delete(*, by: Actor, account: Account, if_match: str | None = None) -> Account:
    require_change(by, account)
    return record_soft_delete(obj=account, by=by, if_match=if_match)


def account_restore(*, by: Actor, account: Account, if_match: str | None = None) -> Account:
    require_change(by, account)
    _refuse_merged(account)
    return record_restore(obj=account, by=by, if_match=if_match)


def contact_create(*, by: Actor, on_duplicate: str = "error", **fields) -> Contact:
    """Create a contact; the creator owns it unless an owner is given."""
    return _create(by, Contact, "contact", on_duplicate, fields)


def contact_update(
    *,
    by: Actor,
    contact: Contact,
    fields: dict,
    if_match: str | None = None,
    on_duplicate: str = "error",
) -> Contact:
    return _update(by, contact, "contact", fields, if_match, on_duplicate)


def contact_delete(*, by: Actor, contact: Contact, if_match: str | None = None) -> Contact:
    require_change(by, contact)
    return record_soft_delete(obj=contact, by=by, if_match=if_match)


def contact_restore(*, by: Actor, contact: Contact, if_match: str | None = None) -> Contact:
    require_change(by, contact)
    _refuse_merged(contact)
    return record_restore(obj=contact, by=by, if_match=if_match)
