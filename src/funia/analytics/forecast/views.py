"""Pages of the forecast: the report (tables, chart, CSV exports, inline adjustments), the
drill-down listing the deals behind any number, and the adjustment records."""

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError as SchemaError

from funia.analytics.forecast import adjustments, selectors
from funia.analytics.forecast.forms import AdjustmentInlineForm, ForecastAdjustmentForm
from funia.analytics.forecast.schemas import (
    ForecastAdjustmentFilter,
    ForecastDrilldownParams,
    ForecastParams,
)
from funia.analytics.forecast.selectors import NO_GROUP, OPEN_CATEGORIES
from funia.analytics.forecast.services import CATEGORIES, forecast_report
from funia.analytics.models import ForecastAdjustment
from funia.core import periods
from funia.core.models import Membership, Team, TeamMember, User
from funia.core.visibility import SEES_ALL
from funia.customers.exports import neutralise
from funia.sales.models import Pipeline
from funia.web.decorators import member_required
from funia.web.forms import add_service_errors
from funia.web.htmx import render_page_or_fragment, wants_fragment
from funia.web.record_pages import RecordPages

REPORT_FIELDS = (
    "from",
    "months",
    "group_by",
    "pipeline",
    "owner",
    "team",
    "months_back",
    "trend_months",
)
DRILL_FIELDS = (*REPORT_FIELDS, "month", "category", "group")
PAGE_SIZE = 50
TABLES = ("forecast", "quarters", "plan", "trend")


def _values(request_data, names=REPORT_FIELDS) -> dict:
    return {n: request_data.get(n) for n in names if request_data.get(n) not in (None, "")}


def _parse(model, values: dict):
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
            values = {k: v for k, v in values.items() if k not in bad}
    return model(), errors


def _query(values: dict, **extra) -> str:
    merged = {**values, **{k: v for k, v in extra.items() if v is not None}}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _errors_of(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {k: " ".join(v) for k, v in exc.message_dict.items()}
    return {"__all__": " ".join(exc.messages)}


# -- who and what the filters offer -------------------------------------------------------------


def _owner_choices(actor):
    reps = selectors.reps_in_scope(actor, ForecastParams())
    return (
        Membership.objects.for_tenant(actor.tenant)
        .filter(user_id__in=reps)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )


def _team_choices(actor):
    teams = Team.objects.for_tenant(actor.tenant).order_by("name", "id")
    if actor.role in SEES_ALL:
        return teams
    mine = TeamMember.objects.for_tenant(actor.tenant).filter(user=actor.user).values("team_id")
    return teams.filter(pk__in=mine) | teams.filter(manager=actor.user)


# -- links, adjustments and the chart ----------------------------------------------------------


CATEGORY_LABELS = {c.value: c.label for c in OPEN_CATEGORIES}
LINKED = (*CATEGORIES, "open", "won", "commit_forecast", "best_case_forecast")


def _link_rows(rows, values: dict, group=None, adjust_user=None) -> None:
    """Every number's drill-down URL (`urls`, `urls.all`: every deal of the column); the
    category cells in order (`cells`), with the adjustment form's URL where allowed."""
    base = reverse("forecast_drilldown")
    adjust = reverse("forecast_adjust")
    back = _query(values)
    for row in rows:
        month = None if row["key"] == "total" else row["key"]
        row["urls"] = {
            name: f"{base}?{_query(values, month=month, category=name, group=group)}"
            for name in LINKED
        }
        row["urls"]["all"] = f"{base}?{_query(values, month=month, group=group)}"
        row["cells"] = []
        for name in CATEGORIES:
            cell = {
                **row["categories"][name],
                "name": name,
                "label": CATEGORY_LABELS[name],
                "url": row["urls"][name],
                "adjust_url": None,
            }
            if adjust_user is not None and row["kind"] in ("month", "quarter"):
                cell["adjust_url"] = f"{adjust}?" + urlencode(
                    {
                        "user": adjust_user,
                        "period": row["kind"],
                        "start": row["start"].isoformat(),
                        "category": name,
                        "back": back,
                    }
                )
            row["cells"].append(cell)


def _link_plan_rows(rows, values: dict, group=None) -> None:
    base = reverse("forecast_drilldown")
    for row in rows:
        month = "past" if row["key"] == "total" else row["key"]
        row["won_url"] = f"{base}?{_query(values, month=month, category='won', group=group)}"


def _decorate(report: dict, values: dict, actor) -> None:
    """Drill-down URLs on every number; the adjustment forms where the reader may adjust
    (a rep's own table: grouped by owner, or filtered by one owner)."""
    allowed = adjustments.adjustable_user_ids(actor)

    def may(user_id):
        return user_id is not None and (allowed is None or user_id in allowed)

    by_owner = report["group_by"] == "owner"
    overall_rep = report["owner"] if may(report["owner"]) else None
    report["adjust_user"] = overall_rep
    forecast = report["forecast"]
    _link_rows([*forecast["rows"], forecast["total"]], values, adjust_user=overall_rep)
    _link_rows(report["quarters"], values, adjust_user=overall_rep)
    plan = report["plan_vs_fact"]
    _link_plan_rows([*plan["rows"], plan["total"]], values)
    for group in report["groups"] or []:
        key = NO_GROUP if group["key"] is None else str(group["key"])
        rep = group["key"] if by_owner and may(group["key"]) else None
        group["adjust_user"] = rep
        _link_rows([*group["rows"], group["total"], *group["quarters"]], values, key, rep)
    for group in plan["groups"] or []:
        key = NO_GROUP if group["key"] is None else str(group["key"])
        _link_plan_rows([*group["rows"], group["total"]], values, key)
    base = reverse("forecast_drilldown")
    for point in report["trend"]["history"]:
        point["url"] = f"{base}?{_query(values, month=point['key'], category='won')}"


CHART_HEIGHT = 160
BAR_WIDTH = 36
BAR_GAP = 28
CHART_LEFT = 8


def _chart(report: dict) -> dict | None:
    """A stacked bar per close month (won, commit, best case, pipeline) with the plan as a
    line and the trend as a dot; coordinates for an SVG of our own."""
    months = [r for r in report["forecast"]["rows"] if r["kind"] == "month"]
    if not months:
        return None

    def parts(row):
        c = row["categories"]
        return [
            ("won", row["won"]["amount"]),
            ("commit", c["commit"]["amount"]),
            ("best_case", c["best_case"]["amount"]),
            ("pipeline", c["pipeline"]["amount"]),
        ]

    top = max(max(sum(v for _k, v in parts(r)), r["plan"] or 0, r["trend"] or 0) for r in months)
    if not top:
        return None
    scale = float(CHART_HEIGHT) / float(top)
    bars = []
    for index, row in enumerate(months):
        x = CHART_LEFT + index * (BAR_WIDTH + BAR_GAP)
        y = float(CHART_HEIGHT)
        segments = []
        for kind, value in parts(row):
            height = float(value) * scale
            if height <= 0:
                continue
            y -= height
            segments.append({"kind": kind, "y": round(y, 2), "height": round(height, 2)})
        bars.append(
            {
                "row": row,
                "x": x,
                "center": x + BAR_WIDTH / 2,
                "segments": segments,
                "plan_y": None
                if row["plan"] is None
                else round(CHART_HEIGHT - float(row["plan"]) * scale, 2),
                "trend_y": None
                if row["trend"] is None
                else round(CHART_HEIGHT - float(row["trend"]) * scale, 2),
            }
        )
    return {
        "bars": bars,
        "width": CHART_LEFT * 2 + len(months) * (BAR_WIDTH + BAR_GAP) - BAR_GAP,
        "height": CHART_HEIGHT + 24,
        "bar_width": BAR_WIDTH,
        "base": CHART_HEIGHT,
        "label_y": CHART_HEIGHT + 16,
    }


# -- CSV ---------------------------------------------------------------------------------------


def _csv_response(filename: str, header: list, rows: list) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise("" if v is None else str(v)) for v in row])
    return response


def _column_label(key: str) -> str:
    return {"overdue": _("Overdue"), "none": _("No close date"), "total": _("Total")}.get(key, key)


def _forecast_csv(report: dict, quarters: bool) -> HttpResponse:
    header = [
        _("Group"),
        _("Period"),
        _("Commit deals"),
        _("Commit"),
        _("Commit computed"),
        _("Best case deals"),
        _("Best case"),
        _("Best case computed"),
        _("Pipeline deals"),
        _("Pipeline"),
        _("Pipeline computed"),
        _("Weighted"),
        _("Won deals"),
        _("Won"),
        _("Commit forecast"),
        _("Best-case forecast"),
        _("Plan"),
        _("Trend"),
        _("Win-rate forecast"),
    ]
    overall = report["forecast"]
    tables = [(_("All"), report["quarters"] if quarters else [*overall["rows"], overall["total"]])]
    for group in report["groups"] or []:
        rows = group["quarters"] if quarters else [*group["rows"], group["total"]]
        tables.append((group["label"], rows))
    lines = []
    for label, rows in tables:
        for r in rows:
            c = r["categories"]
            lines.append(
                [
                    label,
                    _column_label(r["key"]),
                    *[
                        v
                        for name in CATEGORIES
                        for v in (c[name]["count"], c[name]["amount"], c[name]["computed"])
                    ],
                    r["weighted"],
                    r["won"]["count"],
                    r["won"]["amount"],
                    r["commit_forecast"],
                    r["best_case_forecast"],
                    r["plan"],
                    r["trend"],
                    r["win_rate_forecast"],
                ]
            )
    name = "forecast-quarters.csv" if quarters else "forecast.csv"
    return _csv_response(name, header, lines)


def _plan_csv(report: dict) -> HttpResponse:
    header = [_("Group"), _("Month"), _("Plan"), _("Won deals"), _("Won"), _("Attainment (%)")]
    plan = report["plan_vs_fact"]
    tables = [(_("All"), [*plan["rows"], plan["total"]])]
    tables += [(g["label"], [*g["rows"], g["total"]]) for g in plan["groups"] or []]
    lines = [
        [
            label,
            _column_label(r["key"]),
            r["plan"],
            r["won"]["count"],
            r["won"]["amount"],
            r["attainment"],
        ]
        for label, rows in tables
        for r in rows
    ]
    return _csv_response("forecast-plan-vs-fact.csv", header, lines)


def _trend_csv(report: dict) -> HttpResponse:
    trend = report["trend"]
    lines = [[p["key"], p["won"], ""] for p in trend["history"]]
    months = [r for r in report["forecast"]["rows"] if r["kind"] == "month"]
    lines += [[r["key"], "", r["trend"]] for r in months]
    return _csv_response("forecast-trend.csv", [_("Month"), _("Won"), _("Trend")], lines)


# -- the report page ---------------------------------------------------------------------------


def _report_context(request, values: dict) -> dict:
    actor = request.actor
    params, errors = _parse(ForecastParams, values)
    context = {
        "values": values,
        "errors": errors,
        "params": params,
        "pipelines": Pipeline.objects.for_tenant(actor.tenant).order_by("position", "id"),
        "owners": _owner_choices(actor),
        "teams": _team_choices(actor),
        "report": None,
        "may_adjust": adjustments.may_adjust(actor),
        "query": _query(values),
    }
    try:
        report = forecast_report(actor=actor, params=params)
    except ObjectDoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        context["errors"].update(_errors_of(exc))
        return context
    context["report"] = report
    return context


@member_required
def forecast_page(request):
    values = _values(request.GET)
    context = _report_context(request, values)
    report = context["report"]
    if report is not None and request.GET.get("format") == "csv":
        table = request.GET.get("table")
        if table == "quarters":
            return _forecast_csv(report, quarters=True)
        if table == "plan":
            return _plan_csv(report)
        if table == "trend":
            return _trend_csv(report)
        return _forecast_csv(report, quarters=False)
    if report is not None:
        _decorate(report, values, request.actor)
        context["chart"] = _chart(report)
        context["csv"] = {t: f"?{_query(values, format='csv', table=t)}" for t in TABLES}
    return render_page_or_fragment(
        request, "forecast/report.html", "forecast/_report.html", context
    )


# -- the drill-down ----------------------------------------------------------------------------


def deal_url(pk: int) -> str | None:
    try:
        return reverse("opportunity_detail", args=[pk])
    except NoReverseMatch:
        return None


DRILL_TITLES = {
    **CATEGORY_LABELS,
    "open": gettext_lazy("Open deals (weighted pipeline)"),
    "won": gettext_lazy("Won"),
    "commit_forecast": gettext_lazy("Commit forecast: won and commit"),
    "best_case_forecast": gettext_lazy("Best-case forecast: won, commit and best case"),
}


@member_required
def forecast_drilldown(request):
    """The deals behind one number of the forecast."""
    actor = request.actor
    values = _values(request.GET, DRILL_FIELDS)
    params, errors = _parse(ForecastDrilldownParams, values)
    context = {"values": values, "errors": errors, "page": None}
    deals = None
    if not errors:
        try:
            deals = selectors.forecast_drilldown(
                actor=actor,
                params=params,
                month=params.month,
                category=params.category,
                group=params.group,
            )
        except ObjectDoesNotExist:
            raise Http404 from None
        except ValidationError as exc:
            context["errors"].update(_errors_of(exc))
    report_values = {k: v for k, v in values.items() if k in REPORT_FIELDS}
    context["back_url"] = f"{reverse('forecast_report')}?{_query(report_values)}"
    if deals is not None:
        if request.GET.get("format") == "csv":
            return _deals_csv(deals)
        page = Paginator(deals, PAGE_SIZE).get_page(request.GET.get("page"))
        for deal in page.object_list:
            deal.url = deal_url(deal.pk)
            deal.weighted = (
                None
                if deal.amount_base is None
                else deal.amount_base * deal.stage.probability / 100
            )
        context.update(
            page=page,
            base_query=_query(values),
            csv_url=f"?{_query(values, format='csv')}",
            title=DRILL_TITLES.get(params.category or "", _("Deals behind the number")),
            column=_column_label(params.month) if params.month else _("Total"),
        )
    return render_page_or_fragment(
        request, "forecast/deals.html", "forecast/_deal_rows.html", context
    )


def _deals_csv(deals) -> HttpResponse:
    header = [
        _("Id"),
        _("Name"),
        _("Owner"),
        _("Account"),
        _("Stage"),
        _("Probability (%)"),
        _("Amount"),
        _("Forecast category"),
        _("Expected close date"),
        _("Closed at"),
    ]
    rows = [
        [
            d.pk,
            d.name,
            (d.owner.get_full_name() or d.owner.email) if d.owner else "",
            d.account.name if d.account else "",
            d.stage.name,
            d.stage.probability,
            d.amount_base,
            d.get_forecast_category_display(),
            d.expected_close_date.isoformat() if d.expected_close_date else "",
            d.closed_at.isoformat() if d.closed_at else "",
        ]
        for d in deals.iterator(chunk_size=1000)
    ]
    return _csv_response("forecast-deals.csv", header, rows)


# -- the inline adjustment ---------------------------------------------------------------------


def _back_values(back: str) -> dict:
    return _values(QueryDict(back or ""))


def _adjust_context(form, existing, key: dict, back: str) -> dict:
    rep = User.objects.filter(pk=key["user"]).first()
    return {
        "form": form,
        "existing": existing,
        "rep": rep,
        "category_label": CATEGORY_LABELS.get(key["category"], key["category"]),
        "period_label": periods.period_label(key["period"], key["start"]),
        "back_url": f"{reverse('forecast_report')}?{_query(_back_values(back))}",
    }


@member_required
def forecast_adjust(request):
    """The form of one adjusted number (GET: the fragment, or a page without HTMX); POST
    sets, changes or removes the rep's adjustment, then shows the refreshed report."""
    actor = request.actor
    source = request.POST if request.method == "POST" else request.GET
    key_form = AdjustmentInlineForm({**source.dict(), "amount": "", "note": ""})
    if not key_form.is_valid():
        return render(request, "forecast/adjust.html", {"errors": key_form.errors}, status=400)
    key = key_form.cleaned_data
    if not adjustments.may_adjust(actor, key["user"]):
        raise PermissionDenied
    # Several of these forms may be open on the report at once: ids of their own.
    auto_id = f"adjust-{key['user']}-{key['period']}-{key['start']:%Y%m%d}-{key['category']}-%s"
    form = AdjustmentInlineForm(source if request.method == "POST" else None, auto_id=auto_id)
    existing = (
        ForecastAdjustment.objects.for_tenant(actor.tenant)
        .filter(
            user_id=key["user"],
            period=key["period"],
            start=key["start"],
            category=key["category"],
        )
        .select_related("user", "adjusted_by")
        .first()
    )
    if request.method != "POST":
        form = AdjustmentInlineForm(
            auto_id=auto_id,
            initial={
                **{k: source.get(k) for k in ("user", "period", "start", "category", "back")},
                "amount": existing.amount if existing else None,
                "note": existing.note if existing else "",
            },
        )
    elif form.is_valid():
        data = form.cleaned_data
        remove = "remove" in request.POST
        try:
            adjustments.forecast_adjustment_set(
                by=actor,
                user_id=data["user"],
                period=data["period"],
                start=data["start"],
                category=data["category"],
                amount=None if remove else data["amount"],
                note=data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            values = _back_values(data["back"])
            if not wants_fragment(request):
                messages.success(request, _("Saved."))
                return redirect(f"{reverse('forecast_report')}?{_query(values)}")
            context = _report_context(request, values)
            if context["report"] is not None:
                _decorate(context["report"], values, actor)
                context["chart"] = _chart(context["report"])
                context["csv"] = {t: f"?{_query(values, format='csv', table=t)}" for t in TABLES}
            response = render(request, "forecast/_report.html", context)
            response["HX-Retarget"] = "#forecast-report"
            response["HX-Reswap"] = "outerHTML"
            response["HX-Push-Url"] = f"{reverse('forecast_report')}?{_query(values)}"
            return response
    context = _adjust_context(form, existing, key, source.get("back", ""))
    return render_page_or_fragment(
        request, "forecast/adjust.html", "forecast/_adjust_form.html", context
    )


# -- adjustment records ------------------------------------------------------------------------


adjustment_pages = RecordPages(
    name="forecast_adjustment",
    app="forecast",
    filter_class=ForecastAdjustmentFilter,
    list_selector=selectors.forecast_adjustment_list,
    get_selector=selectors.forecast_adjustment_get,
    form_class=ForecastAdjustmentForm,
    create=adjustments.forecast_adjustment_create,
    update=adjustments.forecast_adjustment_update,
    delete=adjustments.forecast_adjustment_delete,
    restore=adjustments.forecast_adjustment_restore,
    detail_context=lambda *, actor, record: {
        "may_change": adjustments.may_adjust(actor, record.user_id),
    },
)
