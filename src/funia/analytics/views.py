"""Pages of the funnel report: the snapshot and historical funnels with their definitions,
a chart, CSV exports, and the drill-down page listing the deals behind any number."""

import csv
from urllib.parse import urlencode

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from pydantic import BaseModel
from pydantic import ValidationError as SchemaError

from funia.analytics import drilldown
from funia.analytics.filters import HistoryParams, SnapshotParams, report_pipeline
from funia.analytics.funnel_history import historical_funnel
from funia.analytics.funnel_snapshot import snapshot_funnel
from funia.core.selectors import membership_list, team_list
from funia.customers.exports import neutralise
from funia.sales.models import Pipeline
from funia.sales.territories.selectors import territory_choices
from funia.web.decorators import member_required
from funia.web.htmx import render_page_or_fragment

REPORT_FIELDS = (
    "pipeline",
    "owner",
    "team",
    "source",
    "territory",
    "from",
    "to",
    "mode",
    "group_by",
    "cycle_days",
)
PAGE_SIZE = 50
# The drill-downs of a historical funnel's open stage, in the order of the page's tabs;
# not_advanced (lost + open) is what its conversion leaves.
HISTORY_METRICS = ("entered", "advanced", "not_advanced", "lost", "open")


def _values(request, names=REPORT_FIELDS) -> dict:
    return {n: request.GET.get(n) for n in names if request.GET.get(n) not in (None, "")}


def _parse(model: type[BaseModel], values: dict) -> tuple[BaseModel, dict]:
    """The parameters, and field errors for the values that were refused (then left out)."""
    errors: dict = {}
    for _attempt in range(len(values) + 1):
        try:
            return model(**values), errors
        except SchemaError as exc:
            bad = set()
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else "from"
                errors[name] = error["msg"].removeprefix("Value error, ")
                bad.add(name)
            values = {k: v for k, v in values.items() if k not in bad and k != "from"}
    return model(), errors


def _query(values: dict, **extra) -> str:
    merged = {**values, **{k: v for k, v in extra.items() if v is not None}}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def deal_url(pk: int) -> str | None:
    try:
        return reverse("opportunity_detail", args=[pk])
    except NoReverseMatch:
        return None


def _with_links(report: dict, values: dict, kind: str) -> None:
    """Add to every row the drill-down URL of each of its numbers."""
    base = reverse("funnel_drilldown")
    if kind == "snapshot":
        for row in report["stages"]:
            row["url"] = f"{base}?{_query(values, report='snapshot', stage=row['stage'])}"
        report["won_url"] = f"{base}?{_query(values, report='snapshot', metric='won')}"
        report["total_url"] = (
            f"{base}?{_query(values, report='snapshot', stage=drilldown.ALL_STAGES)}"
        )
        return

    def link(rows, group=None):
        for row in rows:
            row["urls"] = {
                metric: f"{base}?"
                + _query(
                    values,
                    report="history",
                    stage=row["stage"],
                    metric=metric,
                    group=group,
                )
                for metric in HISTORY_METRICS
            }

    link(report["stages"])
    for group in report.get("groups") or []:
        key = group["key"]
        link(group["stages"], "__none__" if key is None else str(key))


def _chart(rows: list[dict], value: str) -> list[dict]:
    """Bars of a funnel chart: each row's share of the largest value, in %."""
    top = max((r[value] or 0 for r in rows), default=0)
    return [{**r, "width": round(100 * (r[value] or 0) / top, 1) if top else 0} for r in rows]


def _csv_response(filename: str, header: list, rows: list) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise("" if v is None else str(v)) for v in row])
    return response


def _snapshot_csv(report: dict) -> HttpResponse:
    header = [_("Stage"), _("Deals"), _("Amount"), _("Weighted amount"), _("Average age (days)")]
    rows = [
        [r["name"], r["count"], r["amount"], r["weighted_amount"], r["avg_age_days"]]
        for r in report["stages"]
    ]
    return _csv_response("funnel-snapshot.csv", header, rows)


def _history_csv(report: dict) -> HttpResponse:
    header = [
        _("Group"),
        _("Stage"),
        _("Entered"),
        _("Advanced"),
        _("Lost"),
        _("Open"),
        _("Conversion"),
        _("Median days in stage"),
    ]
    rows = []
    for label, stages in [(_("All"), report["stages"])] + [
        (g["label"], g["stages"]) for g in report.get("groups") or []
    ]:
        for r in stages:
            rows.append(
                [
                    label,
                    r["name"],
                    r["entered"],
                    r["advanced"],
                    r["lost"],
                    r["open"],
                    r["conversion"],
                    r["median_days_in_stage"],
                ]
            )
    return _csv_response("funnel-history.csv", header, rows)


@member_required
def funnel_report(request):
    actor = request.actor
    values = _values(request)
    params, errors = _parse(HistoryParams, values)
    snapshot_params, snapshot_errors = _parse(SnapshotParams, values)
    errors.update(snapshot_errors)
    pipelines = list(Pipeline.objects.for_tenant(actor.tenant).order_by("position", "id"))
    context = {
        "values": values,
        "errors": errors,
        "pipelines": pipelines,
        "owners": membership_list(tenant=actor.tenant),
        "teams": team_list(tenant=actor.tenant),
        "territories": territory_choices(actor=actor),
        "params": params,
        "snapshot": None,
        "history": None,
    }
    try:
        pipeline = report_pipeline(actor, params.pipeline)
    except ObjectDoesNotExist:
        if params.pipeline is not None:
            raise Http404 from None
        pipeline = None
    if pipeline is not None:
        try:
            snapshot = snapshot_funnel(actor=actor, params=snapshot_params)
            history = historical_funnel(actor=actor, params=params)
        except ObjectDoesNotExist:  # a territory of another organisation or trashed
            raise Http404 from None
        except ValidationError as exc:
            context["errors"].update({k: " ".join(v) for k, v in exc.message_dict.items()})
        else:
            export = request.GET.get("format")
            if export == "csv":
                table = request.GET.get("table")
                return _snapshot_csv(snapshot) if table == "snapshot" else _history_csv(history)
            _with_links(snapshot, values, "snapshot")
            _with_links(history, values, "history")
            context.update(
                pipeline=pipeline,
                snapshot=snapshot,
                snapshot_chart=_chart(snapshot["stages"], "count"),
                history=history,
                history_chart=_chart(
                    [r for r in history["stages"] if r["kind"] != "lost"], "entered"
                ),
                csv_snapshot=f"?{_query(values, format='csv', table='snapshot')}",
                csv_history=f"?{_query(values, format='csv', table='history')}",
            )
    return render_page_or_fragment(
        request, "analytics/funnel.html", "analytics/_funnel_report.html", context
    )


DRILL_FIELDS = (*REPORT_FIELDS, "report", "stage", "metric", "group")


@member_required
def funnel_drilldown(request):
    """The deals behind one number of the funnel report (?report=history|snapshot)."""
    actor = request.actor
    values = _values(request, DRILL_FIELDS)
    report = values.get("report", "history")
    report_values = {k: v for k, v in values.items() if k in REPORT_FIELDS}
    context = {"values": values, "report": report, "errors": {}, "page": None}
    raw_stage = values.get("stage")
    stage_id = int(raw_stage) if raw_stage and raw_stage.isdecimal() else None
    metric = values.get("metric")
    try:
        if report == "snapshot":
            params, errors = _parse(SnapshotParams, report_values)
            metric = metric or "count"
            if raw_stage not in (None, drilldown.ALL_STAGES) and stage_id is None:
                raise ValidationError({"stage": _("Choose a stage, or all.")})
            deals = drilldown.snapshot_drilldown(
                actor=actor, params=params, stage_id=stage_id, metric=metric
            )
        else:
            params, errors = _parse(HistoryParams, report_values)
            metric = metric or "entered"
            if stage_id is None:
                raise ValidationError({"stage": _("Choose a stage.")})
            deals = drilldown.history_drilldown(
                actor=actor,
                params=params,
                stage_id=stage_id,
                metric=metric,
                group=values.get("group"),
            )
        context["errors"].update(errors)
    except ObjectDoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        context["errors"].update({k: " ".join(v) for k, v in exc.message_dict.items()})
        deals = None
    if deals is not None:
        if request.GET.get("format") == "csv":
            return _deals_csv(deals)
        page = Paginator(deals, PAGE_SIZE).get_page(request.GET.get("page"))
        for deal in page.object_list:
            deal.url = deal_url(deal.pk)
        context["page"] = page
        context["pipeline"] = report_pipeline(actor, params.pipeline)
        context["stage"] = next(
            (s for s in context["pipeline"].stages.all() if s.pk == stage_id), None
        )
        context["metric"] = metric
        context["metric_label"] = {
            "entered": _("entered"),
            "advanced": _("advanced"),
            "not_advanced": _("did not advance (lost or open)"),
            "lost": _("lost"),
            "open": _("open"),
            "count": _("deals now in the stage"),
            "won": _("won deals of the sales cycle"),
        }.get(metric, metric)
        context["all_open_stages"] = report == "snapshot" and metric == "count" and not stage_id
        context["base_query"] = _query(values)
        context["csv_url"] = f"?{_query(values, format='csv')}"
        context["back_url"] = f"{reverse('funnel_report')}?{_query(report_values)}"
        if report == "history" and context["stage"] is not None:
            context["tabs"] = [
                {
                    "metric": m,
                    "url": f"?{_query(values, metric=m)}",
                    "current": m == metric,
                }
                for m in (HISTORY_METRICS if context["stage"].kind == "open" else ("entered",))
            ]
    return render_page_or_fragment(
        request, "analytics/funnel_drilldown.html", "analytics/_drilldown_rows.html", context
    )


def _deals_csv(deals) -> HttpResponse:
    header = [
        _("Id"),
        _("Name"),
        _("Owner"),
        _("Account"),
        _("Stage"),
        _("Amount"),
        _("Source"),
        _("In stage since"),
    ]
    rows = [
        [
            d.pk,
            d.name,
            (d.owner.get_full_name() or d.owner.email) if d.owner else "",
            d.account.name if d.account else "",
            d.stage.name,
            d.amount_base,
            d.source,
            d.stage_entered_at.isoformat(),
        ]
        for d in deals.iterator(chunk_size=1000)
    ]
    return _csv_response("funnel-deals.csv", header, rows)
