"""Pages of the sales dashboard: the dashboard (its elements load as HTMX fragments, each
table exports as CSV), the full list of deals at risk, and /reports/ leading to it."""

import csv

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError as SchemaError

from funia.analytics.dashboard import selectors
from funia.analytics.dashboard.risk import RiskParams, deals_at_risk
from funia.analytics.dashboard.scope import dashboard_scope
from funia.analytics.filters import report_pipeline
from funia.core.selectors import membership_list, team_list
from funia.customers.exports import neutralise
from funia.sales.models import Pipeline
from funia.web.decorators import member_required
from funia.web.htmx import render_page_or_fragment, wants_fragment

ELEMENTS = {
    "funnel": gettext_lazy("Funnel now"),
    "plan": gettext_lazy("Plan vs fact"),
    "conversion": gettext_lazy("Conversion per stage"),
    "risk": gettext_lazy("Deals at risk"),
    "forecast": gettext_lazy("Forecast"),
}
# Elements that need a pipeline (the chosen one, else the default one).
NEEDS_PIPELINE = {"funnel", "conversion"}
EXPORTS = ("funnel", "conversion", "conversion_by_owner", "plan", "forecast", "risk")
PAGE_SIZE = 50


def csv_response(filename: str, header: list, rows) -> HttpResponse:
    """A CSV download; text cells a spreadsheet would run as formulas are neutralised."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise("" if v is None else str(v)) for v in row])
    return response


class Dashboard:
    """What one request of the dashboard asks for: scope, pipeline, period."""

    def __init__(self, request):
        self.actor = request.actor
        get = request.GET
        self.scope = dashboard_scope(self.actor, kind=get.get("scope"), team=get.get("team"))
        self.pipelines = list(
            Pipeline.objects.for_tenant(self.actor.tenant).order_by("position", "id")
        )
        chosen = get.get("pipeline", "")
        self.chosen_pipeline = None
        if chosen.isdecimal():
            found = next((p for p in self.pipelines if str(p.pk) == chosen), None)
            if found is None:
                raise Http404
            self.chosen_pipeline = found
        self.pipeline = self.chosen_pipeline
        if self.pipeline is None:
            try:
                self.pipeline = report_pipeline(self.actor, None)
            except ObjectDoesNotExist:
                self.pipeline = None
        days = get.get("days", "")
        self.days = (
            int(days)
            if days.isdecimal() and int(days) in selectors.PERIOD_DAYS
            else selectors.DEFAULT_DAYS
        )
        self.query = {
            **self.scope.query(),
            "pipeline": self.chosen_pipeline.pk if self.chosen_pipeline else None,
            "days": self.days if self.days != selectors.DEFAULT_DAYS else None,
        }

    def link(self, **extra) -> str:
        return selectors.url("sales_dashboard", {**self.query, **extra})

    def element(self, name: str) -> dict:
        """The data of one element (None: it needs a pipeline and there is none)."""
        actor, scope = self.actor, self.scope
        if name in NEEDS_PIPELINE and self.pipeline is None:
            return None
        if name == "funnel":
            return selectors.funnel_element(actor, scope, self.pipeline)
        if name == "conversion":
            return selectors.conversion_element(actor, scope, self.pipeline, self.days)
        if name == "plan":
            return selectors.plan_element(actor, scope)
        if name == "forecast":
            chosen = self.chosen_pipeline.pk if self.chosen_pipeline else None
            return selectors.forecast_element(actor, scope, chosen)
        return selectors.risk_element(actor, scope, self.chosen_pipeline)

    def context(self) -> dict:
        return {
            "scope": self.scope,
            "pipelines": self.pipelines,
            "pipeline": self.pipeline,
            "chosen_pipeline": self.chosen_pipeline,
            "days": self.days,
            "period_days": selectors.PERIOD_DAYS,
            "elements": [
                {"name": name, "title": title, "url": self.link(element=name)}
                for name, title in ELEMENTS.items()
            ],
            "currency": self.actor.tenant.currency,
        }


@member_required
def dashboard_view(request):
    """The dashboard page; `?element=<name>` answers one element (the page loads each with
    HTMX), `?export=<table>` one table as CSV."""
    board = Dashboard(request)
    export = request.GET.get("export")
    if export in EXPORTS:
        name = "conversion" if export == "conversion_by_owner" else export
        data = board.element(name)
        if data is None:
            raise Http404
        return EXPORTERS[export](data)
    name = request.GET.get("element")
    context = board.context()
    if name in ELEMENTS:
        data = board.element(name)
        context.update(
            element=name,
            title=ELEMENTS[name],
            data=data,
            csv_url=board.link(export=name),
            csv_by_owner_url=board.link(export="conversion_by_owner"),
        )
        return render(request, f"analytics/dashboard/_{name}.html", context)
    return render_page_or_fragment(
        request, "analytics/dashboard/dashboard.html", "analytics/dashboard/_body.html", context
    )


@member_required
def reports_view(request):
    """/reports/: the reports start at the dashboard."""
    return redirect("sales_dashboard")


# -- CSV exports of the dashboard's tables ----------------------------------------------------


def _export_funnel(data) -> HttpResponse:
    header = [_("Stage"), _("Deals"), _("Amount"), _("Weighted amount"), _("Average age (days)")]
    rows = [
        [r["name"], r["count"], r["amount"], r["weighted_amount"], r["avg_age_days"]]
        for r in data["report"]["stages"]
    ]
    return csv_response("dashboard-funnel.csv", header, rows)


CONVERSION_HEADER = [
    gettext_lazy("From stage"),
    gettext_lazy("To stage"),
    gettext_lazy("Entered"),
    gettext_lazy("Advanced"),
    gettext_lazy("Lost"),
    gettext_lazy("Open"),
    gettext_lazy("Conversion"),
    gettext_lazy("Previous period"),
    gettext_lazy("Change (points)"),
]


def _conversion_cells(t) -> list:
    return [
        t["name"],
        t["next"],
        t["entered"],
        t["advanced"],
        t["lost"],
        t["open"],
        t["conversion"],
        t["previous"],
        t["delta"],
    ]


def _export_conversion(data) -> HttpResponse:
    rows = [_conversion_cells(t) for t in data["transitions"]]
    header = [str(h) for h in CONVERSION_HEADER]
    return csv_response("dashboard-conversion.csv", header, rows)


def _export_conversion_by_owner(data) -> HttpResponse:
    rows = [[o["label"], *_conversion_cells(t)] for o in data["owners"] for t in o["cells"]]
    header = [_("Owner"), *[str(h) for h in CONVERSION_HEADER]]
    return csv_response("dashboard-conversion-by-owner.csv", header, rows)


def _export_plan(data) -> HttpResponse:
    header = [_("Period"), _("Plan"), _("Won"), _("Won deals"), _("Of plan (%)"), _("At risk")]
    rows = []
    for line in [*data["months"], *data["current"][1:]]:
        risk = line.get("risk")
        rows.append(
            [
                line["key"],
                line["plan"],
                line["won"],
                line["count"],
                line["progress"].percent,
                ""
                if risk is None or risk["quota"] is None
                else (_("yes") if risk["at_risk"] else _("no")),
            ]
        )
    return csv_response("dashboard-plan.csv", header, rows)


def _export_forecast(data) -> HttpResponse:
    header = [
        _("Month"),
        _("Commit"),
        _("Best case"),
        _("Pipeline"),
        _("Won"),
        _("Commit forecast"),
        _("Best-case forecast"),
        _("Plan"),
    ]
    rows = [
        [
            r["key"],
            *[c["amount"] for c in r["cells"]],
            r["won"],
            r["commit_forecast"],
            r["best_case_forecast"],
            r["plan"],
        ]
        for r in data["rows"]
    ]
    return csv_response("dashboard-forecast.csv", header, rows)


RISK_HEADER = [
    gettext_lazy("Id"),
    gettext_lazy("Deal"),
    gettext_lazy("Account"),
    gettext_lazy("Owner"),
    gettext_lazy("Pipeline"),
    gettext_lazy("Stage"),
    gettext_lazy("Amount"),
    gettext_lazy("Days in stage"),
    gettext_lazy("Usual days"),
    gettext_lazy("Times usual"),
]


def _risk_cells(row) -> list:
    deal = row["deal"]
    return [
        deal.pk,
        deal.name,
        deal.account.name if deal.account else "",
        (deal.owner.get_full_name() or deal.owner.email) if deal.owner else "",
        deal.pipeline.name,
        deal.stage.name,
        deal.amount_base,
        row["days_in_stage"],
        row["usual_days"],
        row["ratio"],
    ]


def _export_risk(data) -> HttpResponse:
    rows = [_risk_cells(r) for r in data["rows"]]
    return csv_response("dashboard-deals-at-risk.csv", [str(h) for h in RISK_HEADER], rows)


EXPORTERS = {
    "funnel": _export_funnel,
    "conversion": _export_conversion,
    "conversion_by_owner": _export_conversion_by_owner,
    "plan": _export_plan,
    "forecast": _export_forecast,
    "risk": _export_risk,
}


# -- the list of deals at risk ------------------------------------------------------------------

RISK_FIELDS = ("pipeline", "owner", "team", "territory", "source")


def _parse_risk(values: dict) -> tuple[RiskParams, dict]:
    """The filters, and field errors for the values refused (then left out)."""
    errors: dict = {}
    try:
        return RiskParams(**values), errors
    except SchemaError as exc:
        bad = set()
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "pipeline"
            errors[name] = error["msg"].removeprefix("Value error, ")
            bad.add(name)
    try:
        return RiskParams(**{k: v for k, v in values.items() if k not in bad}), errors
    except SchemaError:
        return RiskParams(), errors


@member_required
def deals_at_risk_view(request):
    """Every deal at risk in the filters, paginated; `?format=csv` exports them all."""
    actor = request.actor
    values = {n: request.GET[n] for n in RISK_FIELDS if request.GET.get(n) not in (None, "")}
    params, errors = _parse_risk(values)
    try:
        deals = deals_at_risk(actor=actor, params=params)
        if request.GET.get("format") == "csv":
            currency = actor.tenant.currency
            rows = [_risk_cells(selectors.risk_row(d, currency)) for d in deals.iterator()]
            return csv_response("deals-at-risk.csv", [str(h) for h in RISK_HEADER], rows)
        page = Paginator(deals, PAGE_SIZE).get_page(request.GET.get("page"))
    except ObjectDoesNotExist:
        raise Http404 from None
    currency = actor.tenant.currency
    query = {k: v for k, v in values.items() if k not in errors}
    context = {
        "values": values,
        "params": params,
        "errors": errors,
        "page": page,
        "rows": [selectors.risk_row(d, currency) for d in page.object_list],
        "base_query": selectors.url("deals_at_risk", query).partition("?")[2],
        "csv_url": selectors.url("deals_at_risk", {**query, "format": "csv"}),
        "dashboard_url": selectors.url("sales_dashboard"),
    }
    if not wants_fragment(request):
        from funia.sales.territories.selectors import territory_list

        context.update(
            pipelines=Pipeline.objects.for_tenant(actor.tenant).order_by("position", "id"),
            owners=membership_list(tenant=actor.tenant),
            teams=team_list(tenant=actor.tenant),
            territories=territory_list(actor=actor),
        )
    return render_page_or_fragment(
        request,
        "analytics/dashboard/deals_at_risk.html",
        "analytics/dashboard/_risk_rows.html",
        context,
    )
