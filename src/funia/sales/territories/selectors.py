"""Reads of territories: the list and one territory (with its reps), the accounts of a
territory (or of none) with their status, and the deals behind the coverage numbers."""

import datetime

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from funia.core.actor import Actor
from funia.core.visibility import visible_records
from funia.customers.models import Account
from funia.sales.models import Opportunity, StageKind, Territory, TerritoryRep
from funia.sales.territories import matching

PROSPECT, CUSTOMER = "prospect", "customer"
OPEN, WON = "open", "won"


def _with_reps(qs: QuerySet, tenant) -> QuerySet:
    reps = TerritoryRep.objects.for_tenant(tenant).select_related("user").order_by("user_id")
    return qs.select_related("manager").prefetch_related(
        Prefetch("territoryrep_set", queryset=reps, to_attr="rep_links")
    )


def territory_list(*, actor: Actor, filters=None) -> QuerySet[Territory]:
    """The organisation's territories in the order they are tried (every member reads)."""
    qs = Territory.objects.for_tenant(actor.tenant, with_deleted=True)
    qs = filters.filter(qs) if filters is not None else qs.filter(deleted_at__isnull=True)
    return _with_reps(qs, actor.tenant).order_by("position", "id")


def territory_get(*, actor: Actor, pk: int, with_deleted: bool = False) -> Territory:
    qs = Territory.objects.for_tenant(actor.tenant, with_deleted=with_deleted)
    return _with_reps(qs, actor.tenant).get(pk=pk)


def territory_choices(*, actor: Actor) -> QuerySet[Territory]:
    """The active territories, for the reports' territory filter."""
    return (
        Territory.objects.for_tenant(actor.tenant).filter(is_active=True).order_by("position", "id")
    )


def report_territory(actor: Actor, territory_id: int) -> tuple[Territory, list[Territory]]:
    """A live territory of the organisation (DoesNotExist otherwise, which answers 404) and
    the active territories its accounts are decided against, in one query."""
    rows = list(
        Territory.objects.for_tenant(actor.tenant)
        .filter(Q(is_active=True) | Q(pk=territory_id))
        .order_by("position", "id")
    )
    found = next((t for t in rows if t.pk == territory_id), None)
    if found is None:
        raise Territory.DoesNotExist
    return found, [t for t in rows if t.is_active]


def territory_scope_q(actor: Actor, territory_id: int | None, *, prefix: str = "") -> Q:
    """The condition of a territory's accounts (None: of the accounts of no territory)."""
    if territory_id is None:
        return matching.no_territory_q(actor.tenant, prefix=prefix)
    territory, active = report_territory(actor, territory_id)
    return matching.territory_q(actor.tenant, territory, prefix=prefix, territories=active)


def won_deal_exists(tenant, account_ref="pk"):
    """Has the account (OuterRef `account_ref`) a live deal now won? Then it is a customer."""
    return Exists(
        Opportunity.objects.for_tenant(tenant).filter(
            account_id=OuterRef(account_ref), stage__kind=StageKind.WON
        )
    )


def territory_accounts(
    *, actor: Actor, territory_id: int | None, status: str | None = None
) -> QuerySet[Account]:
    """The accounts you may see in the territory (None: in no territory), with `is_customer`
    (a live deal of the account is won); `status` keeps prospects or customers only."""
    condition = territory_scope_q(actor, territory_id)
    qs = (
        visible_records(Account, actor)
        .filter(condition)
        .annotate(is_customer=won_deal_exists(actor.tenant))
        .select_related("owner")
    )
    if status == PROSPECT:
        qs = qs.filter(is_customer=False)
    elif status == CUSTOMER:
        qs = qs.filter(is_customer=True)
    return qs.order_by("name", "id")


def territory_deals(
    *,
    actor: Actor,
    territory_id: int | None,
    status: str,
    start: datetime.datetime,
    end: datetime.datetime,
) -> QuerySet[Opportunity]:
    """The deals you may see of the territory's accounts behind a coverage number: `open`
    (now in an open stage) or `won` (won in [start, end))."""
    condition = territory_scope_q(actor, territory_id, prefix="account__")
    qs = visible_records(Opportunity, actor).filter(condition)
    if status == WON:
        qs = qs.filter(stage__kind=StageKind.WON, closed_at__gte=start, closed_at__lt=end)
    else:
        qs = qs.filter(stage__kind=StageKind.OPEN)
    return qs.select_related("owner", "account", "stage", "pipeline").order_by(
        F("amount_base").desc(nulls_last=True), "-id"
    )
