"""Every number of the plan risk, checked on random stage histories (two pipelines, two
currencies, several reps and teams, won, lost, reopened and trashed deals, entries on and
around the 365-day look-back, expected close dates on and around the period's end, quotas
of months, quarters and years) against the simple reference below.

The reference reads the definitions of `funia.analytics.plan_risk.services` (docs/api.md,
"Plan risk") literally, one deal at a time, in plain Python: the quota, the won fact (of the
chosen pipeline when there is one, the quota staying whole), each open stage's win rate
and median time to win from the history, each open deal's expected close, the deals that
count, expected, forecast, gap, at_risk, remaining and coverage."""

import datetime
import statistics
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from funia.analytics.plan_risk.services import SubjectNotFound, plan_risk, plan_risk_deals
from funia.core import periods
from funia.sales import opportunities
from funia.sales import pipelines as pipeline_services
from funia.sales.quotas.services import quota_create
from tests import factories
from tests.report_properties import PIPELINES, add_months, money, profile, sales_world

ZERO = Decimal("0")
CENT = Decimal("0.01")
PLAN_RISK = profile("plan_risk", "PLAN_RISK_EXAMPLES")
LOOKBACK = datetime.timedelta(days=365)
MIN_HISTORY = 10
OWNERS = ("rep0", "rep0", "rep1", "rep1", "rep2", "manager", None)


# -- the organisation ------------------------------------------------------------------------


@pytest.fixture
def world(org):
    return sales_world(org)


# -- random histories, quotas and questions ----------------------------------------------------

# Hours before the anchor (the last full hour an hour before now): recent, around the
# 365-day look-back (8760 hours), and older.
HOURS = st.one_of(
    st.integers(min_value=0, max_value=2400),
    st.sampled_from([8756, 8757, 8758, 8759, 8760, 8761]),
    st.integers(min_value=2400, max_value=9500),
)
# An expected close date: a month from the current one and its first, middle or last day.
CLOSE = st.one_of(
    st.none(),
    st.tuples(
        st.integers(min_value=-1, max_value=3), st.sampled_from(["first", "first", "mid", "last"])
    ),
)
AMOUNTS = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=10**8).map(lambda c: Decimal(c) / 100),
)


@st.composite
def deal_specs(draw):
    pipeline = draw(st.sampled_from(sorted(PIPELINES)))
    names = list(PIPELINES[pipeline])
    opened = [name for name in names if PIPELINES[pipeline][name][0] == "open"]
    # Earlier stages (skips, backward moves, wins and losses reopened), then the current one:
    # more often open, as the report is about open deals.
    before = draw(st.lists(st.sampled_from(names), max_size=4))
    names = [*before, draw(st.one_of(st.sampled_from(opened), st.sampled_from(names)))]
    return {
        "pipeline": pipeline,
        "names": names,
        "hours": sorted(
            draw(st.lists(HOURS, min_size=len(names), max_size=len(names))), reverse=True
        ),  # oldest first
        "owner": draw(st.sampled_from(OWNERS)),
        "amount": draw(AMOUNTS),
        "currency": draw(st.sampled_from(["EUR", "EUR", "USD"])),
        "close": draw(CLOSE),
        "deleted": draw(st.integers(min_value=0, max_value=7)) == 0,
    }


@st.composite
def closed_batches(draw):
    """Deals of rep 2 that went through Proposal (or Open) and were closed: enough of them,
    often, for a stage's win rate to come from history (10 or more)."""
    size = draw(st.sampled_from([0, 0, 9, 10, 12]))
    pipeline = draw(st.sampled_from(sorted(PIPELINES)))
    stage, won, lost = (
        ("Proposal", "Won", "Lost") if pipeline == "B2B sales" else ("Open", "Renewed", "Churned")
    )
    batch = []
    for _n in range(size):
        entered = draw(st.integers(min_value=48, max_value=9000))
        closed = draw(st.integers(min_value=0, max_value=entered))
        outcome = won if draw(st.booleans()) else lost
        batch.append(
            {
                "pipeline": pipeline,
                "names": [stage, outcome],
                "hours": [entered, closed],
                "owner": "rep2",
                "amount": Decimal(draw(st.integers(min_value=1, max_value=10**6))) / 100,
                "currency": "EUR",
                "close": None,
                "deleted": False,
            }
        )
    return batch


QUOTA_SUBJECTS = ("rep0", "rep1", "rep2", "manager", "North", "South")


@st.composite
def quota_specs(draw):
    """{(subject, kind, offset): amount}: months and quarters from the current one, the
    current and the last year."""
    specs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(QUOTA_SUBJECTS),
                st.sampled_from(["month", "month", "quarter", "year"]),
                st.sampled_from([0, 0, 0, 1, -1, 2]),
                st.integers(min_value=0, max_value=10**8).map(lambda c: Decimal(c) / 100),
            ),
            min_size=1,
            max_size=10,
        )
    )
    unique = {}
    for subject, kind, offset, amount in specs:
        offset = max(-1, min(offset, 0)) if kind == "year" else offset
        unique.setdefault((subject, kind, offset), amount)
    return unique


@dataclass(frozen=True)
class Ask:
    reader: str  # admin | manager
    subject: str | None  # rep0 .. manager, North, South; None: the reader
    period: tuple  # (kind, offset from the current one)


ASKS = st.builds(
    Ask,
    reader=st.sampled_from(["admin", "admin", "manager"]),
    subject=st.sampled_from([None, "rep0", "rep1", "rep2", "manager", "North", "North", "South"]),
    period=st.sampled_from(
        [
            ("month", 0),
            ("month", 0),
            ("quarter", 0),
            ("month", 1),
            ("month", -1),
            ("quarter", 0),
            ("quarter", 1),
            ("year", 0),
        ]
    ),
)


# -- the reference ----------------------------------------------------------------------------


@dataclass
class Deal:
    pk: int
    owner: int | None
    pipeline: str
    history: list  # [(stage name, aware datetime)], oldest first
    base: Decimal | None
    close: datetime.date | None
    deleted: bool

    @property
    def stage(self) -> str:
        return self.history[-1][0]

    @property
    def kind(self) -> str:
        return PIPELINES[self.pipeline][self.stage][0]

    @property
    def entered(self) -> datetime.datetime:
        return self.history[-1][1]


def period_bounds(kind: str, offset: int, today: datetime.date):
    """(start, end) dates of the current month, quarter or year shifted by `offset`."""
    if kind == "month":
        start = add_months(today.replace(day=1), offset)
        return start, add_months(start, 1)
    if kind == "quarter":
        start = add_months(datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1), 3 * offset)
        return start, add_months(start, 3)
    start = datetime.date(today.year + offset, 1, 1)
    return start, datetime.date(start.year + 1, 1, 1)


class Reference:
    def __init__(self, world, deals, quotas, *, now, pipeline=None):
        self.world, self.now, self.pipeline = world, now, pipeline
        self.today = now.astimezone(world.zone).date()
        self.live = [d for d in deals if not d.deleted]
        self.quotas = {}
        for (subject, kind, offset), amount in quotas.items():
            start, _end = period_bounds(kind, offset, self.today)
            who = ("team", subject) if subject in world.members else ("user", subject)
            self.quotas.setdefault(who, {})[(kind, start)] = amount
        self.stages = [
            (pipeline_name, name, probability)
            for pipeline_name, stages in PIPELINES.items()
            if pipeline is None or pipeline_name == pipeline
            for name, (kind, probability) in stages.items()
            if kind == "open"
        ]
        self.stats = {(p, s): self.stage_statistics(p, s, prob) for p, s, prob in self.stages}

    def midnight(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(), tzinfo=self.world.zone)

    # -- the stages ------------------------------------------------------------------------

    def stage_statistics(self, pipeline: str, stage: str, probability: int) -> dict:
        since = self.now - LOOKBACK
        ours = [d for d in self.live if d.pipeline == pipeline]
        closed = [
            d
            for d in ours
            if d.kind in ("won", "lost")
            and any(name == stage and since <= at <= self.now for name, at in d.history)
        ]
        won = [d for d in closed if d.kind == "won"]
        if len(closed) >= MIN_HISTORY:
            rate, source = Fraction(len(won), len(closed)), "history"
        else:
            rate, source = Fraction(probability, 100), "probability"
        days = []
        for deal in ours:
            closed_at = deal.entered
            if deal.kind != "won" or not since <= closed_at <= self.now:
                continue
            entries = [at for name, at in deal.history if name == stage and at <= closed_at]
            if entries:
                days.append((closed_at - max(entries)).total_seconds() / 86400)
        median = round(statistics.median(days), 4) if days else None
        return {
            "rate": rate,
            "source": source,
            "history_deals": len(closed),
            "median": median,
        }

    # -- plans -----------------------------------------------------------------------------

    def rolled(self, who, kind: str, start: datetime.date) -> Decimal | None:
        quotas = self.quotas.get(who, {})
        own = quotas.get((kind, start))
        if own is not None or kind == "month":
            return own
        finer, step, count = ("quarter", 3, 4) if kind == "year" else ("month", 1, 3)
        parts = [self.rolled(who, finer, add_months(start, step * n)) for n in range(count)]
        known = [p for p in parts if p is not None]
        return sum(known, ZERO) if known else None

    def quota(self, subject: str, kind: str, start) -> Decimal | None:
        if subject not in self.world.members:
            return self.rolled(("user", subject), kind, start)
        own = self.rolled(("team", subject), kind, start)
        if own is not None:
            return own
        names = [n for n, pk in self.world.ids.items() if pk in self.world.members[subject]]
        parts = [self.rolled(("user", n), kind, start) for n in names]
        known = [p for p in parts if p is not None]
        return sum(known, ZERO) if known else None

    # -- one report --------------------------------------------------------------------------

    def expected_close(self, deal: Deal):
        median = self.stats[(deal.pipeline, deal.stage)]["median"]
        if median is not None:
            return max(self.now, deal.entered + datetime.timedelta(days=median))
        if deal.close is not None:
            return max(self.now, self.midnight(deal.close))
        return None

    def report(self, subject: str, owner_ids: set, sees, kind: str, offset: int) -> dict:
        start, end = period_bounds(kind, offset, self.today)
        begin, finish = self.midnight(start), self.midnight(end)
        won = sum(
            (
                d.base or ZERO
                for d in self.live
                if d.owner in owner_ids
                and d.kind == "won"
                and begin <= d.entered < finish
                and (self.pipeline is None or d.pipeline == self.pipeline)
            ),
            ZERO,
        )
        rows = {
            key: {
                "open_count": 0,
                "open_amount": ZERO,
                "counted_count": 0,
                "counted_amount": ZERO,
                "expected": ZERO,
                "deals": {},
            }
            for key in self.stats
        }
        for deal in self.live:
            key = (deal.pipeline, deal.stage)
            if deal.owner not in owner_ids or deal.owner not in sees or key not in rows:
                continue
            row = rows[key]
            row["open_count"] += 1
            row["open_amount"] += deal.base or ZERO
            moment = self.expected_close(deal)
            counts = (
                moment is not None
                and begin <= moment < finish
                and not (deal.close is not None and deal.close >= end)
            )
            if counts:
                contribution = money(Fraction(deal.base or 0) * self.stats[key]["rate"])
                row["counted_count"] += 1
                row["counted_amount"] += deal.base or ZERO
                row["expected"] += contribution
                row["deals"][deal.pk] = contribution
        quota = self.quota(subject, kind, start)
        expected = sum((r["expected"] for r in rows.values()), ZERO)
        open_amount = sum((r["open_amount"] for r in rows.values()), ZERO)
        forecast = won + expected
        gap = None if quota is None else money(quota - forecast)
        remaining = None if quota is None else money(max(quota - won, ZERO))
        return {
            "quota": None if quota is None else money(quota),
            "won": money(won),
            "expected": money(expected),
            "forecast": money(forecast),
            "gap": gap,
            "at_risk": gap is not None and gap > 0,
            "remaining": remaining,
            "coverage": round(float(open_amount / remaining), 4) if remaining else None,
            "open_count": sum(r["open_count"] for r in rows.values()),
            "open_amount": money(open_amount),
            "counted_count": sum(r["counted_count"] for r in rows.values()),
            "counted_amount": money(sum((r["counted_amount"] for r in rows.values()), ZERO)),
            "stages": rows,
        }


# -- loading and comparing ---------------------------------------------------------------------


def load(world, specs, quotas, rate, anchor) -> tuple[list[Deal], dict]:
    """The deals and quotas, created through the services; and the pipelines by name."""
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
    today = timezone.now().astimezone(world.zone).date()
    deals = []
    for n, spec in enumerate(specs):
        history = [
            (name, anchor - datetime.timedelta(hours=hours))
            for name, hours in zip(spec["names"], spec["hours"], strict=True)
        ]
        close = None
        if spec["close"] is not None:
            months, day = spec["close"]
            first = add_months(today.replace(day=1), months)
            close = {
                "first": first,
                "mid": first.replace(day=15),
                "last": add_months(first, 1) - datetime.timedelta(days=1),
            }[day]
        owner = world.ids[spec["owner"]] if spec["owner"] else None
        deal = opportunities.opportunity_create(
            by=admin,
            name=f"Deal {n}",
            pipeline_id=made[spec["pipeline"]].pk,
            owner_id=owner,
            amount=spec["amount"],
            currency=spec["currency"],
            expected_close_date=close,
            lost_reason="Price",
            stage_history=[{"stage": name, "at": at} for name, at in history],
        )
        if spec["deleted"]:
            opportunities.opportunity_delete(by=admin, opportunity=deal)
        base = None
        if spec["amount"] is not None:
            base = money(spec["amount"] * (rate if spec["currency"] == "USD" else 1))
        deals.append(Deal(deal.pk, owner, spec["pipeline"], history, base, close, spec["deleted"]))
    for (subject, kind, offset), amount in quotas.items():
        start, _end = period_bounds(kind, offset, today)
        who = (
            {"team_id": world.teams[subject].pk}
            if subject in world.teams
            else {"user_id": world.ids[subject]}
        )
        quota_create(by=admin, period=kind, start=start, amount=amount, **who)
    return deals, made


def subject_of(world, ask: Ask) -> tuple[str, dict, set]:
    """(subject name, the service's keyword, the owners whose deals count)."""
    name = ask.subject or ask.reader
    if name in world.teams:
        return name, {"team_id": world.teams[name].pk}, set(world.members[name])
    return name, {"user_id": world.ids[name]}, {world.ids[name]}


def readable(world, ask: Ask) -> tuple[bool, set]:
    """May the reader look at the subject; and the owners whose deals the reader sees."""
    everyone = set(world.ids.values()) | {None}
    if ask.reader == "admin":
        return True, everyone
    north = world.members["North"]
    name = ask.subject or "manager"
    allowed = name == "North" or (name not in world.teams and world.ids[name] in north)
    return allowed, north | {None}


def check(got: dict, want: dict, stage_ids: dict, where) -> None:
    for name in (
        "quota",
        "won",
        "expected",
        "forecast",
        "gap",
        "remaining",
        "open_amount",
        "counted_amount",
    ):
        value = None if got[name] is None else Decimal(got[name])
        assert value == want[name], (where, name, got[name], want[name])
    for name in ("at_risk", "coverage", "open_count", "counted_count"):
        assert got[name] == want[name], (where, name, got[name], want[name])
    stages = {row["stage"]: row for row in got["stages"]}
    assert set(stages) == {stage_ids[key] for key in want["stages"]}, where


def check_stages(got: dict, want: dict, stats: dict, stage_ids: dict, where) -> None:
    stages = {row["stage"]: row for row in got["stages"]}
    for key, wanted in want["stages"].items():
        row, stat = stages[stage_ids[key]], stats[key]
        assert row["win_rate"] == round(float(stat["rate"]), 4), (where, key, row, stat)
        assert row["win_rate_source"] == stat["source"], (where, key, row, stat)
        assert row["history_deals"] == stat["history_deals"], (where, key, row, stat)
        assert row["median_days_to_win"] == stat["median"], (where, key, row, stat)
        for name in ("open_count", "counted_count"):
            assert row[name] == wanted[name], (where, key, name, row, wanted)
        for name in ("open_amount", "counted_amount", "expected"):
            assert Decimal(row[name]) == money(wanted[name]), (where, key, name, row, wanted)


def check_asks(world, deals, quotas, made, asks, now, pipeline) -> None:
    ref = Reference(world, deals, quotas, now=now, pipeline=pipeline)
    stage_ids = {
        (p.name, s.name): s.pk for p in made.values() for s in p.stages.all() if s.kind == "open"
    }
    pipeline_id = made[pipeline].pk if pipeline else None
    for ask in asks:
        actor = world.admin if ask.reader == "admin" else world.manager
        name, keyword, owner_ids = subject_of(world, ask)
        allowed, sees = readable(world, ask)
        kind, offset = ask.period
        start, _end = period_bounds(kind, offset, ref.today)
        asked = {"actor": actor, "kind": kind, "start": start, "pipeline_id": pipeline_id}
        if ask.subject is not None:
            asked |= keyword
        if not allowed:
            with pytest.raises(SubjectNotFound):
                plan_risk(**asked, now=now)
            continue
        got = plan_risk(**asked, now=now)
        want = ref.report(name, owner_ids, sees, kind, offset)
        where = (ask, pipeline)
        check(got, want, stage_ids, where)
        check_stages(got, want, ref.stats, stage_ids, where)
        # The deals behind `expected`: exactly the counted ones, each with its share.
        listed = plan_risk_deals(**asked, now=now)
        wanted = {pk: v for row in want["stages"].values() for pk, v in row["deals"].items()}
        assert {d.pk: d.expected for d in listed} == wanted, where


def anchor_of(now: datetime.datetime) -> datetime.datetime:
    """The last full hour, an hour before `now`: every history time is on an hour, so no
    median of days is ever half-way between two of its rounded values."""
    return now.replace(minute=0, second=0, microsecond=0) - datetime.timedelta(hours=1)


RATES = st.sampled_from([Decimal("1.95583"), Decimal("0.5"), Decimal("1.08333333")])


@given(
    specs=st.lists(deal_specs(), min_size=1, max_size=10),
    batch=closed_batches(),
    quotas=quota_specs(),
    rate=RATES,
    asks=st.lists(ASKS, min_size=1, max_size=3),
)
@PLAN_RISK
def test_the_plan_risk_matches_the_reference(world, specs, batch, quotas, rate, asks):
    now = timezone.now()
    with transaction.atomic():
        deals, made = load(world, [*specs, *batch], quotas, rate, anchor_of(now))
        check_asks(world, deals, quotas, made, asks, now, None)
        transaction.set_rollback(True)


@given(
    specs=st.lists(deal_specs(), min_size=1, max_size=10),
    batch=closed_batches(),
    quotas=quota_specs(),
    asks=st.lists(ASKS, min_size=1, max_size=3),
    pipeline=st.sampled_from(sorted(PIPELINES)),
)
@PLAN_RISK
def test_with_a_pipeline_won_and_expected_are_that_pipelines_and_the_quota_stays_whole(
    world, specs, batch, quotas, asks, pipeline
):
    now = timezone.now()
    with transaction.atomic():
        deals, made = load(world, [*specs, *batch], quotas, Decimal("0.5"), anchor_of(now))
        check_asks(world, deals, quotas, made, asks, now, pipeline)
        transaction.set_rollback(True)


@given(
    specs=st.lists(deal_specs(), min_size=1, max_size=8),
    batch=closed_batches(),
    quotas=quota_specs(),
    subject=st.sampled_from(["rep0", "rep1", "North", "South"]),
    period=st.sampled_from([("month", 0), ("quarter", 0), ("year", 0)]),
)
@settings(parent=PLAN_RISK, max_examples=max(3, PLAN_RISK.max_examples // 5))
def test_the_plan_risk_api_gives_the_reference_numbers(
    world, api_as, specs, batch, quotas, subject, period
):
    client = api_as(world.admin)
    ask = Ask("admin", subject, period)
    with transaction.atomic():
        deals, made = load(
            world, [*specs, *batch], quotas, Decimal("1.95583"), anchor_of(timezone.now())
        )
        name, _keyword, owner_ids = subject_of(world, ask)
        _allowed, sees = readable(world, ask)
        stage_ids = {
            (p.name, s.name): s.pk
            for p in made.values()
            for s in p.stages.all()
            if s.kind == "open"
        }
        key = "team" if subject in world.teams else "user"
        value = world.teams[subject].pk if key == "team" else world.ids[subject]
        before = timezone.now()
        ref = Reference(world, deals, quotas, now=before)
        kind, offset = period
        start, _end = period_bounds(kind, offset, ref.today)
        response = client.call(
            "get", "/reports/plan-risk", {"period": periods.period_label(kind, start), key: value}
        )
        after = timezone.now()
        assert response.status_code == 200, response.content
        want = ref.report(name, owner_ids, sees, kind, offset)
        again = Reference(world, deals, quotas, now=after).report(
            name, owner_ids, sees, kind, offset
        )
        # The API reads the clock itself: compare when nothing turned between the readings.
        if {k: v for k, v in want.items() if k != "stages"} == {
            k: v for k, v in again.items() if k != "stages"
        }:
            check(response.json(), want, stage_ids, ask)
        transaction.set_rollback(True)
