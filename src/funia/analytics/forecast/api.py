"""API of the sales forecast (/reports/forecast, its drill-down) and of the managers'
adjustments (/forecast-adjustments). The definitions are in `forecast.services`."""

import functools

from ninja import Query, Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from funia.analytics.forecast import adjustments, selectors
from funia.analytics.forecast.schemas import (
    ForecastAdjustmentFilter,
    ForecastAdjustmentIn,
    ForecastAdjustmentOut,
    ForecastAdjustmentPatch,
    ForecastDealOut,
    ForecastDrilldownParams,
    ForecastOut,
    ForecastParams,
)
from funia.analytics.forecast.services import forecast_report
from funia.api.pagination import Page
from funia.api.records import RecordRoutes

router = Router(tags=["forecast"])

FORECAST_HELP = (
    "The forecast of the deals you may see (all pipelines unless `pipeline` is given), per "
    "close month from `from` (YYYY-MM, default this month) for `months` months, with the "
    "columns `overdue` (open deals whose expected close date is before the first month) and "
    "`none` (no close date), then `total`. Per column and category (commit, best_case, "
    "pipeline): the count and amount (organisation currency) of open deals; omitted deals "
    "are left out and an open deal marked closed counts as commit. weighted = Σ amount × the "
    "stage's probability; won = deals now won whose win falls in the month (the fact); "
    "commit_forecast = won + commit; best_case_forecast = won + commit + best case. A "
    "manager's adjustment of a rep's category for the month (or quarter, in `quarters`) "
    "replaces the computed amount: `amount` is the value used by every roll-up, `computed` "
    "the deals' sum; with a pipeline filter adjustments are shown, not applied. plan = the "
    "quota (a rep's, a team's; overall: the sum of the reps' plans, else of the teams'). "
    "trend = a least-squares line through the won amounts of the `trend_months` months "
    "before `from`, floored at 0; win_rate_forecast = won + the win rate of those months × "
    "the open amount. plan_vs_fact: the `months_back` months before `from`. group_by gives "
    "one table per owner or team (a rep in several teams counts in each). Every number "
    "lists its deals at /reports/forecast/deals."
)


@router.get(
    "/reports/forecast",
    response=ForecastOut,
    summary="Sales forecast: categories, weighted pipeline, won, plan and trend per month",
    description=FORECAST_HELP,
)
def forecast(request, params: Query[ForecastParams]):
    return forecast_report(actor=request.auth, params=params)


@router.get(
    "/reports/forecast/deals",
    response=list[ForecastDealOut],
    summary="The deals behind a number of the forecast",
    description=(
        "The same parameters as the report, and `month` (a column's key), `category` and "
        "`group` (a group's key with the same group_by): exactly the deals behind that "
        "number; the list's count equals it."
    ),
)
@paginate(Page)
def forecast_deals(request, params: Query[ForecastDrilldownParams]):
    return selectors.forecast_drilldown(
        actor=request.auth,
        params=params,
        month=params.month,
        category=params.category,
        group=params.group,
    )


def adjustment_fields(data: dict) -> dict:
    """API payload -> service fields: `user` becomes `user_id`; null leaves a field as it is
    (the note: emptied)."""
    fields = {("user_id" if name == "user" else name): value for name, value in data.items()}
    if "note" in fields and fields["note"] is None:
        fields["note"] = ""
    return {k: v for k, v in fields.items() if v is not None}


def _conflict_is_409(write):
    """A second live adjustment of the same rep, period and category answers 409."""

    @functools.wraps(write)
    def wrapped(**kwargs):
        try:
            return write(**kwargs)
        except adjustments.AdjustmentExists as exc:
            raise HttpError(409, " ".join(exc.messages)) from exc

    return wrapped


RecordRoutes(
    name="forecast_adjustment",
    plural="forecast-adjustments",
    label="forecast adjustment",
    output=ForecastAdjustmentOut,
    create_input=ForecastAdjustmentIn,
    patch_input=ForecastAdjustmentPatch,
    filters=ForecastAdjustmentFilter,
    list_selector=selectors.forecast_adjustment_list,
    get_selector=selectors.forecast_adjustment_get,
    create=_conflict_is_409(adjustments.forecast_adjustment_create),
    update=_conflict_is_409(adjustments.forecast_adjustment_update),
    delete=adjustments.forecast_adjustment_delete,
    restore=_conflict_is_409(adjustments.forecast_adjustment_restore),
    to_fields=adjustment_fields,
).register(router)
