"""Every number of the territory coverage, checked on random territories (rules of
country, region, industry and size, positions that tie, inactive and trashed ones, reps
who left), accounts (in several territories' rules, in none, trashed, unseen), deals (open,
won on and around the windows' bounds, lost, trashed, in two currencies) and orders (on
and around the active window's bounds, cancelled, trashed, dated ahead) against the simple
reference below.

The reference reads the definitions of `funia.sales.territories.coverage` (docs/api.md,
"Coverage report") literally, one account and one deal at a time, in plain Python: an
account belongs to the first active territory, by position then id, whose rules it
matches; it is an active customer when a live deal of it, now won, was won in the active
window (the `active_months` months ending today, both ends included) or a live order of
it, not cancelled, is dated in that window; prospects are the other accounts; the open
pipeline, its weighted value and the revenue of [from, to) are the deals you may see."""

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from funia.core import periods
from funia.core.models import Membership
from funia.customers import services as customer_services
from funia.sales import opportunities
from funia.sales import pipelines as pipeline_services
from funia.sales.orders import services as order_services
from funia.sales.territories import services as territory_services
from funia.sales.territories.coverage import coverage_report
from tests import factories
from tests.report_properties import money, profile

COVERAGE = profile("coverage", "COVERAGE_EXAMPLES")
ZERO = Decimal("0")
CENT = Decimal("0.01")
STAGES = {  # name -> (kind, probability)
    "Qualification": ("open", 10),
    "Needs analysis": ("open", 25),
    "Proposal": ("open", 50),
    "Negotiation": ("open", 75),
    "Won": ("won", 100),
    "Lost": ("lost", 0),
}
OWNERS = ("rep0", "rep1", "manager", None)
TERRITORY_REPS = ("rep0", "rep1", "manager", "gone")


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` months earlier, or that month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 - months
    year, month = index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# -- the organisation ------------------------------------------------------------------------


@dataclass
class World:
    admin: object
    manager: object
    reps: list
    gone: object  # a rep who left: a territory's rep, no longer an active member
    ids: dict  # "admin" | "manager" | "rep0" | "rep1" | "gone" -> user id
    north: set  # user ids of the manager's team
    zone: object


@pytest.fixture
def world(org):
    """Acme (Europe/Sofia): an admin, a manager of North (the manager, rep 0 and rep 1),
    two reps, and a rep who will have left when the report is read."""
    admin = factories.member(org, "admin")
    manager = factories.member(org, "sales_manager")
    reps = [factories.member(org, "sales_rep") for _ in range(2)]
    gone = factories.member(org, "sales_rep")
    factories.team(admin, "North", manager=manager, members=[manager, *reps])
    ids = {"admin": admin.user.pk, "manager": manager.user.pk, "gone": gone.user.pk}
    ids |= {f"rep{n}": r.user.pk for n, r in enumerate(reps)}
    north = {ids["manager"], ids["rep0"], ids["rep1"]}
    return World(admin, manager, reps, gone, ids, north, periods.zone_of(org))


# -- random territories, accounts, deals and orders ---------------------------------------------

SIZES = st.sampled_from([None, 10, 100, 499, 500, 2000])


@st.composite
def territory_specs(draw):
    low = draw(st.sampled_from([None, None, 10, 100, 500]))
    high = draw(st.sampled_from([None, None, 100, 499, 2000]))
    if low is not None and high is not None and low > high:
        low, high = high, low
    return {
        "countries": draw(st.lists(st.sampled_from(["BG", "RO", "DE"]), max_size=2, unique=True)),
        "regions": draw(
            st.one_of(st.just([]), st.lists(st.sampled_from(["София", "Plovdiv"]), max_size=1))
        ),
        "industries": draw(
            st.one_of(st.just([]), st.lists(st.sampled_from(["Retail", "Energy"]), max_size=1))
        ),
        "min_employees": low,
        "max_employees": high,
        "position": draw(st.integers(min_value=0, max_value=3)),
        "is_active": draw(st.integers(min_value=0, max_value=4)) > 0,
        "deleted": draw(st.integers(min_value=0, max_value=6)) == 0,
        "reps": draw(st.lists(st.sampled_from(TERRITORY_REPS), max_size=3, unique=True)),
    }


@st.composite
def account_specs(draw):
    return {
        "country": draw(st.sampled_from(["BG", "BG", "RO", "DE", "", "bg"])),
        "region": draw(st.sampled_from(["", "София", "софия", "СОФИЯ", "Plovdiv", "plovdiv"])),
        "industry": draw(st.sampled_from(["", "Retail", "retail", "Energy"])),
        "employees": draw(SIZES),
        "owner": draw(st.sampled_from(OWNERS)),
        "deleted": draw(st.integers(min_value=0, max_value=7)) == 0,
    }


# A day relative to today ("ago": days before today), to the first day of the active
# window ("since"), to the revenue period's first day or the day after it ("from", "to"),
# or to the first of January; and hours after that day's midnight (organisation time).
@st.composite
def days(draw):
    kind = draw(st.sampled_from(["since", "since", "from", "from", "to", "to", "ago", "year"]))
    if kind == "ago":
        return kind, draw(st.one_of(st.sampled_from([0, 1]), st.integers(0, 900)))
    return kind, draw(st.sampled_from([0, 0, -1, 1]))


HOURS = st.sampled_from([-1, 0, 0, 1, 12, 23])


@st.composite
def deal_specs(draw):
    return {
        # An account of the list (modulo its length), or none for 8 and 9.
        "account": draw(st.integers(min_value=0, max_value=9)),
        "owner": draw(st.sampled_from(OWNERS)),
        "stage": draw(st.sampled_from([*STAGES, "Won", "Won"])),
        "day": draw(days()),
        "hour": draw(HOURS),
        "amount": draw(
            st.one_of(
                st.none(), st.integers(min_value=0, max_value=10**8).map(lambda c: Decimal(c) / 100)
            )
        ),
        "currency": draw(st.sampled_from(["EUR", "EUR", "USD"])),
        "deleted": draw(st.integers(min_value=0, max_value=7)) == 0,
    }


@st.composite
def order_specs(draw):
    return {
        "account": draw(st.integers(min_value=0, max_value=7)),
        # Orders may be dated ahead (negative days ago).
        "day": draw(st.one_of(days(), st.tuples(st.just("ago"), st.integers(-3, -1)))),
        "cancelled": draw(st.integers(min_value=0, max_value=4)) == 0,
        "deleted": draw(st.integers(min_value=0, max_value=6)) == 0,
    }


# The revenue period: (from, to) in days from today, None for "not given".
PERIODS = st.sampled_from([(None, None), (-400, None), (None, 0), (-200, -20), (-30, 5)])
ACTIVE_MONTHS = st.sampled_from([1, 2, 12, 12, 13, 120])


# -- the reference ----------------------------------------------------------------------------


@dataclass
class Territory:
    pk: int
    position: int
    countries: list
    regions: list
    industries: list
    low: int | None
    high: int | None
    live: bool  # active and not trashed
    reps: set  # user ids


@dataclass
class Account:
    pk: int
    country: str
    region: str
    industry: str
    employees: int | None
    owner: int | None
    deleted: bool


@dataclass
class Deal:
    pk: int
    account: int | None  # index into the accounts
    owner: int | None
    kind: str
    probability: int
    base: Decimal | None
    closed_at: datetime.datetime | None
    deleted: bool


@dataclass
class Order:
    account: int  # index into the accounts
    day: datetime.date
    cancelled: bool
    deleted: bool


def fits(territory: Territory, account: Account) -> bool:
    for wanted, value in (
        (territory.countries, account.country),
        (territory.regions, account.region),
        (territory.industries, account.industry),
    ):
        if wanted and value.casefold() not in {w.casefold() for w in wanted}:
            return False
    if territory.low is None and territory.high is None:
        return True
    if account.employees is None:
        return False
    return (territory.low is None or account.employees >= territory.low) and (
        territory.high is None or account.employees <= territory.high
    )


def reference(world, territories, accounts, deals, orders, *, reader, today, start, end, months):
    zone = world.zone
    if reader == "admin":
        sees = set(world.ids.values()) | {None}
    elif reader == "manager":
        sees = world.north | {None}
    else:
        sees = {world.ids["rep0"]}
    active_members = set(world.ids.values()) - {world.ids["gone"]}
    tried = sorted((t for t in territories if t.live), key=lambda t: (t.position, t.pk))

    def territory_of(account: Account):
        return next((t.pk for t in tried if fits(t, account)), None)

    since, until = months_before(today, months), today

    def active(index: int) -> bool:
        won = any(
            d.account == index
            and not d.deleted
            and d.kind == "won"
            and since <= d.closed_at.astimezone(zone).date() <= until
            for d in deals
        )
        ordered = any(
            o.account == index and not o.deleted and not o.cancelled and since <= o.day <= until
            for o in orders
        )
        return won or ordered

    rows = {
        key: {
            "reps": set(),
            "accounts": 0,
            "customers": 0,
            "prospects": 0,
            "open_deals": 0,
            "open_pipeline": ZERO,
            "weighted_pipeline": ZERO,
            "won_deals": 0,
            "revenue": ZERO,
        }
        for key in [*(t.pk for t in tried), None]
    }
    for territory in tried:
        rows[territory.pk]["reps"] = territory.reps & active_members
    for index, account in enumerate(accounts):
        if account.deleted or account.owner not in sees:
            continue
        row = rows[territory_of(account)]
        row["accounts"] += 1
        row["customers" if active(index) else "prospects"] += 1
    begin = datetime.datetime.combine(start, datetime.time(), tzinfo=zone)
    finish = datetime.datetime.combine(end, datetime.time(), tzinfo=zone)
    for deal in deals:
        if deal.deleted or deal.owner not in sees or deal.account is None:
            continue
        account = accounts[deal.account]
        if account.deleted:
            continue
        row = rows[territory_of(account)]
        if deal.kind == "open":
            row["open_deals"] += 1
            row["open_pipeline"] += deal.base or ZERO
            row["weighted_pipeline"] += (deal.base or ZERO) * deal.probability / 100
        elif deal.kind == "won" and begin <= deal.closed_at < finish:
            row["won_deals"] += 1
            row["revenue"] += deal.base or ZERO
    for row in rows.values():
        for name in ("open_pipeline", "weighted_pipeline", "revenue"):
            row[name] = money(row[name])
    total = {
        name: sum((row[name] for row in rows.values()), type(rows[None][name])())
        for name in rows[None]
        if name != "reps"
    }
    total["reps"] = set().union(*(row["reps"] for row in rows.values()))
    return {
        "order": [t.pk for t in tried] + [None],
        "rows": rows,
        "total": total,
        "since": since,
        "until": until,
    }


def revenue_period(today: datetime.date, given) -> tuple:
    """The period as given (days from today) and the one the definitions make of it."""
    start, end = (None if d is None else today + datetime.timedelta(days=d) for d in given)
    if start is None and end is None:
        return (None, None), (datetime.date(today.year, 1, 1), datetime.date(today.year + 1, 1, 1))
    if end is None:
        return (start, None), (start, years_later(start, 1))
    if start is None:
        return (None, end), (years_later(end, -1), end)
    return (start, end), (start, end)


# -- loading and comparing ---------------------------------------------------------------------


def day_of(spec, today: datetime.date, months: int, revenue: tuple) -> datetime.date:
    kind, days = spec
    start = {
        "ago": today,
        "since": months_before(today, months),
        "from": revenue[0],
        "to": revenue[1],
        "year": datetime.date(today.year, 1, 1),
    }[kind]
    return start + datetime.timedelta(days=-days if kind == "ago" else days)


def load(
    world, territory_list, account_list, deal_list, order_list, *, today, months, revenue, rate
):
    """Everything created through the services (the rep who left leaves last)."""
    admin, zone = world.admin, world.zone
    pipeline_services.exchange_rate_create(by=admin, currency="USD", rate=rate)
    pipeline = factories.pipeline(admin)
    stage_ids = {s.name: s.pk for s in pipeline.stages.all()}
    product = factories.product(admin)
    territories = []
    for n, spec in enumerate(territory_list):
        made = territory_services.territory_create(
            by=admin,
            name=f"Territory {n}",
            countries=spec["countries"],
            regions=spec["regions"],
            industries=spec["industries"],
            min_employees=spec["min_employees"],
            max_employees=spec["max_employees"],
            position=spec["position"],
            is_active=spec["is_active"],
            rep_ids=[world.ids[r] for r in spec["reps"]],
        )
        if spec["deleted"]:
            territory_services.territory_delete(by=admin, territory=made)
        territories.append(
            Territory(
                made.pk,
                spec["position"],
                spec["countries"],
                spec["regions"],
                spec["industries"],
                spec["min_employees"],
                spec["max_employees"],
                spec["is_active"] and not spec["deleted"],
                {world.ids[r] for r in spec["reps"]},
            )
        )
    accounts, made_accounts = [], []
    for n, spec in enumerate(account_list):
        owner = world.ids[spec["owner"]] if spec["owner"] else None
        made = factories.account(
            admin,
            name=f"Account {n}",
            country=spec["country"],
            region=spec["region"],
            industry=spec["industry"],
            employees=spec["employees"],
            owner_id=owner,
        )
        made_accounts.append(made)
        accounts.append(
            Account(
                made.pk,
                spec["country"].upper(),
                spec["region"],
                spec["industry"],
                spec["employees"],
                owner,
                spec["deleted"],
            )
        )
    now = timezone.now()
    deals = []
    for n, spec in enumerate(deal_list):
        kind, probability = STAGES[spec["stage"]]
        account = None if spec["account"] >= 8 else spec["account"] % len(accounts)
        midnight = datetime.datetime.combine(
            day_of(spec["day"], today, months, revenue), datetime.time(), tzinfo=zone
        )
        at = min(midnight + datetime.timedelta(hours=spec["hour"]), now)
        owner = world.ids[spec["owner"]] if spec["owner"] else None
        deal = opportunities.opportunity_create(
            by=admin,
            name=f"Deal {n}",
            pipeline_id=pipeline.pk,
            owner_id=owner,
            account_id=made_accounts[account].pk if account is not None else None,
            amount=spec["amount"],
            currency=spec["currency"],
            lost_reason="Price",
            stage_history=[{"stage": stage_ids[spec["stage"]], "at": at}],
        )
        if spec["deleted"]:
            opportunities.opportunity_delete(by=admin, opportunity=deal)
        base = None
        if spec["amount"] is not None:
            base = money(spec["amount"] * (rate if spec["currency"] == "USD" else 1))
        deals.append(
            Deal(
                deal.pk,
                account,
                owner,
                kind,
                probability,
                base,
                at if kind != "open" else None,
                spec["deleted"],
            )
        )
    orders = []
    for spec in order_list:
        account = spec["account"] % len(accounts)
        day = day_of(spec["day"], today, months, revenue)
        order = order_services.order_create(
            by=admin,
            account=made_accounts[account].pk,
            ordered_on=day,
            lines=[{"product": product.pk, "quantity": 1, "unit_price": "10.00"}],
        )
        if spec["cancelled"]:
            order = order_services.order_set_status(by=admin, order=order, status="cancelled")
        if spec["deleted"]:
            order_services.order_delete(by=admin, order=order)
        orders.append(Order(account, day, spec["cancelled"], spec["deleted"]))
    for made, account in zip(made_accounts, accounts, strict=True):
        if account.deleted:
            customer_services.account_delete(by=admin, account=made)
    Membership.objects.for_tenant(admin.tenant).filter(user_id=world.ids["gone"]).update(
        is_active=False
    )
    return territories, accounts, deals, orders


def check(got: dict, want: dict, where) -> None:
    assert [row["territory"] for row in got["territories"]] == want["order"], where
    rows = [(row, want["rows"][row["territory"]]) for row in got["territories"]]
    for row, wanted in [*rows, (got["total"], want["total"])]:
        assert row["reps"] == len(wanted["reps"]), (where, row, wanted)
        assert sorted(row["rep_ids"]) == sorted(wanted["reps"]), (where, row, wanted)
        for name in ("accounts", "customers", "prospects", "open_deals", "won_deals"):
            assert row[name] == wanted[name], (where, row["territory"], name, row, wanted)
        for name in ("open_pipeline", "weighted_pipeline", "revenue"):
            assert Decimal(row[name]) == wanted[name], (where, row["territory"], name, row, wanted)


def readers(world):
    return {"admin": world.admin, "manager": world.manager, "rep": world.reps[0]}


@given(
    territory_list=st.lists(territory_specs(), max_size=4),
    account_list=st.lists(account_specs(), min_size=1, max_size=8),
    deal_list=st.lists(deal_specs(), min_size=2, max_size=12),
    order_list=st.lists(order_specs(), min_size=1, max_size=5),
    period=PERIODS,
    months=ACTIVE_MONTHS,
    rate=st.sampled_from([Decimal("1.95583"), Decimal("0.5"), Decimal("1.08333333")]),
    reader=st.sampled_from(["admin", "admin", "manager", "rep"]),
)
@COVERAGE
def test_the_coverage_matches_the_reference(
    world, territory_list, account_list, deal_list, order_list, period, months, rate, reader
):
    today = periods.today(world.admin.tenant)
    (start, end), (begin, finish) = revenue_period(today, period)
    with transaction.atomic():
        data = load(
            world,
            territory_list,
            account_list,
            deal_list,
            order_list,
            today=today,
            months=months,
            revenue=(begin, finish),
            rate=rate,
        )
        got = coverage_report(
            actor=readers(world)[reader], start=start, end=end, active_months=months
        )
        want = reference(
            world, *data, reader=reader, today=today, start=begin, end=finish, months=months
        )
        assert (got["from"], got["to"]) == (begin, finish)
        assert (got["active_since"], got["active_until"]) == (want["since"], want["until"])
        check(got, want, (reader, period, months))
        transaction.set_rollback(True)


@given(
    territory_list=st.lists(territory_specs(), max_size=3),
    account_list=st.lists(account_specs(), min_size=1, max_size=6),
    deal_list=st.lists(deal_specs(), max_size=8),
    order_list=st.lists(order_specs(), max_size=4),
    period=PERIODS,
    months=ACTIVE_MONTHS,
)
@settings(parent=COVERAGE, max_examples=max(3, COVERAGE.max_examples // 5))
def test_the_coverage_api_gives_the_reference_numbers(
    world, api_as, territory_list, account_list, deal_list, order_list, period, months
):
    client = api_as(world.admin)
    today = periods.today(world.admin.tenant)
    (start, end), (begin, finish) = revenue_period(today, period)
    with transaction.atomic():
        data = load(
            world,
            territory_list,
            account_list,
            deal_list,
            order_list,
            today=today,
            months=months,
            revenue=(begin, finish),
            rate=Decimal("1.95583"),
        )
        query = {"active_months": months}
        if start is not None:
            query["from"] = start.isoformat()
        if end is not None:
            query["to"] = end.isoformat()
        response = client.call("get", "/reports/territories", query)
        assert response.status_code == 200, response.content
        got = response.json()
        want = reference(
            world, *data, reader="admin", today=today, start=begin, end=finish, months=months
        )
        assert (got["from"], got["to"]) == (begin.isoformat(), finish.isoformat())
        assert got["active_months"] == months
        assert got["active_since"] == want["since"].isoformat()
        assert got["active_until"] == want["until"].isoformat()
        check(got, want, ("api", period, months))
        transaction.set_rollback(True)
