"""Reads of accounts and contacts, restricted by the visibility policy."""

from django.db.models import Count, Prefetch, Q, QuerySet

from funia.core.actor import Actor
from funia.core.visibility import visible_records
from funia.customers.filters import AccountFilter, ContactFilter
from funia.customers.models import (
    Account,
    AccountContact,
    Address,
    ConsentEvent,
    Contact,
    ContactPoint,
    RecordTag,
)


def _with_details(qs: QuerySet, tenant) -> QuerySet:
    """The related rows every account or contact shows, in a fixed number of queries."""
    return qs.prefetch_related(
        Prefetch(
            "points", queryset=ContactPoint.objects.for_tenant(tenant).order_by("position", "id")
        ),
        Prefetch(
            "addresses", queryset=Address.objects.for_tenant(tenant).order_by("position", "id")
        ),
        Prefetch("tag_links", queryset=RecordTag.objects.for_tenant(tenant).select_related("tag")),
    )


def account_list(*, actor: Actor, filters: AccountFilter | None = None) -> QuerySet[Account]:
    filters = filters or AccountFilter()
    qs = filters.filter(visible_records(Account, actor, with_deleted=True))
    if filters.tag:
        qs = qs.distinct()
    contact_count = Count("contacts", filter=Q(contacts__deleted_at__isnull=True), distinct=True)
    qs = qs.select_related("owner", "parent").annotate(contact_count=contact_count)
    return _with_details(qs, actor.tenant).order_by(filters.sort, "id")


def account_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> Account:
    qs = visible_records(Account, actor, with_deleted=with_deleted).select_related(
        "owner", "parent"
    )
    return _with_details(qs, actor.tenant).get(pk=pk)


def _contact_details(qs: QuerySet, tenant) -> QuerySet:
    return _with_details(qs.select_related("owner", "account"), tenant).prefetch_related(
        Prefetch(
            "account_links",
            queryset=AccountContact.objects.for_tenant(tenant).select_related("account"),
        ),
        Prefetch(
            "consent_events", queryset=ConsentEvent.objects.for_tenant(tenant).order_by("at", "id")
        ),
    )


def contact_list(*, actor: Actor, filters: ContactFilter | None = None) -> QuerySet[Contact]:
    filters = filters or ContactFilter()
    qs = filters.filter(visible_records(Contact, actor, with_deleted=True))
    if filters.tag:
        qs = qs.distinct()
    return _contact_details(qs, actor.tenant).order_by(filters.sort, "id")


def contact_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> Contact:
    return _contact_details(
        visible_records(Contact, actor, with_deleted=with_deleted), actor.tenant
    ).get(pk=pk)


def account_contacts(*, actor: Actor, account: Account) -> QuerySet[Contact]:
    return visible_records(Contact, actor).filter(account=account).order_by("last_name", "id")
