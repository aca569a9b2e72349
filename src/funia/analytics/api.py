"""API of the pipeline reports (/reports/...): the snapshot and historical funnels and
their drill-downs. The definitions are in `funnel_snapshot` and `funnel_history`."""

from typing import Literal

from ninja import Query, Router
from ninja.pagination import paginate
from pydantic import Field

from funia.analytics import drilldown
from funia.analytics.filters import HistoryParams, SnapshotParams
from funia.analytics.funnel_history import historical_funnel
from funia.analytics.funnel_snapshot import snapshot_funnel
from funia.analytics.schemas import DrilldownDealOut, HistoryOut, SnapshotOut
from funia.api.pagination import Page
from funia.api.schemas import Id

router = Router(tags=["reports"])

SNAPSHOT_HELP = (
    "Per open stage: live deals now in it (count), their amount in the organisation's "
    "currency, weighted amount (amount × stage probability) and mean age in the stage in "
    "days; the mean and median sales cycle (days from creation to win) of the deals won in "
    "the last `cycle_days` days (default 365). Only deals you may see; a pipeline of "
    "another organisation is 404."
)
HISTORY_HELP = (
    "Deals that entered each stage in [from, to) and what became of them. entered: first "
    "entry into the stage in the period; in mode `any` (default) reaching a later stage or "
    "won without passing it counts as entering it then, in mode `strict` only real entries "
    "count. advanced: reached a later stage or won after that (any time up to now); lost: "
    "lost now without having advanced past the stage; open: the rest. conversion = "
    "advanced / entered (null when entered is 0). Won and lost stages: entered only (deals "
    "whose first entry into that stage is in the period). median_days_in_stage: median of "
    "each deal's total time in the stage, over the deals that entered it in the period, "
    "stayed in it and have left it. Backward moves and reopenings never count a deal twice. "
    "group_by gives one funnel per owner, team (a deal of an owner in several teams counts "
    "in each; `stages` counts it once), source, or month of the entry into the stage."
)


class HistoryDrilldownParams(HistoryParams):
    stage: Id = Field(description="a stage of the pipeline")
    metric: Literal["entered", "advanced", "not_advanced", "lost", "open"] = Field(
        "entered",
        description="entered, advanced, lost, open, or not_advanced (entered and did not "
        "advance: lost + open, the deals a conversion below 100 % leaves)",
    )
    group: str | None = Field(
        None,
        max_length=100,
        description="a group's key from the report (with the same group_by); __none__ for "
        "the group whose key is null",
    )


class SnapshotDrilldownParams(SnapshotParams):
    stage: Id | Literal["all"] | None = Field(
        None,
        description="an open stage of the pipeline (metric count); omitted or `all`: every "
        "open stage (the totals row)",
    )
    metric: Literal["count", "won"] = Field(
        "count",
        description="count: the deals now in the stage; won: the deals of the sales cycle",
    )


@router.get(
    "/reports/funnel/snapshot",
    response=SnapshotOut,
    summary="Snapshot funnel: active deals per stage now, and the sales cycle",
    description=SNAPSHOT_HELP,
)
def funnel_snapshot(request, params: Query[SnapshotParams]):
    return snapshot_funnel(actor=request.auth, params=params)


@router.get(
    "/reports/funnel/snapshot/drilldown",
    response=list[DrilldownDealOut],
    summary="The deals behind a number of the snapshot funnel",
)
@paginate(Page)
def funnel_snapshot_drilldown(request, params: Query[SnapshotDrilldownParams]):
    stage_id = None if params.stage == drilldown.ALL_STAGES else params.stage
    return drilldown.snapshot_drilldown(
        actor=request.auth, params=params, stage_id=stage_id, metric=params.metric
    )


@router.get(
    "/reports/funnel/history",
    response=HistoryOut,
    by_alias=True,
    exclude_unset=True,
    summary="Historical funnel: entered, advanced, lost, open and conversion per stage",
    description=HISTORY_HELP,
)
def funnel_history(request, params: Query[HistoryParams]):
    return historical_funnel(actor=request.auth, params=params)


@router.get(
    "/reports/funnel/history/drilldown",
    response=list[DrilldownDealOut],
    summary="The deals behind a number of the historical funnel",
)
@paginate(Page)
def funnel_history_drilldown(request, params: Query[HistoryDrilldownParams]):
    return drilldown.history_drilldown(
        actor=request.auth,
        params=params,
        stage_id=params.stage,
        metric=params.metric,
        group=params.group,
    )
