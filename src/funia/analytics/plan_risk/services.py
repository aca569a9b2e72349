"""The plan risk: will a rep or a team make the plan of a period?

Definitions (binding; shown on the page and in the API documentation):
- **quota**: the plan of the rep or team for the period (`funia.sales.plans`: its own quota,
  else the sum of its months' or quarters'; a team without one plans the sum of its current
  members' plans); null when none is set. Quotas are not per pipeline: with a pipeline
  chosen, the quota is still the whole quota of the rep or team.
- **won**: the fact (`funia.sales.plans`): live deals now won whose win falls in the period,
  owned by the rep or by the team's current members, in every pipeline unless one is
  chosen (then only that pipeline's wins).
- **open deals in scope**: live open deals owned by the rep or by the team's current
  members that the reader may see, in every pipeline unless one is chosen.
- **win rate of a stage** (history): of the deals (live) that entered the stage in the last
  365 days and are now closed (won or lost), the share now won, over the organisation's
  whole history of that stage. With fewer than 10 such deals the stage's static
  probability is used instead (`win_rate_source`: history or probability).
- **time to win from a stage**: the median days from a won deal's last entry into the stage
  to its win, over the deals won in the last 365 days that passed through the stage.
- **expected close** of an open deal: when it entered its current stage plus that stage's
  median time to win, but never before now; without a median, its expected close date (not
  before now either); without both, unknown.
- A deal **counts** for the period when its expected close falls in the period, unless its
  own expected close date is after the period's end (the rep's word wins then). A period
  in the past expects nothing.
- **expected** = the sum over the deals that count of amount (organisation currency) x the
  win rate of their stage (each deal rounded to cents); **forecast** = won + expected;
  **gap** = quota - forecast (null without a quota); **at_risk** = gap > 0;
  **coverage** = open amount (every open deal in scope) / (quota - won), null when nothing
  remains to win or without a quota.

With a pipeline chosen, won and expected are that pipeline's (the same scope on both
sides of the forecast) while the quota stays whole: the gap then says how much of the
whole plan that pipeline alone leaves open.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.analytics import sql as q
from funia.core import periods
from funia.core.actor import Actor
from funia.core.models import Membership, Team
from funia.core.visibility import visible_records
from funia.sales import plans
from funia.sales.models import Opportunity, Pipeline, Stage, StageChange, StageKind
from funia.sales.quotas.selectors import read_scope

LOOKBACK_DAYS = 365
MIN_HISTORY = 10
CENT = Decimal("0.01")
FIRST_YEAR, LAST_YEAR = 1900, 2999


class SubjectNotFound(ObjectDoesNotExist):
    """No such rep or team in the organisation, or not one the reader may look at."""


@dataclass(frozen=True)
class Subject:
    """Whose plan: a rep ("user") or a team, with the owners whose deals count."""

    kind: str  # "user" | "team"
    id: int
    name: str
    owner_ids: tuple[int, ...]
    manager: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)


def _user_name(user) -> str:
    return user.get_full_name() or user.email


def resolve_subject(actor: Actor, *, user_id: int | None = None, team_id: int | None = None):
    """The rep (default: the actor) or the team; SubjectNotFound (404) for one of another
    organisation or outside what the reader may see."""
    if user_id is not None and team_id is not None:
        raise ValidationError({"team": _("Choose a rep or a team, not both.")})
    scope = read_scope(actor)
    if team_id is None:
        user_id = actor.user.pk if user_id is None else user_id
        membership = (
            Membership.objects.for_tenant(actor.tenant)
            .select_related("user")
            .filter(user_id=user_id)
            .first()
        )
        if membership is None or not scope.has_user(user_id):
            raise SubjectNotFound
        return Subject("user", user_id, _user_name(membership.user), (user_id,))
    team = Team.objects.for_tenant(actor.tenant).select_related("manager").filter(pk=team_id)
    team = team.first()
    if team is None or not scope.has_team(team_id):
        raise SubjectNotFound
    members = plans.team_members_of(actor.tenant, [team.pk])[team.pk]
    manager = _user_name(team.manager) if team.manager else ""
    return Subject("team", team.pk, team.name, tuple(members), manager)


def check_period(kind: str, start: datetime.date) -> None:
    if kind not in periods.KINDS or not periods.is_period_start(kind, start):
        raise ValidationError({"period": _("Give a period as YYYY-MM, YYYY-Qn or YYYY.")})
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise ValidationError(
            {
                "period": _("Choose a period between %(first)d and %(last)d.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            }
        )


def parse_period(text: str | None, tenant) -> tuple[str, datetime.date]:
    """A period label ("2026-11", "2026-Q4", "2026"); default: the current quarter."""
    if not text:
        return periods.QUARTER, periods.period_start(periods.QUARTER, periods.today(tenant))
    try:
        kind, start = periods.parse_period(text)
    except ValueError:  # e.g. year 0: not a date at all
        raise ValidationError({"period": _("Give a period as YYYY-MM, YYYY-Qn or YYYY.")}) from None
    check_period(kind, start)
    return kind, start


# -- stage statistics ------------------------------------------------------------------------


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def report_stages(tenant, pipeline_id: int | None) -> list[Stage]:
    """The open stages of the organisation's live pipelines (or of the one chosen), in
    order; a pipeline that is not the organisation's answers 404."""
    if pipeline_id is not None:
        Pipeline.objects.for_tenant(tenant).get(pk=pipeline_id)
    stages = Stage.objects.for_tenant(tenant).filter(
        kind=StageKind.OPEN, pipeline__deleted_at__isnull=True
    )
    if pipeline_id is not None:
        stages = stages.filter(pipeline_id=pipeline_id)
    return list(
        stages.select_related("pipeline").order_by("pipeline__position", "pipeline_id", "position")
    )


def _history_rates(tenant, stage_ids: list[int], since, now) -> dict[int, tuple[int, int]]:
    """{stage: (closed, won)}: distinct live deals that entered the stage in [since, now]
    and are closed now, and how many of them are won."""
    rows = (
        StageChange.objects.for_tenant(tenant)
        .filter(
            to_stage_id__in=stage_ids,
            at__gte=since,
            at__lte=now,
            opportunity__deleted_at__isnull=True,
            opportunity__stage__kind__in=(StageKind.WON, StageKind.LOST),
        )
        .values("to_stage_id")
        .annotate(
            closed=Count("opportunity_id", distinct=True),
            won=Count("opportunity_id", distinct=True, filter=Q(opportunity__stage__kind="won")),
        )
        .order_by()
    )
    return {row["to_stage_id"]: (row["closed"], row["won"]) for row in rows}


def _median_days_to_win(tenant, stage_ids: list[int], since, now) -> dict[int, float]:
    """{stage: median days from a won deal's last entry into the stage to its win}, over
    the live deals won in [since, now] that passed through the stage (one statement)."""
    if not stage_ids:
        return {}
    changes, deals, stages = (
        StageChange._meta.db_table,
        Opportunity._meta.db_table,
        Stage._meta.db_table,
    )
    days = q.seconds_between("o.closed_at", "MAX(sc.at)")
    listed = ", ".join(["%s"] * len(stage_ids))
    statement = f"""
        SELECT stage_id, AVG(v) FROM (
            SELECT stage_id, v,
                   ROW_NUMBER() OVER (PARTITION BY stage_id ORDER BY v) AS rn,
                   COUNT(*) OVER (PARTITION BY stage_id) AS cnt
            FROM (
                SELECT sc.to_stage_id AS stage_id, ({days}) / 86400.0 AS v
                FROM {changes} sc
                JOIN {deals} o ON o.id = sc.opportunity_id
                JOIN {stages} w ON w.id = o.stage_id
                WHERE sc.tenant_id = %s AND o.tenant_id = %s AND o.deleted_at IS NULL
                  AND w.kind = %s AND o.closed_at >= %s AND o.closed_at <= %s
                  AND sc.at <= o.closed_at AND sc.to_stage_id IN ({listed})
                GROUP BY sc.to_stage_id, o.id, o.closed_at
            ) AS d
        ) AS m
        WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2)
        GROUP BY stage_id
    """  # noqa: S608  (table names and placeholders only; values are parameters)
    tenant_id = tenant.pk
    params = [tenant_id, tenant_id, StageKind.WON, q.db_time(since), q.db_time(now), *stage_ids]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return {stage_id: round(float(v), 4) for stage_id, v in cursor.fetchall()}


def stage_statistics(tenant, stages: list[Stage], *, now) -> dict[int, dict]:
    """Per open stage: its win rate (history or the static probability) and the median
    time to win from it (see the module's definitions). Two grouped queries."""
    since = now - datetime.timedelta(days=LOOKBACK_DAYS)
    ids = [s.pk for s in stages]
    rates = _history_rates(tenant, ids, since, now) if ids else {}
    medians = _median_days_to_win(tenant, ids, since, now)
    stats = {}
    for stage in stages:
        closed, won = rates.get(stage.pk, (0, 0))
        if closed >= MIN_HISTORY:
            rate, source = Decimal(won) / Decimal(closed), "history"
        else:
            rate, source = Decimal(stage.probability) / 100, "probability"
        stats[stage.pk] = {
            "stage": stage,
            "win_rate": rate,
            "win_rate_source": source,
            "history_deals": closed,
            "history_won": won,
            "median_days_to_win": medians.get(stage.pk),
        }
    return stats


# -- the deals expected in the period --------------------------------------------------------


def expected_close(deal, stat: dict, *, now, tenant) -> datetime.datetime | None:
    """When the open deal is expected to close (see the module's definitions)."""
    median = stat["median_days_to_win"]
    if median is not None:
        return max(now, deal.stage_entered_at + datetime.timedelta(days=median))
    if deal.expected_close_date is not None:
        return max(now, periods.midnight(tenant, deal.expected_close_date))
    return None


def _open_deals(actor: Actor, owner_ids, stage_ids, *, details: bool = False):
    qs = visible_records(Opportunity, actor).filter(
        owner_id__in=sorted(set(owner_ids)), closed_at__isnull=True, stage_id__in=stage_ids
    )
    if details:
        return qs.select_related("owner", "account", "stage", "pipeline").order_by("id")
    return qs.only(
        "id", "owner_id", "stage_id", "stage_entered_at", "expected_close_date", "amount_base"
    ).order_by("id")


def won_by_owner(
    tenant, start: datetime.datetime, end: datetime.datetime, owner_ids, pipeline_id=None
) -> dict[int, Decimal]:
    """{owner: won amount} of the owners' deals won in [start, end) (`plans.won_deals`, the
    fact), only of the pipeline when one is given; one grouped query."""
    qs = plans.won_deals(tenant, start=start, end=end, owner_ids=sorted(set(owner_ids)))
    if pipeline_id is not None:
        qs = qs.filter(pipeline_id=pipeline_id)
    rows = qs.values("owner_id").annotate(total=Sum("amount_base")).order_by()
    return {row["owner_id"]: row["total"] or Decimal("0") for row in rows}


def _won_of(won: dict[int, Decimal], owner_ids) -> Decimal:
    return _money(sum((won.get(owner, Decimal("0")) for owner in set(owner_ids)), Decimal("0")))


@dataclass
class _Period:
    kind: str
    start: datetime.date
    end: datetime.date
    begin: datetime.datetime
    finish: datetime.datetime


def _period(tenant, kind: str, start: datetime.date) -> _Period:
    check_period(kind, start)
    begin, finish = periods.moments(tenant, kind, start)
    return _Period(kind, start, periods.period_end(kind, start), begin, finish)


def _weigh(deal, stats: dict, period: _Period, *, now, tenant) -> bool:
    """Decide whether the deal counts and set `win_rate`, `win_rate_source`, `expected`
    and `expected_close` on it."""
    stat = stats[deal.stage_id]
    deal.win_rate = stat["win_rate"]
    deal.win_rate_source = stat["win_rate_source"]
    deal.expected_close = expected_close(deal, stat, now=now, tenant=tenant)
    counts = (
        deal.expected_close is not None
        and period.begin <= deal.expected_close < period.finish
        and not (deal.expected_close_date is not None and deal.expected_close_date >= period.end)
    )
    deal.expected = _money((deal.amount_base or 0) * stat["win_rate"]) if counts else None
    return counts


def _risk(subject: Subject, period: _Period, stats: dict, deals, *, quota, won, tenant, now):
    rows = {
        stage_id: {
            "stage": stage_id,
            "name": stat["stage"].name,
            "pipeline": stat["stage"].pipeline_id,
            "pipeline_name": stat["stage"].pipeline.name,
            "probability": stat["stage"].probability,
            "open_count": 0,
            "open_amount": Decimal("0"),
            "counted_count": 0,
            "counted_amount": Decimal("0"),
            "win_rate": round(float(stat["win_rate"]), 4),
            "win_rate_source": stat["win_rate_source"],
            "history_deals": stat["history_deals"],
            "median_days_to_win": stat["median_days_to_win"],
            "expected": Decimal("0"),
        }
        for stage_id, stat in stats.items()
    }
    for deal in deals:
        row = rows[deal.stage_id]
        amount = deal.amount_base or Decimal("0")
        row["open_count"] += 1
        row["open_amount"] += amount
        if _weigh(deal, stats, period, now=now, tenant=tenant):
            row["counted_count"] += 1
            row["counted_amount"] += amount
            row["expected"] += deal.expected
    stages = list(rows.values())
    for row in stages:
        for name in ("open_amount", "counted_amount", "expected"):
            row[name] = _money(row[name])
    expected = sum((r["expected"] for r in stages), Decimal("0"))
    open_amount = sum((r["open_amount"] for r in stages), Decimal("0"))
    forecast = won + expected
    gap = None if quota is None else _money(quota - forecast)
    remaining = None if quota is None else _money(max(quota - won, Decimal("0")))
    coverage = None
    if remaining:
        coverage = round(float(open_amount / remaining), 4)
    return {
        "period": periods.period_label(period.kind, period.start),
        "kind": period.kind,
        "from": period.start,
        "to": period.end,
        "subject": subject.kind,
        "user": subject.id if subject.kind == "user" else None,
        "team": subject.id if subject.kind == "team" else None,
        "name": subject.name,
        "manager": subject.manager,
        "currency": tenant.currency,
        "quota": None if quota is None else _money(quota),
        "won": _money(won),
        "expected": _money(expected),
        "forecast": _money(forecast),
        "gap": gap,
        "at_risk": gap is not None and gap > 0,
        "remaining": remaining,
        "coverage": coverage,
        "open_count": sum(r["open_count"] for r in stages),
        "open_amount": _money(open_amount),
        "counted_count": sum(r["counted_count"] for r in stages),
        "counted_amount": _money(sum((r["counted_amount"] for r in stages), Decimal("0"))),
        "lookback_days": LOOKBACK_DAYS,
        "min_history": MIN_HISTORY,
        "stages": stages,
    }


def plan_risk_many(
    *,
    actor: Actor,
    kind: str,
    start: datetime.date,
    subjects: list[Subject],
    pipeline_id: int | None = None,
    now=None,
) -> dict[tuple[str, int], dict]:
    """The plan risk of several reps and teams for one period, in a fixed number of
    queries: {subject.key: report}. With `pipeline_id`, won and expected are that
    pipeline's and the quota is the whole one (see the module's definitions)."""
    now = now or timezone.now()
    tenant = actor.tenant
    period = _period(tenant, kind, start)
    stages = report_stages(tenant, pipeline_id)
    stats = stage_statistics(tenant, stages, now=now)
    owners = {owner for s in subjects for owner in s.owner_ids}
    deals_of: dict[int, list] = {}
    for deal in _open_deals(actor, owners, list(stats)) if owners else []:
        deals_of.setdefault(deal.owner_id, []).append(deal)
    quotas = plans.quotas_of(
        tenant,
        start=period.start,
        end=period.end,
        # A team without its own quota plans its members' (`plans.team_plan`).
        user_ids=sorted({s.id for s in subjects if s.kind == "user"} | owners),
        team_ids=[s.id for s in subjects if s.kind == "team"],
    )
    won = won_by_owner(tenant, period.begin, period.finish, owners, pipeline_id) if owners else {}
    reports = {}
    for subject in subjects:
        deals = [d for owner in sorted(set(subject.owner_ids)) for d in deals_of.get(owner, [])]
        reports[subject.key] = _risk(
            subject,
            period,
            stats,
            deals,
            quota=plans.team_plan(quotas, subject.id, subject.owner_ids, kind, start)
            if subject.kind == "team"
            else plans.rolled_up_plan(quotas.get(subject.key, {}), kind, start),
            won=_won_of(won, subject.owner_ids),
            tenant=tenant,
            now=now,
        )
    return reports


def plan_risk(
    *,
    actor: Actor,
    kind: str,
    start: datetime.date,
    user_id: int | None = None,
    team_id: int | None = None,
    pipeline_id: int | None = None,
    now=None,
) -> dict:
    """The plan risk of a rep (default: the actor) or a team for the period `kind` starting
    on `start` (see the module's definitions). A rep, team or pipeline of another
    organisation, or outside what the reader may see, raises ObjectDoesNotExist (404)."""
    subject = resolve_subject(actor, user_id=user_id, team_id=team_id)
    reports = plan_risk_many(
        actor=actor, kind=kind, start=start, subjects=[subject], pipeline_id=pipeline_id, now=now
    )
    return reports[subject.key]


def weighed_open_deals(
    *,
    actor: Actor,
    kind: str,
    start: datetime.date,
    user_id: int | None = None,
    team_id: int | None = None,
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    now=None,
) -> list[Opportunity]:
    """Every open deal in scope (optionally of one open stage), each weighed as the report
    weighs it: `win_rate`, `win_rate_source`, `expected_close`, and `expected` (None when
    the deal does not count in the period)."""
    now = now or timezone.now()
    tenant = actor.tenant
    subject = resolve_subject(actor, user_id=user_id, team_id=team_id)
    period = _period(tenant, kind, start)
    stages = report_stages(tenant, pipeline_id)
    if stage_id is not None:
        stages = [s for s in stages if s.pk == stage_id]
        if not stages:
            raise Stage.DoesNotExist
    stats = stage_statistics(tenant, stages, now=now)
    if not subject.owner_ids:
        return []
    deals = list(_open_deals(actor, subject.owner_ids, list(stats), details=True))
    for deal in deals:
        _weigh(deal, stats, period, now=now, tenant=tenant)
    return deals


def plan_risk_deals(**arguments) -> list[Opportunity]:
    """The open deals that count in `expected` (see weighed_open_deals), largest expected
    contribution first. Their contributions add up to the report's `expected`."""
    counted = [d for d in weighed_open_deals(**arguments) if d.expected is not None]
    return sorted(counted, key=lambda d: (-d.expected, d.pk))
