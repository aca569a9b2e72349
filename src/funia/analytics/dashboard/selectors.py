"""The elements of the sales dashboard, each computed by the report that owns its numbers
(so the dashboard can never disagree with the report pages) and linked to the drill-down
that lists the deals behind every number:

- **funnel**: the snapshot funnel (`funnel_snapshot`), deals and amount per open stage;
- **conversion**: the historical funnel (`funnel_history`, mode any) of the last N days:
  the conversion of each open stage to the next (advanced ÷ entered), against the N days
  before, and per owner outside the "me" scope;
- **plan**: plan (quota) vs fact (won) of this month, this quarter and the past months,
  from the forecast report (`forecast.services`, which counts through `sales.plans`),
  and the plan risk (`plan_risk`) of the month and the quarter;
- **forecast**: the next three close months by forecast category (`forecast.services`);
- **risk**: the top deals at risk (`dashboard.risk`).
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from funia.analytics.dashboard import charts
from funia.analytics.dashboard.risk import RiskParams, deals_at_risk, describe
from funia.analytics.dashboard.scope import COMPANY, ME, Scope
from funia.analytics.drilldown import ALL_STAGES
from funia.analytics.filters import HistoryParams, SnapshotParams
from funia.analytics.funnel_history import NO_GROUP, historical_funnel
from funia.analytics.funnel_snapshot import snapshot_funnel
from funia.core import periods
from funia.core.actor import Actor
from funia.sales.models import Pipeline, StageKind

PERIOD_DAYS = (30, 90, 180, 365)
DEFAULT_DAYS = 90
TOP_AT_RISK = 10
FORECAST_MONTHS = 3
PAST_MONTHS = 5  # plus the current one: six months of plan vs fact


def url(name: str, query: dict | None = None) -> str:
    """The path of a page with its query ("" when the page does not exist)."""
    try:
        path = reverse(name)
    except NoReverseMatch:
        return ""
    query = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    return f"{path}?{urlencode(query)}" if query else path


def money(amount, currency: str, decimals: int = 0) -> str:
    """An amount as the dashboard shows it: grouped, in the page's language, with currency."""
    if amount is None:
        return "—"
    value = Decimal(amount).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{number_format(value, decimals, force_grouping=True)} {currency}"


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{round(ratio * 100)} %"


def scope_filters(scope: Scope, pipeline: Pipeline | None = None) -> dict:
    values = {k: v for k, v in scope.filters().items() if v is not None}
    if pipeline is not None:
        values["pipeline"] = pipeline.pk
    return values


# -- funnel ----------------------------------------------------------------------------------


def funnel_element(actor: Actor, scope: Scope, pipeline: Pipeline) -> dict:
    """The snapshot funnel of the scope: every stage's bar links to its deals."""
    filters = scope_filters(scope, pipeline)
    report = snapshot_funnel(actor=actor, params=SnapshotParams(**filters))
    currency = report["currency"]
    for row in report["stages"]:
        row["url"] = url(
            "funnel_drilldown", {**filters, "report": "snapshot", "stage": row["stage"]}
        )
        row["amount_text"] = money(row["amount"], currency)
    chart = charts.bar_chart(
        [
            {
                "label": row["name"],
                "value": row["count"],
                "text": f"{row['count']} · {row['amount_text']}",
                "url": row["url"],
                "title": _("%(stage)s: %(count)s deals, %(amount)s")
                % {"stage": row["name"], "count": row["count"], "amount": row["amount_text"]},
            }
            for row in report["stages"]
        ]
    )
    return {
        "report": report,
        "chart": chart,
        "currency": currency,
        "total_amount_text": money(report["total_amount"], currency),
        # Every open deal of the stages above: the totals.
        "total_url": url(
            "funnel_drilldown", {**filters, "report": "snapshot", "stage": ALL_STAGES}
        ),
        "report_url": url("funnel_report", filters),
    }


# -- conversion ------------------------------------------------------------------------------


def conversion_period(tenant, days: int, today: datetime.date | None = None):
    """The last `days` days up to today included, and the `days` days before."""
    today = today or periods.today(tenant)
    end = today + datetime.timedelta(days=1)
    start = end - datetime.timedelta(days=days)
    return (start, end), (start - datetime.timedelta(days=days), start)


def _transitions(stages: list[dict]) -> list[dict]:
    """Each open stage with the name of the stage after it (the first won stage after the
    last open one)."""
    open_rows = [r for r in stages if r["kind"] == StageKind.OPEN]
    won = next((r["name"] for r in stages if r["kind"] == StageKind.WON), _("Won"))
    names = [r["name"] for r in open_rows[1:]] + [won]
    return [{**row, "next": name} for row, name in zip(open_rows, names, strict=True)]


def _delta(now: float | None, before: float | None) -> int | None:
    """The change in percentage points (None when either side has no conversion)."""
    if now is None or before is None:
        return None
    return round(now * 100) - round(before * 100)


def conversion_element(
    actor: Actor, scope: Scope, pipeline: Pipeline, days: int = DEFAULT_DAYS, today=None
) -> dict:
    """Conversion from each open stage to the next in the period, its change against the
    period before, and (outside "me") one row per owner; every number links to its deals."""
    (start, end), (before_start, before_end) = conversion_period(actor.tenant, days, today)
    filters = scope_filters(scope, pipeline)
    by_owner = scope.kind != ME
    group_by = "owner" if by_owner else None
    base = {**filters, "from": start.isoformat(), "to": end.isoformat(), "mode": "any"}
    params = HistoryParams(**base, group_by=group_by)
    report = historical_funnel(actor=actor, params=params)
    previous = historical_funnel(
        actor=actor,
        params=HistoryParams(
            **{**base, "from": before_start.isoformat(), "to": before_end.isoformat()},
            group_by=group_by,
        ),
    )

    def links(stage_id: int, group=None) -> dict:
        query = {**base, "report": "history", "stage": stage_id}
        if group is not None:
            query.update(group_by="owner", group=group)
        return {
            metric: url("funnel_drilldown", {**query, "metric": metric})
            for metric in ("entered", "advanced", "not_advanced", "lost", "open")
        }

    def cells(stages: list[dict], before: list[dict], group=None) -> list[dict]:
        earlier = {r["stage"]: r for r in before}
        rows = []
        for row in _transitions(stages):
            old = earlier.get(row["stage"], {}).get("conversion")
            rows.append(
                {
                    **row,
                    "label": f"{row['name']} → {row['next']}",
                    "previous": old,
                    "delta": _delta(row["conversion"], old),
                    "delta_abs": abs(_delta(row["conversion"], old) or 0),
                    "urls": links(row["stage"], group),
                    "conversion_text": percent(row["conversion"]),
                }
            )
        return rows

    transitions = cells(report["stages"], previous["stages"])
    chart = charts.bar_chart(
        [
            {
                "label": t["label"],
                "value": (t["conversion"] or 0) * 100,
                "text": f"{t['conversion_text']} ({t['advanced']}/{t['entered']})",
                "url": t["urls"]["advanced"],
                "title": _("%(label)s: %(advanced)s of %(entered)s deals advanced")
                % {"label": t["label"], "advanced": t["advanced"], "entered": t["entered"]},
            }
            for t in transitions
        ],
        scale=100,
    )
    owners = []
    if by_owner:
        before_groups = {g["key"]: g["stages"] for g in previous.get("groups") or []}
        for group in report.get("groups") or []:
            key = NO_GROUP if group["key"] is None else str(group["key"])
            owners.append(
                {
                    "key": key,
                    "label": group["label"],
                    "cells": cells(group["stages"], before_groups.get(group["key"], []), key),
                }
            )
    return {
        "days": days,
        "start": start,
        "end": end - datetime.timedelta(days=1),
        "previous_start": before_start,
        "transitions": transitions,
        "chart": chart,
        "owners": owners,
        "by_owner": by_owner,
        "report_url": url("funnel_report", {**base, "group_by": group_by}),
    }


# -- plan vs fact and forecast ---------------------------------------------------------------


def _forecast(actor: Actor, scope: Scope, pipeline_id=None) -> tuple[dict, dict]:
    """The forecast report of the scope (the next close months and the past months of plan
    vs fact), and its parameters as the forecast's drill-down takes them."""
    from funia.analytics.forecast.schemas import ForecastParams
    from funia.analytics.forecast.services import forecast_report

    query = {
        **scope_filters(scope),
        "months": FORECAST_MONTHS,
        "months_back": PAST_MONTHS,
        "pipeline": pipeline_id,
    }
    query = {k: v for k, v in query.items() if v is not None}
    return forecast_report(actor=actor, params=ForecastParams(**query)), query


def _plan_risk(actor: Actor, scope: Scope, kind: str, start: datetime.date) -> dict | None:
    """The plan risk of the rep or team of the scope for the period (None for the company,
    which has no plan risk of its own, or when the reader may not see it)."""
    from django.core.exceptions import ObjectDoesNotExist

    from funia.analytics.plan_risk.services import plan_risk

    if scope.kind == COMPANY:
        return None
    try:
        return plan_risk(
            actor=actor,
            kind=kind,
            start=start,
            user_id=scope.owner_id if scope.kind == ME else None,
            team_id=scope.team_id,
        )
    except ObjectDoesNotExist:
        return None


def plan_element(actor: Actor, scope: Scope) -> dict:
    """Plan vs fact of this month, this quarter and the months before, with the plan risk
    of the month and the quarter; each fact links to its won deals."""
    currency = actor.tenant.currency
    report, query = _forecast(actor, scope)
    drill = dict(query)
    who = f"user-{scope.owner_id}" if scope.kind == ME else f"team-{scope.team_id}"

    def won_url(key: str) -> str:
        return url("forecast_drilldown", {**drill, "month": key, "category": "won"})

    def line(key, start, plan, won, count, kind) -> dict:
        bar = charts.progress(won, plan)
        risk = _plan_risk(actor, scope, kind, start) if kind else None
        return {
            "key": key,
            "start": start,
            "kind": kind,
            "plan": plan,
            "won": won,
            "count": count,
            "plan_text": money(plan, currency),
            "won_text": money(won, currency),
            "progress": bar,
            "url": won_url(key),
            "risk": risk,
            "risk_url": url("plan_risk_report", {"who": who, "period": key}) if risk else "",
        }

    month_row = next((r for r in report["forecast"]["rows"] if r["kind"] == periods.MONTH), None)
    quarter_row = next(iter(report["quarters"]), None)
    current = []
    for row, kind in ((month_row, periods.MONTH), (quarter_row, periods.QUARTER)):
        if row is not None:
            current.append(
                line(
                    row["key"],
                    row["start"],
                    row["plan"],
                    row["won"]["amount"],
                    row["won"]["count"],
                    kind,
                )
            )
    months = [
        line(r["key"], r["start"], r["plan"], r["won"]["amount"], r["won"]["count"], None)
        for r in report["plan_vs_fact"]["rows"]
    ]
    if month_row is not None:
        months.append(current[0])
    chart = charts.column_chart(
        [
            {
                "label": m["key"],
                "values": {"plan": m["plan"], "won": m["won"]},
                "urls": {"won": m["url"]},
                "titles": {
                    "plan": _("%(month)s plan: %(amount)s")
                    % {"month": m["key"], "amount": m["plan_text"]},
                    "won": _("%(month)s won: %(amount)s")
                    % {"month": m["key"], "amount": m["won_text"]},
                },
            }
            for m in months
        ],
        [
            {"key": "plan", "label": _("Plan"), "tone": "plan"},
            {"key": "won", "label": _("Won"), "tone": "won"},
        ],
    )
    return {
        "current": current,
        "months": months,
        "chart": chart,
        "currency": currency,
        "quotas_url": url("command_center"),
    }


CATEGORIES = (
    ("commit", gettext_lazy("Commit")),
    ("best_case", gettext_lazy("Best case")),
    ("pipeline", gettext_lazy("Pipeline")),
)


def forecast_element(actor: Actor, scope: Scope, pipeline_id=None) -> dict:
    """The next close months: commit, best case and pipeline amounts, the won amount and
    the forecasts; each number links to its deals."""
    report, query = _forecast(actor, scope, pipeline_id)
    currency = report["currency"]
    rows = []
    for row in report["forecast"]["rows"]:
        if row["kind"] != periods.MONTH:
            continue
        cells = []
        for key, label in CATEGORIES:
            cell = row["categories"][key]
            cells.append(
                {
                    "key": key,
                    "label": str(label),
                    "count": cell["count"],
                    "amount": cell["amount"],
                    "amount_text": money(cell["amount"], currency),
                    "adjusted": cell["adjusted"],
                    "url": url(
                        "forecast_drilldown", {**query, "month": row["key"], "category": key}
                    ),
                }
            )
        rows.append(
            {
                "key": row["key"],
                "start": row["start"],
                "cells": cells,
                "won": row["won"]["amount"],
                "won_text": money(row["won"]["amount"], currency),
                "won_url": url(
                    "forecast_drilldown", {**query, "month": row["key"], "category": "won"}
                ),
                "commit_forecast": row["commit_forecast"],
                "commit_forecast_url": url(
                    "forecast_drilldown",
                    {**query, "month": row["key"], "category": "commit_forecast"},
                ),
                "best_case_forecast": row["best_case_forecast"],
                "plan": row["plan"],
                "commit_forecast_text": money(row["commit_forecast"], currency),
                "best_case_forecast_text": money(row["best_case_forecast"], currency),
                "weighted_text": money(row["weighted"], currency),
                "plan_text": money(row["plan"], currency),
            }
        )
    chart = charts.column_chart(
        [
            {
                "label": r["key"],
                "values": {c["key"]: c["amount"] for c in r["cells"]},
                "urls": {c["key"]: c["url"] for c in r["cells"]},
                "titles": {
                    c["key"]: f"{r['key']} {c['label']}: {c['amount_text']}" for c in r["cells"]
                },
            }
            for r in rows
        ],
        [{"key": key, "label": label, "tone": key.replace("_", "-")} for key, label in CATEGORIES],
    )
    return {
        "rows": rows,
        "chart": chart,
        "currency": currency,
        "report_url": url("forecast_report", query),
    }


# -- deals at risk ---------------------------------------------------------------------------


def risk_element(actor: Actor, scope: Scope, pipeline: Pipeline | None) -> dict:
    """The largest deals at risk of the scope (at most TOP_AT_RISK) and how many there are."""
    filters = scope_filters(scope, pipeline)
    deals = deals_at_risk(actor=actor, params=RiskParams(**filters))
    top = list(deals[:TOP_AT_RISK])
    count = len(top) if len(top) < TOP_AT_RISK else deals.count()
    currency = actor.tenant.currency
    rows = [risk_row(deal, currency) for deal in top]
    return {"rows": rows, "count": count, "list_url": url("deals_at_risk", filters)}


def risk_row(deal, currency: str) -> dict:
    from funia.analytics.views import deal_url

    return {
        "deal": deal,
        "url": deal_url(deal.pk),
        "amount_text": money(deal.amount_base, currency) if deal.amount_base is not None else "—",
        **describe(deal),
    }
