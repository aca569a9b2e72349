"""Reads of accounts and contacts, restricted by the visibility policy."""

from django.db.models import Count, Q, QuerySet

from funia.core.actor import Actor
from funia.core.visibility import visible_records
from funia.customers.filters import AccountFilter, ContactFilter
from funia.customers.models import Account, Contact


def account_list(*, actor: Actor, filters: AccountFilter | None = None) -> QuerySet[Account]:
    filters = filters or AccountFilter()
    qs = visible_records(Account, actor, with_deleted=True)
    return (
        filters.filter(qs)
        .select_related("owner", "parent")
        .annotate(contact_count=Count("contacts", filter=Q(contacts__deleted_at__isnull=True)))
        .order_by(filters.sort, "id")
    )


def account_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> Account:
    return (
        visible_records(Account, actor, with_deleted=with_deleted)
        .select_related("owner", "parent")
        .get(pk=pk)
    )


def contact_list(*, actor: Actor, filters: ContactFilter | None = None) -> QuerySet[Contact]:
    filters = filters or ContactFilter()
    qs = visible_records(Contact, actor, with_deleted=True)
    return filters.filter(qs).select_related("owner", "account").order_by(filters.sort, "id")


def contact_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> Contact:
    return (
        visible_records(Contact, actor, with_deleted=with_deleted)
        .select_related("owner", "account")
        .get(pk=pk)
    )


def account_contacts(*, actor: Actor, account: Account) -> QuerySet[Contact]:
    return visible_records(Contact, actor).filter(account=account).order_by("last_name", "id")
