"""Tenant-defined custom fields: definitions, and validation of a record's values."""

import datetime
import decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.core.visibility import require_admin
from funia.customers.models import CustomField

MAX_TEXT = 1000


def definitions(*, tenant, entity: str) -> list[CustomField]:
    return list(
        CustomField.objects.for_tenant(tenant).filter(entity=entity).order_by("position", "id")
    )


def _clean_value(field: CustomField, value):
    if value is None or value == "":
        return None
    kind = field.kind
    if kind == CustomField.Kind.TEXT:
        text = str(value)
        if len(text) > MAX_TEXT:
            raise ValueError(_("At most %(n)d characters.") % {"n": MAX_TEXT})
        return text
    if kind == CustomField.Kind.NUMBER:
        if isinstance(value, bool):
            raise ValueError(_("Enter a number."))
        try:
            number = decimal.Decimal(str(value).replace(",", ".").strip())
        except decimal.InvalidOperation as exc:
            raise ValueError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomField.Kind.DATE:
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError as exc:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from exc
    if kind == CustomField.Kind.CHOICE:
        if str(value) not in field.choices:
            raise ValueError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(field.choices)}
            )
        return str(value)
    if kind == CustomField.Kind.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "yes", "1", "да", "y"}:
            return True
        if text in {"false", "no", "0", "не", "n"}:
            return False
        raise ValueError(_("Enter yes or no."))
    raise ValueError(_("Unknown field type."))


def clean_custom(
    *,
    tenant,
    entity: str,
    values: dict,
    current: dict | None = None,
    fields: list[CustomField] | None = None,
) -> dict:
    """Validated custom values merged over `current`; errors name `custom.<key>`."""
    fields = fields if fields is not None else definitions(tenant=tenant, entity=entity)
    by_key = {f.key: f for f in fields}
    result = dict(current or {})
    errors = {}
    if not isinstance(values, dict):
        raise ValidationError({"custom": _("Custom fields must be an object of key: value.")})
    for key, value in values.items():
        field = by_key.get(key)
        if field is None:
            errors[f"custom.{key}"] = _("There is no custom field “%(key)s”.") % {"key": key}
            continue
        try:
            cleaned = _clean_value(field, value)
        except ValueError as exc:
            errors[f"custom.{key}"] = str(exc)
            continue
        if cleaned is None:
            result.pop(key, None)
        else:
            result[key] = cleaned
    # Required fields are enforced when a record is created (older records may predate them).
    for field in fields if current is None else ():
        if field.required and result.get(field.key) in (None, ""):
            errors.setdefault(f"custom.{field.key}", _("This field is required."))
    if errors:
        raise ValidationError(errors)
    return result


def custom_field_create(*, by, **fields) -> CustomField:
    """Define a custom field (admins); its key is fixed once created."""
    require_admin(by)
    _check_choices(fields.get("kind"), fields.get("choices") or [])
    if (
        CustomField.objects.for_tenant(by.tenant, with_deleted=True)
        .filter(entity=fields.get("entity"), key=fields.get("key"))
        .exists()
    ):
        raise ValidationError({"key": _("A custom field with this key exists already.")})
    return record_create(model=CustomField, by=by, **fields)


def custom_field_update(
    *, by, custom_field: CustomField, fields: dict, if_match: str | None = None
) -> CustomField:
    require_admin(by)
    if "choices" in fields:
        _check_choices(custom_field.kind, fields["choices"] or [])
    return record_update(obj=custom_field, by=by, fields=fields, if_match=if_match)


def custom_field_delete(*, by, custom_field: CustomField, if_match: str | None = None):
    """Hide the field; records keep their values, so restoring brings them back."""
    require_admin(by)
    return record_soft_delete(obj=custom_field, by=by, if_match=if_match)


def custom_field_restore(*, by, custom_field: CustomField, if_match: str | None = None):
    require_admin(by)
    return record_restore(obj=custom_field, by=by, if_match=if_match)


def _check_choices(kind, choices) -> None:
    if kind == CustomField.Kind.CHOICE and not choices:
        raise ValidationError({"choices": _("A choice field needs at least one choice.")})
    if len(set(choices)) != len(choices):
        raise ValidationError({"choices": _("Choices must be different from each other.")})


def custom_field_list(*, actor, filters=None):
    qs = CustomField.objects.for_tenant(actor.tenant, with_deleted=True)
    if filters is not None:
        qs = filters.filter(qs)
    return qs.order_by("entity", "position", "id")


def custom_field_get(*, actor, pk: int, with_deleted: bool = False) -> CustomField:
    return CustomField.objects.for_tenant(actor.tenant, with_deleted=with_deleted).get(pk=pk)
