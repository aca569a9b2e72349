"""Writes of accounts and contacts: validated references, audited, versioned."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.models import Membership
from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.core.visibility import require_change, require_writer, visible_records
from funia.customers.models import Account, Contact


def _resolve_references(by: Actor, fields: dict) -> dict:
    """Ids from a form or the API must name records of the same organisation."""
    fields = dict(fields)
    if fields.get("owner_id") is not None:
        is_member = (
            Membership.objects.for_tenant(by.tenant).filter(user_id=fields["owner_id"]).exists()
        )
        if not is_member:
            raise ValidationError({"owner": _("The owner must be a user of this organisation.")})
    for field in ("parent", "account"):
        account_id = fields.get(f"{field}_id")
        if account_id is not None and not (
            visible_records(Account, by).filter(pk=account_id).exists()
        ):
            raise ValidationError({field: _("No such account.")})
    if fields.get("country"):
        fields["country"] = fields["country"].upper()
    if fields.get("email"):
        fields["email"] = fields["email"].strip().lower()
    return fields


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


def account_create(*, by: Actor, **fields) -> Account:
    """Create an account; the creator owns it unless an owner is given."""
    require_writer(by)
    fields.setdefault("owner_id", by.user.pk)
    return record_create(model=Account, by=by, **_resolve_references(by, fields))


def account_update(
    *, by: Actor, account: Account, fields: dict, if_match: str | None = None
) -> Account:
    require_change(by, account)
    fields = _resolve_references(by, fields)
    if "parent_id" in fields:
        _check_parent_cycle(account, fields["parent_id"])
    return record_update(obj=account, by=by, fields=fields, if_match=if_match)


def account_delete(*, by: Actor, account: Account, if_match: str | None = None) -> Account:
    require_change(by, account)
    return record_soft_delete(obj=account, by=by, if_match=if_match)


def account_restore(*, by: Actor, account: Account, if_match: str | None = None) -> Account:
    require_change(by, account)
    return record_restore(obj=account, by=by, if_match=if_match)


def contact_create(*, by: Actor, **fields) -> Contact:
    require_writer(by)
    fields.setdefault("owner_id", by.user.pk)
    return record_create(model=Contact, by=by, **_resolve_references(by, fields))


def contact_update(
    *, by: Actor, contact: Contact, fields: dict, if_match: str | None = None
) -> Contact:
    require_change(by, contact)
    return record_update(
        obj=contact, by=by, fields=_resolve_references(by, fields), if_match=if_match
    )


def contact_delete(*, by: Actor, contact: Contact, if_match: str | None = None) -> Contact:
    require_change(by, contact)
    return record_soft_delete(obj=contact, by=by, if_match=if_match)


def contact_restore(*, by: Actor, contact: Contact, if_match: str | None = None) -> Contact:
    require_change(by, contact)
    return record_restore(obj=contact, by=by, if_match=if_match)
