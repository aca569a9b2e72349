"""Field choices of a merge: which fields are chosen, and from which record by default."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from funia.customers.custom_fields import definitions
from funia.customers.merge.constants import CONSENT_CHANNELS, CUSTOM_PREFIX, NOT_CHOOSABLE
from funia.customers.models import Account, ConsentEvent, Contact, Merge

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
