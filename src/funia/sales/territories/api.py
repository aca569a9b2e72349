"""API of /territories (rules, reps, order), the accounts of a territory and the coverage
report /reports/territories."""

from ninja import Query, Router
from ninja.pagination import paginate

from funia.api.pagination import Page
from funia.api.records import RecordRoutes
from funia.api.schemas import Id
from funia.sales.territories import coverage, selectors, services
from funia.sales.territories.schemas import (
    CoverageOut,
    CoverageParams,
    TerritoryAccountOut,
    TerritoryAccountsParams,
    TerritoryFilter,
    TerritoryIn,
    TerritoryOrderIn,
    TerritoryOut,
    TerritoryPatch,
)

router = Router(tags=["territories"])

COVERAGE_HELP = (
    "Per active territory, in matching order, and one row (`territory`: null) for the "
    "accounts of no territory: `reps` (active users among the territory's reps, with "
    "`rep_ids`), `accounts` you may see, split into `customers` (active customers: a live "
    "deal now won whose win is in the active window, or a live order, not cancelled, dated "
    "in it) and `prospects` (the other accounts), `open_pipeline` / `open_deals` (live deals "
    "you may see now in an open stage, amounts in the organisation's currency), "
    "`weighted_pipeline` (each amount times its stage's probability) and `revenue` / "
    "`won_deals` (deals won in [from, to), default: the current calendar year). The active "
    "window is the `active_months` months (1 to 120, default 12) ending today in the "
    "organisation's time zone, from `active_since` to `active_until` (today), both "
    "included; every deal and order of the organisation decides, also those you may not "
    "see. An account belongs to the first active territory, by position, whose rules it "
    "matches."
)


def territory_fields(data: dict) -> dict:
    """API payload -> service fields: `manager` -> manager_id, `reps` -> rep_ids; null lists
    are empty lists; a null name, position or is_active leaves them unchanged."""
    refs = {"manager": "manager_id", "reps": "rep_ids"}
    fields = {refs.get(name, name): value for name, value in data.items()}
    for name in ("countries", "regions", "industries", "rep_ids"):
        if name in fields and fields[name] is None:
            fields[name] = []
    for name in ("name", "position", "is_active"):
        if name in fields and fields[name] is None:
            fields.pop(name)
    return fields


# Before the record routes: /territories/{territory_id} would capture this path.
@router.post(
    "/territories/order",
    response=list[TerritoryOut],
    operation_id="territory_reorder",
    summary="Set the order in which territories are matched (administrators)",
)
def territory_reorder(request, payload: TerritoryOrderIn):
    services.territory_reorder(by=request.auth, territory_ids=payload.territories)
    return list(selectors.territory_list(actor=request.auth))


RecordRoutes(
    name="territory",
    plural="territories",
    label="territory",
    output=TerritoryOut,
    create_input=TerritoryIn,
    patch_input=TerritoryPatch,
    filters=TerritoryFilter,
    list_selector=selectors.territory_list,
    get_selector=selectors.territory_get,
    create=services.territory_create,
    update=services.territory_update,
    delete=services.territory_delete,
    restore=services.territory_restore,
    to_fields=territory_fields,
).register(router)


@router.get(
    "/territories/{territory_id}/accounts",
    response=list[TerritoryAccountOut],
    operation_id="territory_accounts",
    summary="The accounts you may see in a territory, as prospects or customers",
    description=(
        "`status`: `customer` (a live deal now won whose win is in the active window, or a "
        "live order, not cancelled, dated in it) or `prospect` (neither); the active window "
        "is the `active_months` months ending today, as in the coverage report."
    ),
)
@paginate(Page)
def territory_accounts(request, territory_id: Id, params: Query[TerritoryAccountsParams]):
    return selectors.territory_accounts(
        actor=request.auth,
        territory_id=territory_id,
        status=params.status,
        window=selectors.active_window(request.auth.tenant, params.active_months),
    )


@router.get(
    "/reports/territories",
    response=CoverageOut,
    by_alias=True,
    operation_id="territory_coverage",
    summary="Territory coverage: reps, prospects and customers, pipeline and revenue",
    description=COVERAGE_HELP,
)
def territory_coverage(request, params: Query[CoverageParams]):
    return coverage.coverage_report(
        actor=request.auth,
        start=params.from_,
        end=params.to,
        active_months=params.active_months,
    )
