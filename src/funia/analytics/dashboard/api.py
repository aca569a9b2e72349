"""API of the dashboard: the deals at risk (definitions in `dashboard.risk`)."""

from ninja import Query, Router
from ninja.pagination import paginate

from funia.analytics.dashboard.risk import RiskParams, deals_at_risk
from funia.analytics.dashboard.schemas import RiskDealOut
from funia.api.pagination import Page

router = Router(tags=["reports"])

RISK_HELP = (
    "Open deals stuck in their current stage longer than usual. The usual time of a stage is "
    "the 75th percentile (nearest rank) of the stays in it that ended in the last 365 days, "
    "over every live deal of the organisation (a stay lasts from an entry into the stage to "
    "the deal's next entry); with fewer than 10 such stays it is 30 days. A deal is at risk "
    "when days_in_stage (since it entered its current stage) exceeds the usual time; ratio = "
    "days_in_stage / usual_days. Largest amount (organisation currency) first, deals without "
    "an amount last, then by ratio. Only deals you may see; `pipeline` (default: every "
    "pipeline) and `territory` of another organisation are 404."
)


@router.get(
    "/reports/deals-at-risk",
    response=list[RiskDealOut],
    summary="Deals at risk: open deals stuck longer than usual in their stage",
    description=RISK_HELP,
)
@paginate(Page)
def deals_at_risk_list(request, params: Query[RiskParams]):
    return deals_at_risk(actor=request.auth, params=params)
