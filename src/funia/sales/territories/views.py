"""Pages of territories: the list, detail, form and trash (every member reads, administrators
write), their order, the coverage report with its CSV export, and the accounts and deals
behind each of its numbers."""

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from pydantic import ValidationError as SchemaError

from funia.core import periods
from funia.customers.exports import neutralise
from funia.sales.territories import coverage, selectors, services
from funia.sales.territories.forms import TerritoryForm
from funia.sales.territories.matching import NO_TERRITORY
from funia.sales.territories.schemas import CoverageParams, TerritoryFilter
from funia.web.decorators import member_required
from funia.web.htmx import render_page_or_fragment
from funia.web.record_pages import RecordPages

PAGE_SIZE = 50


def _detail_context(*, actor, record):
    return {
        "reps": [link.user for link in record.rep_links],
        "accounts_url": _accounts_url(record.pk),
    }


territory_pages = RecordPages(
    name="territory",
    app="sales/territories",
    filter_class=TerritoryFilter,
    list_selector=selectors.territory_list,
    get_selector=selectors.territory_get,
    form_class=TerritoryForm,
    create=services.territory_create,
    update=services.territory_update,
    delete=services.territory_delete,
    restore=services.territory_restore,
    detail_context=_detail_context,
)


@require_POST
@member_required
def territory_move(request, pk: int):
    """Move a territory up or down in the matching order (administrators)."""
    try:
        territory = selectors.territory_get(actor=request.actor, pk=pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    try:
        services.territory_move(
            by=request.actor, territory=territory, direction=request.POST.get("direction", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Order changed."))
    return redirect("territory_list")


# -- the coverage report ------------------------------------------------------------------


def _key(territory_id) -> str:
    return NO_TERRITORY if territory_id is None else str(territory_id)


def _accounts_url(
    territory_id, status: str | None = None, active_months: int = selectors.ACTIVE_MONTHS
) -> str:
    query = {"territory": _key(territory_id), **({"status": status} if status else {})}
    if active_months != selectors.ACTIVE_MONTHS:
        query["active_months"] = active_months
    return f"{reverse('territory_coverage_accounts')}?{urlencode(query)}"


def _deals_url(territory_id, status: str, report: dict) -> str:
    query = {"territory": _key(territory_id), "status": status}
    if status == selectors.WON:
        query |= {"from": report["from"].isoformat(), "to": report["to"].isoformat()}
    return f"{reverse('territory_coverage_deals')}?{urlencode(query)}"


PERIOD_FIELDS = ("from", "to")
REPORT_FIELDS = (*PERIOD_FIELDS, "active_months")


def _territory_url(territory_id) -> str:
    """The page of a territory's reps: its own, the list of all for the totals row, none
    for the accounts of no territory."""
    if territory_id == selectors.ALL_TERRITORIES:
        return reverse("territory_list")
    return reverse("territory_detail", args=[territory_id]) if territory_id else ""


def _period_values(request, names=PERIOD_FIELDS) -> dict:
    return {n: request.GET[n][:20] for n in names if request.GET.get(n)}


def _coverage_params(values: dict) -> tuple[CoverageParams, dict]:
    """The parameters and the field errors; a refused value falls back to its default."""
    try:
        return CoverageParams(**values), {}
    except SchemaError as exc:
        errors = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "from"
            errors[name] = error["msg"].removeprefix("Value error, ")
    kept = {name: value for name, value in values.items() if name not in errors}
    try:
        return CoverageParams(**kept), errors
    except SchemaError:
        return CoverageParams(), errors


COLUMNS = (
    ("reps", gettext_lazy("Reps")),
    ("accounts", gettext_lazy("Accounts")),
    ("prospects", gettext_lazy("Prospects")),
    ("customers", gettext_lazy("Customers")),
    ("open_deals", gettext_lazy("Open deals")),
    ("open_pipeline", gettext_lazy("Open pipeline")),
    ("weighted_pipeline", gettext_lazy("Weighted pipeline")),
    ("won_deals", gettext_lazy("Won deals")),
    ("revenue", gettext_lazy("Revenue")),
)


def _coverage_csv(report: dict) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="territory-coverage.csv"'
    writer = csv.writer(response)
    writer.writerow([_("Territory"), *[str(label) for _name, label in COLUMNS]])
    for row in [*report["territories"], report["total"]]:
        writer.writerow([neutralise(str(row["name"]))] + [str(row[n]) for n, _l in COLUMNS])
    return response


@member_required
def coverage_view(request):
    """The coverage table; every number links to the accounts or deals it counts."""
    values = _period_values(request, REPORT_FIELDS)
    params, errors = _coverage_params(values)
    report = None
    try:
        report = coverage.coverage_report(
            actor=request.actor,
            start=params.from_,
            end=params.to,
            active_months=params.active_months,
        )
    except ValidationError as exc:
        errors |= {k: " ".join(v) for k, v in exc.message_dict.items()}
    if report is not None and request.GET.get("format") == "csv":
        return _coverage_csv(report)
    if report is not None:
        months = report["active_months"]
        rows = [(row, row["territory"]) for row in report["territories"]]
        # The totals row: the same lists over every territory and none.
        rows.append((report["total"], selectors.ALL_TERRITORIES))
        for row, tid in rows:
            row["urls"] = {
                "territory": _territory_url(tid),
                "accounts": _accounts_url(tid, active_months=months),
                "prospects": _accounts_url(tid, selectors.PROSPECT, months),
                "customers": _accounts_url(tid, selectors.CUSTOMER, months),
                "open": _deals_url(tid, selectors.OPEN, report),
                "won": _deals_url(tid, selectors.WON, report),
            }
    context = {
        "report": report,
        "errors": errors,
        "values": values,
        "active_months_range": (selectors.MIN_ACTIVE_MONTHS, selectors.MAX_ACTIVE_MONTHS),
        "default_active_months": selectors.ACTIVE_MONTHS,
        "csv_url": f"?{urlencode({**values, 'format': 'csv'})}",
    }
    return render_page_or_fragment(
        request,
        "sales/territories/coverage.html",
        "sales/territories/_coverage_table.html",
        context,
    )


def _territory_param(request):
    """(territory id, None for "no territory" or ALL_TERRITORIES for every account, its
    name); Http404 for an unknown one."""
    value = request.GET.get("territory", "")
    if value == NO_TERRITORY:
        return None, _("No territory")
    if value == selectors.ALL_TERRITORIES:
        return selectors.ALL_TERRITORIES, _("All territories")
    if not value.isdecimal() or not 0 < int(value) < 2**63:
        raise Http404
    try:
        territory, _active = selectors.report_territory(request.actor, int(value))
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    return territory.pk, territory.name


def _status_tabs(request, statuses, current: str) -> list[dict]:
    tabs = []
    for value, label in statuses:
        query = {k: v for k, v in request.GET.items() if k not in ("status", "page")}
        if value:
            query["status"] = value
        tabs.append({"label": label, "url": f"?{urlencode(query)}", "current": value == current})
    return tabs


@member_required
def coverage_accounts(request):
    """The accounts of a territory (or of none), all, prospects or customers."""
    if "territory" not in request.GET:
        return redirect("territory_coverage")
    territory_id, name = _territory_param(request)
    status = request.GET.get("status")
    status = status if status in (selectors.PROSPECT, selectors.CUSTOMER) else None
    params, errors = _coverage_params(_period_values(request, ("active_months",)))
    window = selectors.active_window(request.actor.tenant, params.active_months)
    accounts = selectors.territory_accounts(
        actor=request.actor, territory_id=territory_id, status=status, window=window
    )
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "territory_name": name,
        "territory_id": territory_id,
        "page": page,
        "status": status,
        "window": window,
        "errors": errors,
        "base_query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
        "tabs": _status_tabs(
            request,
            [
                ("", _("All accounts")),
                (selectors.PROSPECT, _("Prospects")),
                (selectors.CUSTOMER, _("Customers")),
            ],
            status or "",
        ),
    }
    return render_page_or_fragment(
        request,
        "sales/territories/accounts.html",
        "sales/territories/_account_rows.html",
        context,
    )


@member_required
def coverage_deals(request):
    """The deals of a territory's accounts: open now, or won in the period."""
    if "territory" not in request.GET:
        return redirect("territory_coverage")
    territory_id, name = _territory_param(request)
    status = selectors.WON if request.GET.get("status") == selectors.WON else selectors.OPEN
    values = _period_values(request)
    params, errors = _coverage_params(values)
    try:
        start, end = coverage.coverage_period(request.actor.tenant, params.from_, params.to)
    except ValidationError as exc:
        errors |= {k: " ".join(v) for k, v in exc.message_dict.items()}
        start, end = coverage.coverage_period(request.actor.tenant)
    deals = selectors.territory_deals(
        actor=request.actor,
        territory_id=territory_id,
        status=status,
        start=periods.midnight(request.actor.tenant, start),
        end=periods.midnight(request.actor.tenant, end),
    )
    page = Paginator(deals, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "territory_name": name,
        "territory_id": territory_id,
        "page": page,
        "status": status,
        "errors": errors,
        "start": start,
        "end": end,
        "base_query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
        "accounts_url": _accounts_url(territory_id),
        "tabs": _status_tabs(
            request,
            [(selectors.OPEN, _("Open deals")), (selectors.WON, _("Won in the period"))],
            status,
        ),
    }
    return render(request, "sales/territories/deals.html", context)
