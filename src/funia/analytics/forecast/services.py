"""The sales forecast: what the open deals promise per close month, what is won, the plan,
and where the trend of the past months points.

Definitions (binding; shown on the page and in the API documentation):

- **Scope**: live deals the reader may see (`visible_records`), of the pipeline (default:
  all pipelines), owner and team asked for. Amounts are `amount_base` (organisation
  currency); a deal without an amount counts with 0.
- **Open deals** (stage of kind open) fall in a column by their expected close date: each
  month of the window (`from`, `months`), **overdue** (before the first month) or **no
  close date**. Their category is their forecast category: commit, best case or pipeline;
  **omitted** deals are left out; an open deal marked **closed** counts as commit (it is
  not won until it is won).
- **Weighted** = Σ amount × the stage's win probability, over the three categories.
- **Won** (the fact) = deals now won whose win (`closed_at`, organisation time zone) falls
  in the month, whatever their close date or category (`sales.plans`).
- **Commit forecast** = won + commit; **best-case forecast** = won + commit + best case.
- **Adjustments**: a manager's adjustment of a rep's category for a month (or quarter)
  replaces the computed amount of that category for that rep in that month (quarter);
  both are given (`amount` and `computed`) and every roll-up and total uses the adjusted
  one. Adjustments cover all pipelines: with a pipeline filter they are shown, not applied.
- **Plan** = the quota (`plans.plan_amount`): a rep's own, a team's own; the overall plan is
  the sum of the plans of the reps in scope (with an owner filter: that rep's; with a team
  filter: the team's own quota when set), or, when no rep has one and no filter is given,
  the sum of the plans of the teams the reader oversees. Plans are not per pipeline.
- **Quarters**: the same figures for every quarter the months touch, over the whole
  quarter (open deals by close date in the quarter, wins in the quarter, quarter quotas
  and adjustments).
- **Trend**: a least-squares straight line through the won amounts of the `trend_months`
  months before `from` (x = 0, 1, …), extended over the window, floored at 0. **Win-rate
  forecast** = won + the historical win rate (won ÷ (won + lost) amount of the deals closed
  in those months) × the computed open amount of the month.
- **Plan vs fact**: the `months_back` months before `from`: plan, won and attainment =
  won ÷ plan (%).
- **Total**: the sum over the columns shown (overdue and no close date included).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from funia.analytics.forecast import selectors
from funia.analytics.forecast.schemas import ForecastParams
from funia.analytics.forecast.selectors import OPEN_CATEGORIES, Bucket
from funia.core import periods
from funia.core.actor import Actor
from funia.core.models import Team, TeamMember, User
from funia.sales import plans
from funia.sales.models import StageKind

CENT = Decimal("0.01")
ZERO = Decimal("0")
CATEGORIES = tuple(c.value for c in OPEN_CATEGORIES)
TREND_METHOD = "least_squares_linear"


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def linear_trend(values: list[Decimal], ahead: int) -> tuple[Decimal, Decimal, list[Decimal]]:
    """The least-squares line through (0, v0), (1, v1), … : (slope, intercept, its values
    at the next `ahead` points, floored at 0 and rounded to cents)."""
    n = len(values)
    if n == 0:
        return ZERO, ZERO, [ZERO] * ahead
    values = [Decimal(v) for v in values]
    mean_x = Decimal(n - 1) / 2
    mean_y = sum(values, ZERO) / n
    sxx = sum(((Decimal(x) - mean_x) ** 2 for x in range(n)), ZERO)
    sxy = sum(((Decimal(x) - mean_x) * (v - mean_y) for x, v in enumerate(values)), ZERO)
    slope = sxy / sxx if sxx else ZERO
    intercept = mean_y - slope * mean_x
    ahead_values = [money(max(ZERO, intercept + slope * (n + k))) for k in range(ahead)]
    return slope, intercept, ahead_values


@dataclass
class Figures:
    """What one owner has in one bucket."""

    count: dict = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    amount: dict = field(default_factory=lambda: dict.fromkeys(CATEGORIES, ZERO))
    weighted: Decimal = ZERO
    won_count: int = 0
    won_amount: Decimal = ZERO


EMPTY = Figures()


def _collect(actor: Actor, scope, *, open_buckets, won_buckets, lost_window):
    """(owner, bucket key) -> Figures, and owner -> lost amount in `lost_window`: three
    grouped queries, whatever the number of buckets and owners."""
    figures: dict[tuple, Figures] = defaultdict(Figures)
    aggregates = {}
    for index, bucket in enumerate(open_buckets):
        condition = selectors.open_condition(bucket)
        aggregates[f"n{index}"] = Count("id", filter=condition)
        aggregates[f"a{index}"] = Sum("amount_base", filter=condition)
    rows = (
        selectors.open_deals(scope)
        .values("owner_id", "report_category", "stage__probability")
        .annotate(**aggregates)
        .order_by()
    )
    for row in rows:
        category, probability = row["report_category"], row["stage__probability"]
        for index, bucket in enumerate(open_buckets):
            if not row[f"n{index}"]:
                continue
            cell = figures[(row["owner_id"], bucket.key)]
            amount = Decimal(row[f"a{index}"] or 0)
            cell.count[category] += row[f"n{index}"]
            cell.amount[category] += amount
            cell.weighted += amount * probability / 100
    aggregates, moments = {}, []
    for index, bucket in enumerate(won_buckets):
        condition = selectors.won_condition(actor.tenant, bucket)
        aggregates[f"n{index}"] = Count("id", filter=condition)
        aggregates[f"a{index}"] = Sum("amount_base", filter=condition)
        moments += periods.moments(actor.tenant, bucket.period, bucket.start)
    if aggregates:
        begin, end = min(moments), max(moments)
        rows = (
            selectors.won_deals(scope)
            .filter(closed_at__gte=begin, closed_at__lt=end)
            .values("owner_id")
            .annotate(**aggregates)
            .order_by()
        )
        for row in rows:
            for index, bucket in enumerate(won_buckets):
                if row[f"n{index}"]:
                    cell = figures[(row["owner_id"], bucket.key)]
                    cell.won_count += row[f"n{index}"]
                    cell.won_amount += Decimal(row[f"a{index}"] or 0)
    lost = {
        row["owner_id"]: Decimal(row["a"] or 0)
        for row in scope.filter(
            stage__kind=StageKind.LOST, closed_at__gte=lost_window[0], closed_at__lt=lost_window[1]
        )
        .values("owner_id")
        .annotate(a=Sum("amount_base"))
        .order_by()
    }
    return figures, lost


class _Plans:
    """Plans of reps, teams and the whole scope: the quotas of every period the report
    shows, read in one query (`plans.quotas_of`), rolled up as `plans.plan_amount` does
    (`plans.rolled_up_plan`)."""

    def __init__(self, actor: Actor, params: ForecastParams, reps: list[int], team_ids, buckets):
        self.params, self.reps = params, reps
        own_teams = set(
            TeamMember.objects.for_tenant(actor.tenant)
            .filter(user=actor.user)
            .values_list("team_id", flat=True)
        )
        self.oversees = set(selectors.plan_teams(actor))
        # Team plans the reader may see: the teams they oversee or belong to.
        visible_teams = self.oversees | own_teams
        asked = (set(team_ids) | self.oversees | {params.team}) & visible_teams
        dated = [b for b in buckets if b.period]
        self.quotas = (
            plans.quotas_of(
                actor.tenant,
                start=min(b.start for b in dated),
                end=max(b.end for b in dated),
                user_ids=reps,
                team_ids=sorted(asked),
            )
            if dated
            else {}
        )

    def _plan(self, key: tuple, bucket: Bucket) -> Decimal | None:
        if bucket.period is None or key not in self.quotas:
            return None
        return plans.rolled_up_plan(self.quotas[key], bucket.period, bucket.start)

    def user(self, user_id, bucket: Bucket) -> Decimal | None:
        return self._plan(("user", user_id), bucket)

    def team(self, team_id, bucket: Bucket) -> Decimal | None:
        return self._plan(("team", team_id), bucket)

    def total(self, bucket: Bucket) -> Decimal | None:
        if bucket.period is None:
            return None
        if self.params.team is not None:
            own = self.team(self.params.team, bucket)
            if own is not None:
                return own
        summed = _sum_known(self.user(u, bucket) for u in self.reps)
        if summed is None and self.params.owner is None and self.params.team is None:
            summed = _sum_known(self.team(t, bucket) for t in sorted(self.oversees))
        return summed


def _sum_known(values) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, ZERO) if known else None


def _brief(adjustment) -> dict:
    return {
        "id": adjustment.pk,
        "user": adjustment.user_id,
        "user_name": adjustment.user.get_full_name() or adjustment.user.email,
        "period": adjustment.period,
        "start": adjustment.start,
        "category": adjustment.category,
        "amount": adjustment.amount,
        "note": adjustment.note,
        "adjusted_by": adjustment.adjusted_by_id,
        "adjusted_by_name": (
            (adjustment.adjusted_by.get_full_name() or adjustment.adjusted_by.email)
            if adjustment.adjusted_by
            else None
        ),
        "updated_at": adjustment.updated_at,
    }


class _Report:
    def __init__(self, actor: Actor, params: ForecastParams):
        self.actor, self.params, self.tenant = actor, params, actor.tenant
        self.first = selectors.first_month(self.tenant, params)
        self.buckets = selectors.forecast_buckets(self.first, params.months)
        self.months = [b for b in self.buckets if b.period]
        self.quarters = selectors.quarter_buckets(self.first, params.months)
        history = selectors.past_buckets(self.first, max(params.months_back, params.trend_months))
        self.past_plan = history[len(history) - params.months_back :] if params.months_back else []
        self.past_trend = history[len(history) - params.trend_months :]
        scope = selectors.forecast_deals(actor, params)
        self.figures, self.lost = _collect(
            actor,
            scope,
            open_buckets=[*self.buckets, *self.quarters],
            won_buckets=[*self.months, *self.quarters, *history],
            lost_window=(
                periods.midnight(self.tenant, self.past_trend[0].start),
                periods.midnight(self.tenant, self.first),
            ),
        )
        self.reps = selectors.reps_in_scope(actor, params)
        self.applied = params.pipeline is None
        self.adjustments = selectors.adjustments_for(
            self.tenant,
            user_ids=self.reps,
            months=[b.start for b in self.months],
            quarters=[q.start for q in self.quarters],
        )
        # Owners of lost deals too: their losses are part of the win rate of every table
        # they are in (the whole report's, their own, their team's).
        owners = {owner for owner, _key in self.figures} | set(self.lost) | set(self.reps)
        self.owners = sorted(owners, key=lambda o: (o is None, o or 0))
        self.teams_of = selectors.teams_of(self.tenant, self.owners)
        team_ids = {t for ids in self.teams_of.values() for t in ids}
        self.plans = _Plans(
            actor, params, self.reps, team_ids, [*self.buckets, *self.quarters, *history]
        )

    # -- one row ---------------------------------------------------------------------------

    def row(self, bucket: Bucket, owners, plan, trend=None, win_rate=None) -> dict:
        categories, open_count, weighted = {}, 0, ZERO
        won_count, won_amount, computed_open = 0, ZERO, ZERO
        for owner in owners:
            cell = self.figures.get((owner, bucket.key), EMPTY)
            weighted += cell.weighted
            won_count += cell.won_count
            won_amount += cell.won_amount
        for category in CATEGORIES:
            count, computed, amount, shown = 0, ZERO, ZERO, []
            for owner in owners:
                cell = self.figures.get((owner, bucket.key), EMPTY)
                count += cell.count[category]
                computed += cell.amount[category]
                adjustment = None
                if bucket.period and owner is not None:
                    key = (owner, bucket.period, bucket.start, category)
                    adjustment = self.adjustments.get(key)
                if adjustment is not None:
                    shown.append(_brief(adjustment))
                use = adjustment is not None and self.applied
                amount += adjustment.amount if use else cell.amount[category]
            open_count += count
            computed_open += computed
            categories[category] = {
                "count": count,
                "amount": money(amount),
                "computed": money(computed),
                "adjusted": bool(shown) and self.applied,
                "adjustments": shown,
            }
        won = money(won_amount)
        commit = won + categories["commit"]["amount"]
        forecast_by_win_rate = None
        if win_rate is not None and bucket.period:
            forecast_by_win_rate = money(won_amount + computed_open * Decimal(str(win_rate)))
        return {
            "key": bucket.key,
            "kind": bucket.kind,
            "start": bucket.start,
            "categories": categories,
            "open_count": open_count,
            "weighted": money(weighted),
            "won": {"count": won_count, "amount": won},
            "commit_forecast": commit,
            "best_case_forecast": commit + categories["best_case"]["amount"],
            "plan": plan,
            "trend": trend,
            "win_rate_forecast": forecast_by_win_rate,
        }

    @staticmethod
    def total(rows: list[dict]) -> dict:
        categories = {}
        for category in CATEGORIES:
            cells = [r["categories"][category] for r in rows]
            categories[category] = {
                "count": sum(c["count"] for c in cells),
                "amount": sum((c["amount"] for c in cells), ZERO),
                "computed": sum((c["computed"] for c in cells), ZERO),
                "adjusted": any(c["adjusted"] for c in cells),
                "adjustments": [a for c in cells for a in c["adjustments"]],
            }
        won = sum((r["won"]["amount"] for r in rows), ZERO)
        commit = won + categories["commit"]["amount"]
        return {
            "key": "total",
            "kind": "total",
            "start": None,
            "categories": categories,
            "open_count": sum(r["open_count"] for r in rows),
            "weighted": sum((r["weighted"] for r in rows), ZERO),
            "won": {"count": sum(r["won"]["count"] for r in rows), "amount": won},
            "commit_forecast": commit,
            "best_case_forecast": commit + categories["best_case"]["amount"],
            "plan": _sum_known(r["plan"] for r in rows),
            "trend": _sum_known(r["trend"] for r in rows),
            "win_rate_forecast": _sum_known(r["win_rate_forecast"] for r in rows),
        }

    # -- one table (the whole scope or one group) --------------------------------------------

    def history_of(self, owners) -> tuple[list[Decimal], float | None]:
        """Won amount of each trend month, and the win rate over those months."""
        series = [
            money(sum((self.figures.get((o, b.key), EMPTY).won_amount for o in owners), ZERO))
            for b in self.past_trend
        ]
        won = sum(series, ZERO)
        lost = sum((self.lost.get(o, ZERO) for o in owners), ZERO)
        rate = round(float(won / (won + lost)), 4) if won + lost else None
        return series, rate

    def table(self, owners, plan_of) -> dict:
        series, rate = self.history_of(owners)
        _slope, _intercept, ahead = linear_trend(series, len(self.months))
        trend_of = {b.key: ahead[i] for i, b in enumerate(self.months)}
        rows = [self.row(b, owners, plan_of(b), trend_of.get(b.key), rate) for b in self.buckets]
        quarters = [self.row(q, owners, plan_of(q), None, rate) for q in self.quarters]
        return {"rows": rows, "total": self.total(rows), "quarters": quarters}

    def plan_fact(self, owners, plan_of) -> dict:
        rows = []
        for bucket in self.past_plan:
            won = sum((self.figures.get((o, bucket.key), EMPTY).won_amount for o in owners), ZERO)
            count = sum(self.figures.get((o, bucket.key), EMPTY).won_count for o in owners)
            rows.append(_plan_fact_row(bucket.key, bucket.start, plan_of(bucket), won, count))
        total = _plan_fact_row(
            "total",
            None,
            _sum_known(r["plan"] for r in rows),
            sum((r["won"]["amount"] for r in rows), ZERO),
            sum(r["won"]["count"] for r in rows),
        )
        return {"rows": rows, "total": total}

    # -- groups ------------------------------------------------------------------------------

    def groups(self) -> list[tuple]:
        """(key, label, owners, plan_of) of each group of group_by."""
        if self.params.group_by == "owner":
            names = _user_names([o for o in self.owners if o is not None])
            owners = sorted(
                self.owners,
                key=lambda o: (o is None, names.get(o, "").casefold(), o or 0),
            )
            return [
                (
                    owner,
                    names.get(owner, str(owner)) if owner is not None else _("No owner"),
                    [owner],
                    (lambda b, o=owner: self.plans.user(o, b)),
                )
                for owner in owners
            ]
        members: dict = defaultdict(list)
        for owner in self.owners:
            for team_id in self.teams_of.get(owner) or [None]:
                members[team_id].append(owner)
        names = dict(
            Team.objects.for_tenant(self.tenant)
            .filter(pk__in=[t for t in members if t is not None])
            .values_list("pk", "name")
        )
        keys = sorted(members, key=lambda t: (t is None, names.get(t, "").casefold(), t or 0))
        return [
            (
                team_id,
                names.get(team_id, str(team_id)) if team_id is not None else _("No team"),
                members[team_id],
                (lambda b, t=team_id: self.plans.team(t, b) if t is not None else None),
            )
            for team_id in keys
        ]

    def build(self) -> dict:
        table = self.table(self.owners, self.plans.total)
        plan_fact = self.plan_fact(self.owners, self.plans.total)
        series, rate = self.history_of(self.owners)
        slope, intercept, _ahead = linear_trend(series, 0)
        groups = plan_groups = None
        if self.params.group_by:
            groups, plan_groups = [], []
            for key, label, owners, plan_of in self.groups():
                group_table = self.table(owners, plan_of)
                group_plan = self.plan_fact(owners, plan_of)
                if not (_has_figures(group_table) or _has_plan_fact(group_plan)):
                    continue
                groups.append({"key": key, "label": label, **group_table})
                plan_groups.append({"key": key, "label": label, **group_plan})
        return {
            "currency": self.tenant.currency,
            "from_month": self.first.strftime("%Y-%m"),
            "months": self.params.months,
            "group_by": self.params.group_by,
            "pipeline": self.params.pipeline,
            "owner": self.params.owner,
            "team": self.params.team,
            "adjustments_applied": self.applied,
            "forecast": {"rows": table["rows"], "total": table["total"]},
            "quarters": table["quarters"],
            "groups": groups,
            "plan_vs_fact": {
                "months_back": self.params.months_back,
                **plan_fact,
                "groups": plan_groups,
            },
            "trend": {
                "method": TREND_METHOD,
                "months": self.params.trend_months,
                "history": [
                    {"key": b.key, "start": b.start, "won": v}
                    for b, v in zip(self.past_trend, series, strict=True)
                ],
                "slope": money(slope) if series else None,
                "intercept": money(intercept) if series else None,
                "win_rate": rate,
            },
        }


def _plan_fact_row(key, start, plan, won: Decimal, count: int) -> dict:
    won = money(won)
    attainment = None
    if plan:
        attainment = float((won * 100 / plan).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return {
        "key": key,
        "start": start,
        "plan": plan,
        "won": {"count": count, "amount": won},
        "attainment": attainment,
    }


def _has_figures(table: dict) -> bool:
    for row in [*table["rows"], *table["quarters"]]:
        if row["open_count"] or row["won"]["count"] or row["plan"] is not None:
            return True
        if any(c["adjustments"] for c in row["categories"].values()):
            return True
    return False


def _has_plan_fact(plan_fact: dict) -> bool:
    return any(r["plan"] is not None or r["won"]["count"] for r in plan_fact["rows"])


def _user_names(user_ids) -> dict[int, str]:
    return {u.pk: str(u) for u in User.objects.filter(pk__in=list(user_ids))}


def forecast_report(*, actor: Actor, params: ForecastParams | None = None) -> dict:
    """The forecast of the deals the actor may see (see the module's definitions): per close
    month (and overdue / no close date), per quarter, and per owner or team with group_by;
    plan vs fact of the past months; the trend. A pipeline of another organisation is 404
    (DoesNotExist)."""
    return _Report(actor, params or ForecastParams()).build()
