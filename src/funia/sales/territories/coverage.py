"""Territory coverage: per active territory (and one row for the accounts of no territory)
its reps, its accounts split into prospects and active customers, its open pipeline and its
revenue in a period.

Definitions (binding; shown on the page and in the API documentation):
- **reps**: the territory's reps who are active users of the organisation.
- **accounts**: live accounts you may see whose territory it is; **customers** of them are
  active customers: they have a live deal now won whose win (`closed_at`) is in the active
  window, or a live order, not cancelled, dated (`ordered_on`) in it; **prospects** are the
  other accounts of the territory. The active window is the `active_months` months (1 to
  120, default 12) ending today in the organisation's time zone: from the same day that
  many months ago up to today, both included. Every deal and order of the organisation
  decides, also those you may not see: the status belongs to the account.
- **open_pipeline** / **open_deals**: the sum of `amount_base` (organisation currency) and
  the number of the live deals you may see, now in an open stage, of accounts of the
  territory; **weighted_pipeline**: each of those amounts times its stage's probability.
- **revenue** / **won_deals**: the same for the deals now won whose win (`closed_at`) is in
  [from, to) (organisation time zone; default: the current calendar year).

Each measure is one grouped query over the accounts or the deals, classified by one SQL
expression (`matching.territory_case`): the cost does not grow with the number of
territories beyond the size of that expression.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from funia.core import periods
from funia.core.actor import Actor
from funia.core.models import Membership
from funia.core.visibility import visible_records
from funia.customers.models import Account
from funia.sales.models import Opportunity, StageKind, TerritoryRep
from funia.sales.territories import matching
from funia.sales.territories.selectors import ACTIVE_MONTHS, active_customer, active_window

CENT = Decimal("0.01")
COUNTS = ("accounts", "prospects", "customers", "open_deals", "won_deals")
AMOUNTS = ("open_pipeline", "weighted_pipeline", "revenue")


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def _year_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def coverage_period(tenant, start=None, end=None) -> tuple[datetime.date, datetime.date]:
    """[from, to) of the revenue: as given, one year from `from` or up to `to`, else the
    current calendar year of the organisation."""
    if start is None and end is None:
        start = periods.period_start(periods.YEAR, periods.today(tenant))
        end = periods.period_end(periods.YEAR, start)
    elif end is None:
        end = _year_later(start, 1)
    elif start is None:
        start = _year_later(end, -1)
    if start >= end:
        raise ValidationError({"from": _("The period must start before it ends.")})
    return start, end


def _active_reps(tenant, territory_ids: list[int]) -> dict[int, list[int]]:
    if not territory_ids:
        return {}
    active = Membership.objects.for_tenant(tenant).filter(is_active=True, user__is_active=True)
    reps: dict[int, list[int]] = {}
    for territory_id, user_id in (
        TerritoryRep.objects.for_tenant(tenant)
        .filter(territory_id__in=territory_ids, user_id__in=active.values("user_id"))
        .order_by("territory_id", "user_id")
        .values_list("territory_id", "user_id")
    ):
        reps.setdefault(territory_id, []).append(user_id)
    return reps


def _empty_row(territory_id, name: str, rep_ids: list[int]) -> dict:
    return {
        "territory": territory_id,
        "name": name,
        "reps": len(rep_ids),
        "rep_ids": rep_ids,
        **dict.fromkeys(COUNTS, 0),
        **dict.fromkeys(AMOUNTS, Decimal("0")),
    }


def coverage_report(
    *,
    actor: Actor,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    active_months: int = ACTIVE_MONTHS,
    today: datetime.date | None = None,
) -> dict:
    """The coverage table the actor may see (see the module's definitions); `today` (default:
    today in the organisation's time zone) ends the active window."""
    tenant = actor.tenant
    start, end = coverage_period(tenant, start, end)
    window = active_window(tenant, active_months, today=today)
    begin, finish = periods.midnight(tenant, start), periods.midnight(tenant, end)
    territories = matching.active_territories(tenant)
    reps = _active_reps(tenant, [t.pk for t in territories])
    rows = {t.pk: _empty_row(t.pk, t.name, reps.get(t.pk, [])) for t in territories}
    rows[None] = _empty_row(None, _("No territory"), [])

    accounts = (
        visible_records(Account, actor)
        .annotate(
            territory_id=matching.territory_case(tenant, territories=territories),
            customer=active_customer(tenant, window),
        )
        .values("territory_id")
        .annotate(n=Count("id"), customers=Count("id", filter=Q(customer=True)))
        .order_by()
    )
    for line in accounts:
        row = rows.get(line["territory_id"], rows[None])
        row["accounts"] += line["n"]
        row["customers"] += line["customers"]
        row["prospects"] += line["n"] - line["customers"]

    deals = (
        visible_records(Opportunity, actor)
        .filter(account__isnull=False, account__deleted_at__isnull=True)
        .filter(
            Q(stage__kind=StageKind.OPEN)
            | Q(stage__kind=StageKind.WON, closed_at__gte=begin, closed_at__lt=finish)
        )
        .annotate(
            territory_id=matching.territory_case(
                tenant, prefix="account__", territories=territories
            )
        )
        .values("territory_id", "stage__kind", "stage__probability")
        .annotate(n=Count("id"), amount=Sum("amount_base"))
        .order_by()
    )
    for line in deals:
        row = rows.get(line["territory_id"], rows[None])
        amount = line["amount"] or Decimal("0")
        if line["stage__kind"] == StageKind.OPEN:
            row["open_deals"] += line["n"]
            row["open_pipeline"] += amount
            row["weighted_pipeline"] += amount * line["stage__probability"] / 100
        else:
            row["won_deals"] += line["n"]
            row["revenue"] += amount

    ordered = [rows[t.pk] for t in territories] + [rows[None]]
    total = _empty_row(None, _("Total"), sorted({r for row in ordered for r in row["rep_ids"]}))
    for row in ordered:
        for name in AMOUNTS:
            row[name] = money(row[name])
        for name in (*COUNTS, *AMOUNTS):
            total[name] += row[name]
    return {
        "currency": tenant.currency,
        "from": start,
        "to": end,
        "active_months": window.months,
        "active_since": window.since,
        "active_until": window.until,
        "territories": ordered,
        "total": total,
    }
