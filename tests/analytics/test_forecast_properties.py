"""Every number of the sales forecast, checked on random deals (two pipelines, two
currencies, several reps and teams, unowned and trashed deals, reopened and closed deals,
close dates and wins on and around the months' bounds in the organisation's time zone,
quotas of months and quarters, managers' adjustments) against the simple reference below.

The reference reads the definitions of `funia.analytics.forecast.services` (docs/api.md,
"Sales forecast") literally, one deal and one owner at a time, in plain Python: the
categories commit / best case / pipeline per close month, overdue, no close date and
quarter, the weighted pipeline, the won fact, the roll-ups, the plan, plan vs fact, the
trend and the win rate, overall and per rep or team, for an administrator, a manager and a
rep, with the pipeline, owner and team filters."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from funia.analytics.forecast.adjustments import forecast_adjustment_create
from funia.analytics.forecast.schemas import ForecastParams
from funia.analytics.forecast.services import forecast_report
from funia.core import periods
from funia.sales import opportunities
from funia.sales import pipelines as pipeline_services
from funia.sales.quotas.services import quota_create
from tests import factories
from tests.report_properties import PIPELINES, World, add_months, money, profile, sales_world

ZERO = Decimal("0")
CENT = Decimal("0.01")
FORECAST = profile("forecast", "FORECAST_EXAMPLES")
CATEGORIES = ("commit", "best_case", "pipeline")
OWNERS = ("rep0", "rep1", "rep2", "manager", None)
QUOTA_SUBJECTS = ("rep0", "rep1", "rep2", "manager", "admin", "North", "South")
ADJUSTED_REPS = ("rep0", "rep1", "rep2", "manager")


def quarter_of(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def period_start(first: datetime.date, kind: str, offset: int) -> datetime.date:
    """The month `offset` months from `first`, or the quarter `offset` quarters from
    `first`'s."""
    if kind == "quarter":
        return add_months(quarter_of(first), 3 * offset)
    return add_months(first, offset)


# -- the organisation ------------------------------------------------------------------------


@dataclass
class ForecastWorld(World):
    first: datetime.date = None  # the report's first month


@pytest.fixture
def world(org):
    """The sales organisation of `sales_world`; the report starts six months ago, so that
    every win it looks at is in the past."""
    first = add_months(periods.today(org).replace(day=1), -6)
    return ForecastWorld(**vars(sales_world(org)), first=first)


# -- random deals, quotas and adjustments ------------------------------------------------------

# A moment: a month (offset from the report's first month) and hours after its local
# midnight; -1 is the last hour of the month before, in Sofia (not in UTC).
MOMENTS = st.tuples(
    st.integers(min_value=-5, max_value=5),
    st.one_of(
        st.sampled_from([-1, 0, 1, 21, 23]),
        st.integers(min_value=0, max_value=27 * 24),
    ),
)
# A close date: the first day of a month (offset from the report's first month), the last
# day of the month before, or a day in the middle.
CLOSES = st.one_of(
    st.none(),
    st.tuples(st.integers(min_value=-2, max_value=6), st.sampled_from([0, 0, -1, 14])),
)
AMOUNTS = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=10**8).map(lambda c: Decimal(c) / 100),
)


@st.composite
def deal_specs(draw):
    pipeline = draw(st.sampled_from(sorted(PIPELINES)))
    names = list(PIPELINES[pipeline])
    return {
        "pipeline": pipeline,
        "stage": draw(st.sampled_from(names)),
        # Stages before the last one (reopened wins and losses among them).
        "before": draw(st.lists(st.sampled_from(names), max_size=3)),
        "at": draw(MOMENTS),
        "owner": draw(st.sampled_from(OWNERS)),
        "amount": draw(AMOUNTS),
        "currency": draw(st.sampled_from(["EUR", "EUR", "USD"])),
        "category": draw(st.sampled_from(["commit", "best_case", "pipeline", "closed", "omitted"])),
        "close": draw(CLOSES),
        "deleted": draw(st.integers(min_value=0, max_value=7)) == 0,
    }


@st.composite
def quota_specs(draw):
    specs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(QUOTA_SUBJECTS),
                st.sampled_from(["month", "quarter"]),
                st.integers(min_value=-4, max_value=4),
                st.integers(min_value=0, max_value=10**7).map(lambda c: Decimal(c) / 100),
            ),
            max_size=8,
        )
    )
    unique = {}
    for subject, kind, offset, amount in specs:
        unique.setdefault((subject, kind, offset), amount)
    return unique


@st.composite
def adjustment_specs(draw):
    specs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ADJUSTED_REPS),
                st.sampled_from(["month", "month", "quarter"]),
                st.integers(min_value=0, max_value=3),
                st.sampled_from(CATEGORIES),
                st.integers(min_value=0, max_value=10**7).map(lambda c: Decimal(c) / 100),
            ),
            max_size=4,
        )
    )
    unique = {}
    for user, kind, offset, category, amount in specs:
        unique.setdefault((user, kind, offset, category), amount)
    return unique


@dataclass
class View:
    """Who reads the report, with which filters and grouping."""

    reader: str  # admin | manager | rep (rep 0)
    pipeline: str | None = None
    owner: str | None = None
    team: str | None = None
    group_by: str | None = None


VIEWS = st.builds(
    View,
    reader=st.sampled_from(["admin", "manager", "rep"]),
    pipeline=st.sampled_from([None, None, "B2B sales", "Renewals"]),
    owner=st.sampled_from([None, None, None, "rep0", "rep1", "rep2"]),
    team=st.sampled_from([None, None, None, "North", "South"]),
    group_by=st.sampled_from([None, "owner", "team"]),
)


# -- the reference ----------------------------------------------------------------------------


@dataclass
class Deal:
    pk: int
    owner: int | None
    pipeline: str
    kind: str  # of the current stage: open | won | lost
    probability: int
    base: Decimal | None  # the amount in the organisation's currency
    category: str  # as set on the deal
    close: datetime.date | None
    closed_at: datetime.datetime | None
    deleted: bool


def moment(world, at) -> datetime.datetime:
    month, hours = at
    start = datetime.datetime.combine(
        add_months(world.first, month), datetime.time(), tzinfo=world.zone
    )
    return (start + datetime.timedelta(hours=hours)).astimezone(datetime.UTC)


@dataclass
class Bucket:
    key: str
    kind: str  # overdue | month | quarter | none
    start: datetime.date | None = None
    end: datetime.date | None = None

    def holds_close(self, close: datetime.date | None, first: datetime.date) -> bool:
        if self.kind == "none":
            return close is None
        if close is None:
            return False
        if self.kind == "overdue":
            return close < first
        return self.start <= close < self.end

    def holds_win(self, closed_at, zone) -> bool:
        if self.kind not in ("month", "quarter"):
            return False
        return self.start <= closed_at.astimezone(zone).date() < self.end


def month_bucket(start: datetime.date) -> Bucket:
    return Bucket(f"{start:%Y-%m}", "month", start, add_months(start))


def quarter_bucket(start: datetime.date) -> Bucket:
    return Bucket(
        f"{start.year}-Q{(start.month - 1) // 3 + 1}", "quarter", start, add_months(start, 3)
    )


class Reference:
    """The forecast of `deals` as `view` sees it, from the definitions."""

    def __init__(self, world, deals, quotas, adjustments, view, *, months, back, trend):
        self.world, self.view = world, view
        ids = world.ids
        self.first = world.first
        self.end = add_months(self.first, months)
        self.months = [month_bucket(add_months(self.first, n)) for n in range(months)]
        self.columns = [
            Bucket("overdue", "overdue"),
            *self.months,
            Bucket("none", "none"),
        ]
        quarter, self.quarters = quarter_of(self.first), []
        while quarter < self.end:
            self.quarters.append(quarter_bucket(quarter))
            quarter = add_months(quarter, 3)
        self.past_plan = [month_bucket(add_months(self.first, -n)) for n in range(back, 0, -1)]
        self.past_trend = [month_bucket(add_months(self.first, -n)) for n in range(trend, 0, -1)]
        everyone = {ids[name] for name in ("admin", "manager", "rep0", "rep1", "rep2")}
        # Whose deals the reader sees, whose forecast (plans, adjustments) they read, which
        # teams' plans make the overall plan when no rep has one, and which teams' plans
        # they may see: an admin everything; the manager North's members, unowned deals
        # and North; a rep their own, and the plan of their team.
        if view.reader == "admin":
            sees = everyone | {None}
            reps, oversees, team_plans = everyone, {"North", "South"}, {"North", "South"}
        elif view.reader == "manager":
            sees = world.members["North"] | {None}
            reps, oversees, team_plans = set(world.members["North"]), {"North"}, {"North"}
        else:
            sees = {ids["rep0"]}
            reps, oversees, team_plans = {ids["rep0"]}, set(), {"North"}
        owner = ids[view.owner] if view.owner else None
        self.deals = [
            d
            for d in deals
            if not d.deleted
            and d.owner in sees
            and (view.pipeline is None or d.pipeline == view.pipeline)
            and (owner is None or d.owner == owner)
            and (view.team is None or d.owner in world.members[view.team])
        ]
        if owner is not None:
            reps &= {owner}
        if view.team is not None:
            reps &= world.members[view.team]
        self.reps, self.oversees, self.team_plans = reps, oversees, team_plans
        self.applied = view.pipeline is None
        self.quotas = {}
        for (subject, kind, offset), amount in quotas.items():
            start = period_start(self.first, kind, offset)
            who = ("team", subject) if subject in world.members else ("user", ids[subject])
            self.quotas.setdefault(who, {})[(kind, start)] = amount
        self.adjustments = {}
        for (user, kind, offset, category), amount in adjustments.items():
            start = period_start(self.first, kind, offset)
            self.adjustments[(ids[user], kind, start, category)] = amount
        self.owners = set(reps) | {d.owner for d in self.deals}

    # -- plans -------------------------------------------------------------------------------

    def rolled(self, who, bucket: Bucket) -> Decimal | None:
        """A quota of the period, else (a quarter) the sum of its months' quotas."""
        if bucket.kind not in ("month", "quarter"):
            return None
        quotas = self.quotas.get(who, {})
        own = quotas.get((bucket.kind, bucket.start))
        if own is not None or bucket.kind == "month":
            return own
        parts = [quotas.get(("month", add_months(bucket.start, n))) for n in range(3)]
        known = [p for p in parts if p is not None]
        return sum(known, ZERO) if known else None

    def user_plan(self, user, bucket):
        if user is None or user not in self.reps:
            return None
        return self.rolled(("user", user), bucket)

    def team_plan(self, team, bucket):
        if team is None or team not in self.team_plans:
            return None
        return self.rolled(("team", team), bucket)

    def total_plan(self, bucket):
        if bucket.kind not in ("month", "quarter"):
            return None
        if self.view.team is not None:
            own = self.team_plan(self.view.team, bucket)
            if own is not None:
                return own
        known = [p for p in (self.user_plan(u, bucket) for u in self.reps) if p is not None]
        if not known and self.view.owner is None and self.view.team is None:
            known = [p for p in (self.team_plan(t, bucket) for t in self.oversees) if p is not None]
        return sum(known, ZERO) if known else None

    # -- one row -----------------------------------------------------------------------------

    def row(self, bucket: Bucket, owners, plan, trend=None, rate=None) -> dict:
        categories = {c: {"count": 0, "computed": ZERO, "amount": ZERO, "n": 0} for c in CATEGORIES}
        weighted, won_count, won_amount = Fraction(0), 0, ZERO
        for owner in owners:
            mine = [d for d in self.deals if d.owner == owner]
            for category in CATEGORIES:
                here = [
                    d
                    for d in mine
                    if d.kind == "open"
                    and ("commit" if d.category == "closed" else d.category) == category
                    and bucket.holds_close(d.close, self.first)
                ]
                computed = sum((d.base or ZERO for d in here), ZERO)
                weighted += sum(Fraction(d.base or 0) * d.probability / 100 for d in here)
                cell = categories[category]
                cell["count"] += len(here)
                cell["computed"] += computed
                adjusted = None
                if bucket.kind in ("month", "quarter") and owner in self.reps:
                    adjusted = self.adjustments.get((owner, bucket.kind, bucket.start, category))
                if adjusted is not None:
                    cell["n"] += 1
                cell["amount"] += adjusted if adjusted is not None and self.applied else computed
            won = [
                d
                for d in mine
                if d.kind == "won" and bucket.holds_win(d.closed_at, self.world.zone)
            ]
            won_count += len(won)
            won_amount += sum((d.base or ZERO for d in won), ZERO)
        computed_open = sum((c["computed"] for c in categories.values()), ZERO)
        cells = {
            c: {
                "count": v["count"],
                "amount": money(v["amount"]),
                "computed": money(v["computed"]),
                "adjusted": bool(v["n"]) and self.applied,
                "adjustments": v["n"],
            }
            for c, v in categories.items()
        }
        commit = money(won_amount) + cells["commit"]["amount"]
        by_rate = None
        if rate is not None and bucket.kind in ("month", "quarter"):
            by_rate = money(won_amount + computed_open * Decimal(str(rate)))
        return {
            "key": bucket.key,
            "categories": cells,
            "open_count": sum(c["count"] for c in cells.values()),
            "weighted": money(weighted.numerator / Decimal(weighted.denominator)),
            "won": {"count": won_count, "amount": money(won_amount)},
            "commit_forecast": commit,
            "best_case_forecast": commit + cells["best_case"]["amount"],
            "plan": plan,
            "trend": trend,
            "win_rate_forecast": by_rate,
        }

    @staticmethod
    def total(rows) -> dict:
        def known(name):
            values = [r[name] for r in rows if r[name] is not None]
            return sum(values, ZERO) if values else None

        cells = {
            c: {
                "count": sum(r["categories"][c]["count"] for r in rows),
                "amount": sum((r["categories"][c]["amount"] for r in rows), ZERO),
                "computed": sum((r["categories"][c]["computed"] for r in rows), ZERO),
                "adjusted": any(r["categories"][c]["adjusted"] for r in rows),
                "adjustments": sum(r["categories"][c]["adjustments"] for r in rows),
            }
            for c in CATEGORIES
        }
        won = sum((r["won"]["amount"] for r in rows), ZERO)
        commit = won + cells["commit"]["amount"]
        return {
            "key": "total",
            "categories": cells,
            "open_count": sum(r["open_count"] for r in rows),
            "weighted": sum((r["weighted"] for r in rows), ZERO),
            "won": {"count": sum(r["won"]["count"] for r in rows), "amount": won},
            "commit_forecast": commit,
            "best_case_forecast": commit + cells["best_case"]["amount"],
            "plan": known("plan"),
            "trend": known("trend"),
            "win_rate_forecast": known("win_rate_forecast"),
        }

    # -- the trend and the win rate -------------------------------------------------------------

    def history(self, owners) -> tuple[list[Decimal], float | None]:
        zone = self.world.zone
        series = []
        for bucket in self.past_trend:
            won = [
                d
                for d in self.deals
                if d.owner in owners and d.kind == "won" and bucket.holds_win(d.closed_at, zone)
            ]
            series.append(money(sum((d.base or ZERO for d in won), ZERO)))
        since, until = self.past_trend[0].start, self.first
        lost = sum(
            (
                d.base or ZERO
                for d in self.deals
                if d.owner in owners
                and d.kind == "lost"
                and since <= d.closed_at.astimezone(zone).date() < until
            ),
            ZERO,
        )
        won = sum(series, ZERO)
        rate = round(float(Fraction(won) / Fraction(won + lost)), 4) if won + lost else None
        return series, rate

    @staticmethod
    def fit(series: list[Decimal], ahead: int) -> tuple[Fraction, Fraction, list[Decimal]]:
        """The least-squares line through (0, v0), (1, v1), …, and its next values."""
        n = len(series)
        values = [Fraction(v) for v in series]
        mean_x, mean_y = Fraction(n - 1, 2), sum(values, Fraction(0)) / n
        sxx = sum((x - mean_x) ** 2 for x in range(n))
        sxy = sum((x - mean_x) * (v - mean_y) for x, v in enumerate(values))
        slope = sxy / sxx if sxx else Fraction(0)
        intercept = mean_y - slope * mean_x
        following = [max(Fraction(0), intercept + slope * (n + k)) for k in range(ahead)]
        return slope, intercept, [money(v.numerator / Decimal(v.denominator)) for v in following]

    # -- one table -------------------------------------------------------------------------------

    def table(self, owners, plan_of) -> dict:
        series, rate = self.history(owners)
        _slope, _intercept, ahead = self.fit(series, len(self.months))
        trend_of = {b.key: ahead[i] for i, b in enumerate(self.months)}
        rows = [self.row(b, owners, plan_of(b), trend_of.get(b.key), rate) for b in self.columns]
        quarters = [self.row(q, owners, plan_of(q), None, rate) for q in self.quarters]
        return {"rows": rows, "total": self.total(rows), "quarters": quarters}

    def plan_fact(self, owners, plan_of) -> dict:
        rows = []
        for bucket in self.past_plan:
            row = self.row(bucket, owners, plan_of(bucket))
            rows.append(fact_row(bucket.key, plan_of(bucket), row["won"]))
        plans = [r["plan"] for r in rows if r["plan"] is not None]
        won = {
            "count": sum(r["won"]["count"] for r in rows),
            "amount": sum((r["won"]["amount"] for r in rows), ZERO),
        }
        return {"rows": rows, "total": fact_row("total", sum(plans, ZERO) if plans else None, won)}

    def groups(self) -> dict:
        """{key: (owners, plan_of)} of every group of group_by."""
        if self.view.group_by == "owner":
            return {o: ([o], lambda b, o=o: self.user_plan(o, b)) for o in self.owners}
        members: dict = {}
        for owner in self.owners:
            teams = [t for t, ids in self.world.members.items() if owner in ids]
            for team in teams or [None]:
                members.setdefault(team, []).append(owner)
        return {
            (self.world.teams[t].pk if t else None): (
                owners,
                lambda b, t=t: self.team_plan(t, b),
            )
            for t, owners in members.items()
        }

    def report(self) -> dict:
        owners = sorted(self.owners, key=lambda o: (o is None, o or 0))
        table = self.table(owners, self.total_plan)
        series, rate = self.history(owners)
        slope, intercept, _ahead = self.fit(series, 0)
        result = {
            "forecast": table,
            "plan_vs_fact": self.plan_fact(owners, self.total_plan),
            "trend": {
                "history": series,
                "slope": money(slope.numerator / Decimal(slope.denominator)),
                "intercept": money(intercept.numerator / Decimal(intercept.denominator)),
                "win_rate": rate,
            },
            "groups": None,
        }
        if self.view.group_by:
            result["groups"] = {}
            for key, (members, plan_of) in self.groups().items():
                group = self.table(members, plan_of)
                facts = self.plan_fact(members, plan_of)
                if has_figures(group) or any(
                    r["plan"] is not None or r["won"]["count"] for r in facts["rows"]
                ):
                    result["groups"][key] = {**group, "plan_vs_fact": facts}
        return result


def fact_row(key, plan, won) -> dict:
    attainment = None
    if plan:
        attainment = float((won["amount"] * 100 / plan).quantize(Decimal("0.1"), ROUND_HALF_UP))
    return {"key": key, "plan": plan, "won": won, "attainment": attainment}


def has_figures(table) -> bool:
    """A group shows when it has an open deal, a win, a plan or an adjustment."""
    for row in [*table["rows"], *table["quarters"]]:
        if row["open_count"] or row["won"]["count"] or row["plan"] is not None:
            return True
        if any(c["adjustments"] for c in row["categories"].values()):
            return True
    return False


# -- loading and comparing ---------------------------------------------------------------------


def load(world, deal_list, quotas, adjustments, rate) -> tuple[list[Deal], dict]:
    """The deals, quotas and adjustments, created through the services; and the pipelines'
    ids by name."""
    admin = world.admin
    pipeline_services.exchange_rate_create(by=admin, currency="USD", rate=rate)
    made = {
        name: factories.pipeline(
            admin,
            name=name,
            stages=[
                {"name": stage, "kind": kind, "probability": probability}
                for stage, (kind, probability) in stages.items()
            ],
        )
        for name, stages in PIPELINES.items()
    }
    deals = []
    for n, spec in enumerate(deal_list):
        at = moment(world, spec["at"])
        history = [
            (name, at - datetime.timedelta(days=3 * (len(spec["before"]) - i)))
            for i, name in enumerate(spec["before"])
        ] + [(spec["stage"], at)]
        kind, probability = PIPELINES[spec["pipeline"]][spec["stage"]]
        owner = world.ids[spec["owner"]] if spec["owner"] else None
        close = None
        if spec["close"] is not None:
            months, days = spec["close"]
            close = add_months(world.first, months) + datetime.timedelta(days=days)
        given_category = spec["category"] if spec["category"] in CATEGORIES else "pipeline"
        deal = opportunities.opportunity_create(
            by=admin,
            name=f"Deal {n}",
            pipeline_id=made[spec["pipeline"]].pk,
            owner_id=owner,
            amount=spec["amount"],
            currency=spec["currency"],
            expected_close_date=close,
            forecast_category=given_category,
            lost_reason="Price",
            stage_history=[{"stage": name, "at": moment_} for name, moment_ in history],
        )
        category = given_category
        if kind == "open" and spec["category"] not in CATEGORIES:
            deal = opportunities.opportunity_update(
                by=admin, opportunity=deal, fields={"forecast_category": spec["category"]}
            )
            category = spec["category"]
        if spec["deleted"]:
            opportunities.opportunity_delete(by=admin, opportunity=deal)
        base = None
        if spec["amount"] is not None:
            base = money(spec["amount"] * (rate if spec["currency"] == "USD" else 1))
        deals.append(
            Deal(
                deal.pk,
                owner,
                spec["pipeline"],
                kind,
                probability,
                base,
                category,
                close,
                at if kind != "open" else None,
                spec["deleted"],
            )
        )
    for (subject, kind, offset), amount in quotas.items():
        start = period_start(world.first, kind, offset)
        who = (
            {"team_id": world.teams[subject].pk}
            if subject in world.teams
            else {"user_id": world.ids[subject]}
        )
        quota_create(by=admin, period=kind, start=start, amount=amount, **who)
    for (user, kind, offset, category), amount in adjustments.items():
        start = period_start(world.first, kind, offset)
        forecast_adjustment_create(
            by=admin,
            user_id=world.ids[user],
            period=kind,
            start=start,
            category=category,
            amount=amount,
        )
    return deals, {name: pipeline.pk for name, pipeline in made.items()}


def actor_of(world, reader):
    return {"admin": world.admin, "manager": world.manager, "rep": world.reps[0]}[reader]


def params_of(world, view, months, back, trend) -> ForecastParams:
    return ForecastParams(
        **{"from": f"{world.first:%Y-%m}"},
        months=months,
        months_back=back,
        trend_months=trend,
        group_by=view.group_by,
        pipeline=None,  # set by the caller: the pipelines are made per example
        owner=world.ids[view.owner] if view.owner else None,
        team=world.teams[view.team].pk if view.team else None,
    )


def number(value):
    """An amount of the service (Decimal) or of the API (string) as a Decimal."""
    return None if value is None else Decimal(value)


def near(got, want, tolerance=CENT) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return abs(Decimal(got) - Decimal(want)) <= tolerance


def check_row(got: dict, want: dict, where) -> None:
    assert got["key"] == want["key"], where
    for category in CATEGORIES:
        cell, wanted = got["categories"][category], want["categories"][category]
        for name in ("amount", "computed"):
            assert number(cell[name]) == wanted[name], (where, category, name, cell, wanted)
        assert cell["count"] == wanted["count"], (where, category, cell, wanted)
        assert cell["adjusted"] == wanted["adjusted"], (where, category, cell, wanted)
        assert len(cell["adjustments"]) == wanted["adjustments"], (where, category)
    assert got["open_count"] == want["open_count"], (where, got, want)
    for name in ("weighted", "commit_forecast", "best_case_forecast", "plan"):
        assert number(got[name]) == want[name], (where, name, got[name], want[name])
    assert got["won"]["count"] == want["won"]["count"], (where, got["won"], want["won"])
    assert number(got["won"]["amount"]) == want["won"]["amount"], (where, got["won"], want)
    assert near(got["trend"], want["trend"]), (where, "trend", got["trend"], want["trend"])
    assert near(got["win_rate_forecast"], want["win_rate_forecast"]), (
        where,
        "win_rate_forecast",
        got["win_rate_forecast"],
        want["win_rate_forecast"],
    )


def check_table(got: dict, want: dict, where) -> None:
    assert [r["key"] for r in got["rows"]] == [r["key"] for r in want["rows"]], where
    for row, wanted in zip(got["rows"], want["rows"], strict=True):
        check_row(row, wanted, (where, row["key"]))
    check_row(got["total"], want["total"], (where, "total"))
    assert [q["key"] for q in got["quarters"]] == [q["key"] for q in want["quarters"]], where
    for row, wanted in zip(got["quarters"], want["quarters"], strict=True):
        check_row(row, wanted, (where, row["key"]))


def check_plan_fact(got: dict, want: dict, where) -> None:
    assert [r["key"] for r in got["rows"]] == [r["key"] for r in want["rows"]], where
    for row, wanted in [
        *zip(got["rows"], want["rows"], strict=True),
        (got["total"], want["total"]),
    ]:
        assert number(row["plan"]) == wanted["plan"], (where, row, wanted)
        assert row["won"]["count"] == wanted["won"]["count"], (where, row, wanted)
        assert number(row["won"]["amount"]) == wanted["won"]["amount"], (where, row, wanted)
        assert row["attainment"] == wanted["attainment"], (where, row, wanted)


def check_report(got: dict, want: dict, view) -> None:
    check_table(
        {**got["forecast"], "quarters": got["quarters"]}, want["forecast"], (view, "overall")
    )
    check_plan_fact(got["plan_vs_fact"], want["plan_vs_fact"], (view, "plan vs fact"))
    trend = got["trend"]
    assert [number(p["won"]) for p in trend["history"]] == want["trend"]["history"], view
    assert near(trend["slope"], want["trend"]["slope"]), (view, trend, want["trend"])
    assert near(trend["intercept"], want["trend"]["intercept"]), (view, trend, want["trend"])
    assert trend["win_rate"] == want["trend"]["win_rate"], (view, trend, want["trend"])
    if view.group_by is None:
        assert got["groups"] is None
        return
    groups = {g["key"]: g for g in got["groups"]}
    assert set(groups) == set(want["groups"]), (view, set(groups), set(want["groups"]))
    plan_groups = {g["key"]: g for g in got["plan_vs_fact"]["groups"]}
    for key, wanted in want["groups"].items():
        check_table(groups[key], wanted, (view, "group", key))
        check_plan_fact(plan_groups[key], wanted["plan_vs_fact"], (view, "plan group", key))


def reference(world, deals, quotas, adjustments, view, months, back, trend) -> dict:
    return Reference(
        world, deals, quotas, adjustments, view, months=months, back=back, trend=trend
    ).report()


@given(
    deal_list=st.lists(deal_specs(), min_size=3, max_size=12),
    quotas=quota_specs(),
    adjustments=adjustment_specs(),
    rate=st.sampled_from([Decimal("1.95583"), Decimal("0.5"), Decimal("1.08333333")]),
    months=st.integers(min_value=1, max_value=4),
    back=st.integers(min_value=0, max_value=3),
    trend=st.integers(min_value=2, max_value=4),
    views=st.lists(VIEWS, min_size=1, max_size=2),
)
@FORECAST
def test_the_forecast_matches_the_reference(
    world, deal_list, quotas, adjustments, rate, months, back, trend, views
):
    with transaction.atomic():
        deals, pipeline_ids = load(world, deal_list, quotas, adjustments, rate)
        # Always the whole organisation by owner, then the random views.
        for view in [View("admin", group_by="owner"), *views]:
            params = params_of(world, view, months, back, trend)
            if view.pipeline:
                params = params.model_copy(update={"pipeline": pipeline_ids[view.pipeline]})
            got = forecast_report(actor=actor_of(world, view.reader), params=params)
            want = reference(world, deals, quotas, adjustments, view, months, back, trend)
            check_report(got, want, view)
        transaction.set_rollback(True)


@given(
    deal_list=st.lists(deal_specs(), min_size=1, max_size=8),
    quotas=quota_specs(),
    adjustments=adjustment_specs(),
    group_by=st.sampled_from([None, "team"]),
)
@settings(parent=FORECAST, max_examples=max(3, FORECAST.max_examples // 5))
def test_the_forecast_api_gives_the_reference_numbers(
    world, api_as, deal_list, quotas, adjustments, group_by
):
    client = api_as(world.admin)
    with transaction.atomic():
        deals, _pipelines = load(world, deal_list, quotas, adjustments, Decimal("1.95583"))
        view = View("admin", group_by=group_by)
        response = client.call(
            "get",
            "/reports/forecast",
            {
                "from": f"{world.first:%Y-%m}",
                "months": 3,
                "months_back": 2,
                "trend_months": 3,
                **({"group_by": group_by} if group_by else {}),
            },
        )
        assert response.status_code == 200, response.content
        want = reference(world, deals, quotas, adjustments, view, 3, 2, 3)
        check_report(response.json(), want, view)
        transaction.set_rollback(True)


def spec(stage, owner, amount, at, **fields) -> dict:
    """One deal of the B2B pipeline, in EUR, for a hand-made case."""
    return {
        "pipeline": "B2B sales",
        "stage": stage,
        "before": ["Qualification"],
        "at": at,
        "owner": owner,
        "amount": Decimal(amount),
        "currency": "EUR",
        "category": "pipeline",
        "close": None,
        "deleted": False,
        **fields,
    }


def test_a_lost_deal_without_an_owner_counts_in_the_win_rate_like_any_other(world):
    """A month before the report, rep 0 won 100 and a deal without an owner was lost at
    900: the win rate of those months is 100 / 1000, whether or not deals without an
    owner also have something in the report's columns."""
    deals, _pipelines = load(
        world,
        [spec("Won", "rep0", "100", (-1, 240)), spec("Lost", None, "900", (-1, 240))],
        {},
        {},
        Decimal("0.5"),
    )
    view = View("admin")
    params = params_of(world, view, 1, 0, 2)
    want = reference(world, deals, {}, {}, view, 1, 0, 2)
    assert want["trend"]["win_rate"] == 0.1
    check_report(forecast_report(actor=world.admin, params=params), want, view)
