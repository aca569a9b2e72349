"""API of the plan risk (/reports/plan-risk): will a rep or a team make the plan of a
period, and the open deals the expectation rests on. Definitions: `services`."""

from ninja import Query, Router
from ninja.pagination import paginate

from funia.analytics.plan_risk import selectors, services
from funia.analytics.plan_risk.schemas import (
    PlanRiskDealOut,
    PlanRiskDealsParams,
    PlanRiskOut,
    PlanRiskParams,
)
from funia.api.pagination import Page

router = Router(tags=["plan_risk"])

PLAN_RISK_HELP = (
    "For a period (`period`: 2026-11, 2026-Q4 or 2026; default the current quarter) and a "
    "rep (`user`, default you) or a `team`: the quota (the plan; a quarter or year without "
    "its own quota sums its months'), what is won (live deals now won whose win falls in "
    "the period, owned by the rep or the team's current members), and what the open deals "
    "in scope (live, open, owned by the rep or members, that you may see; every pipeline "
    "unless `pipeline`; with `pipeline`, won is that pipeline's too, while the quota stays "
    "whole) are expected to bring by the period's end. Per open stage, the win "
    "rate is the share now won of the deals that entered the stage in the last 365 days "
    "and are closed now (the organisation's history of the stage), or the stage's "
    "probability with fewer than 10 such deals (`win_rate_source`); the time to win is the "
    "median days from a won deal's last entry into the stage to its win (deals won in the "
    "last 365 days). A deal is expected to close at max(now, entry into its stage + that "
    "median) (without a median: its expected close date, not before now; without both it "
    "does not count) and counts when that falls in the period, unless its own expected "
    "close date is after the period. expected = sum of amount x win rate over the deals "
    "that count; forecast = won + expected; gap = quota - forecast; at_risk = gap > 0; "
    "coverage = open amount / (quota - won). A rep, team or pipeline of another "
    "organisation, or outside what you may see, answers 404."
)


@router.get(
    "/reports/plan-risk",
    response=PlanRiskOut,
    by_alias=True,
    operation_id="plan_risk_report",
    summary="Plan risk: quota, won, expected by the period's end, gap and the at-risk flag",
    description=PLAN_RISK_HELP,
)
def plan_risk_report(request, params: Query[PlanRiskParams]):
    kind, start = services.parse_period(params.period, request.auth.tenant)
    return services.plan_risk(
        actor=request.auth,
        kind=kind,
        start=start,
        user_id=params.user,
        team_id=params.team,
        pipeline_id=params.pipeline,
    )


@router.get(
    "/reports/plan-risk/deals",
    response=list[PlanRiskDealOut],
    operation_id="plan_risk_deals",
    summary="The open deals counted in a plan risk's expected amount, or every open deal",
    description=(
        "The deals behind `expected` of the same parameters (optionally of one `stage`), "
        "largest contribution first; their `expected` add up to the report's. With "
        "`deals=open`: every open deal in scope (the report's `open_count` and "
        "`open_amount`, of the stage when given), the counted ones first."
    ),
)
@paginate(Page)
def plan_risk_deals(request, params: Query[PlanRiskDealsParams]):
    kind, start = services.parse_period(params.period, request.auth.tenant)
    return selectors.plan_risk_deal_list(
        actor=request.auth,
        deals=params.deals,
        kind=kind,
        start=start,
        user_id=params.user,
        team_id=params.team,
        pipeline_id=params.pipeline,
        stage_id=params.stage,
    )
