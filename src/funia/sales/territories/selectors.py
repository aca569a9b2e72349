"""Reads of territories: the list and one territory (with its reps), the accounts of a
territory (or of none) with their status, and the deals behind the coverage numbers."""

import calendar
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils.translation import gettext as _

from funia.core import periods
from funia.core.actor import Actor
from funia.core.visibility import visible_records
from funia.customers.models import Account
from funia.sales.models import Opportunity, StageKind, Territory, TerritoryRep
from funia.sales.orders.models import Order, OrderStatus
from funia.sales.territories import matching

PROSPECT, CUSTOMER = "prospect", "customer"
OPEN, WON = "open", "won"
# The coverage's totals row in URLs and selectors: the accounts of every territory and of
# none (every live account).
ALL_TERRITORIES = "all"
# The window of an active customer, in months ending today.
ACTIVE_MONTHS, MIN_ACTIVE_MONTHS, MAX_ACTIVE_MONTHS = 12, 1, 120


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


def territory_scope_q(actor: Actor, territory_id: int | str | None, *, prefix: str = "") -> Q:
    """The condition of a territory's accounts (None: of the accounts of no territory;
    ALL_TERRITORIES: of every live account, as the coverage's totals count them)."""
    if territory_id is None:
        return matching.no_territory_q(actor.tenant, prefix=prefix)
    if territory_id == ALL_TERRITORIES:
        if not prefix:
            return Q()
        relation = prefix.removesuffix("__")
        return Q(**{f"{relation}__isnull": False, f"{prefix}deleted_at__isnull": True})
    territory, active = report_territory(actor, territory_id)
    return matching.territory_q(actor.tenant, territory, prefix=prefix, territories=active)


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ActiveWindow:
    """The days in which a won deal or an order makes an account an active customer:
    from `since` to `until` (today in the organisation's time zone), both included."""

    months: int
    since: datetime.date
    until: datetime.date


def active_window(
    tenant, months: int = ACTIVE_MONTHS, *, today: datetime.date | None = None
) -> ActiveWindow:
    """The `months` months ending today (organisation time zone): from the same day
    `months` months ago up to today, both included. Out of 1..120 is a field error."""
    if isinstance(months, bool) or not MIN_ACTIVE_MONTHS <= months <= MAX_ACTIVE_MONTHS:
        raise ValidationError(
            {
                "active_months": _("Give a number of months from %(min)d to %(max)d.")
                % {"min": MIN_ACTIVE_MONTHS, "max": MAX_ACTIVE_MONTHS}
            }
        )
    until = today or periods.today(tenant)
    return ActiveWindow(months, months_before(until, months), until)


def active_customer(tenant, window: ActiveWindow, account_ref="pk") -> ExpressionWrapper:
    """Is the account (OuterRef `account_ref`) an active customer: has it a live deal now
    won whose win (`closed_at`) is in the window, or a live order, not cancelled, dated in
    the window? Every deal and order of the organisation counts, seen or not: the status
    belongs to the account, not to the reader."""
    won = Opportunity.objects.for_tenant(tenant).filter(
        account_id=OuterRef(account_ref),
        stage__kind=StageKind.WON,
        closed_at__gte=periods.midnight(tenant, window.since),
        closed_at__lt=periods.midnight(tenant, window.until + datetime.timedelta(days=1)),
    )
    ordered = (
        Order.objects.for_tenant(tenant)
        .filter(
            account_id=OuterRef(account_ref),
            ordered_on__gte=window.since,
            ordered_on__lte=window.until,
        )
        .exclude(status=OrderStatus.CANCELLED)
    )
    return ExpressionWrapper(Q(Exists(won)) | Q(Exists(ordered)), output_field=BooleanField())


def territory_accounts(
    *,
    actor: Actor,
    territory_id: int | None,
    status: str | None = None,
    window: ActiveWindow | None = None,
) -> QuerySet[Account]:
    """The accounts you may see in the territory (None: in no territory), with `is_customer`
    (an active customer in the window, default: the last 12 months; see `active_customer`);
    `status` keeps prospects or customers only."""
    window = window or active_window(actor.tenant)
    condition = territory_scope_q(actor, territory_id)
    qs = (
        visible_records(Account, actor)
        .filter(condition)
        .annotate(is_customer=active_customer(actor.tenant, window))
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
