"""Pages of quotas: the command center (targets, who is responsible, progress; quotas set
inline), the won deals behind a number of it, and a quota's page with its history."""

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funia.analytics.plan_risk.services import SubjectNotFound, parse_period, resolve_subject
from funia.core import periods
from funia.core.selectors import audit_trail
from funia.core.visibility import visible_records
from funia.customers.exports import neutralise
from funia.sales import plans
from funia.sales.models import Opportunity
from funia.sales.quotas import selectors, services
from funia.sales.quotas.command_center import command_center
from funia.sales.quotas.forms import GRANULARITY_CHOICES, CellForm, GridForm
from funia.web.decorators import member_required
from funia.web.htmx import render_page_or_fragment, wants_fragment

PAGE_SIZE = 50


def _grid_params(request) -> tuple[int, str]:
    return GridForm(request.GET).params(periods.today(request.actor.tenant))


def _query(**values) -> str:
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


@member_required
def command_center_view(request):
    """GET: the grid (the fragment for HTMX, `?format=csv` the export). POST: one cell's
    quota (HTMX answers the cell and the totals it changed; without HTMX, a redirect)."""
    year, granularity = _grid_params(request)
    if request.method == "POST":
        return _save_cell(request, year, granularity)
    grid = command_center(actor=request.actor, year=year, granularity=granularity)
    if request.GET.get("format") == "csv":
        return _grid_csv(grid)
    today = periods.today(request.actor.tenant)
    years = sorted({today.year - 2, today.year - 1, today.year, today.year + 1, year})
    context = {
        "grid": grid,
        "years": years,
        "granularities": GRANULARITY_CHOICES,
        "csv_query": _query(year=year, granularity=granularity, format="csv"),
        "grid_query": _query(year=year, granularity=granularity),
    }
    return render_page_or_fragment(
        request, "quotas/command_center.html", "quotas/_grid.html", context
    )


def _find(grid: dict, kind: str, pk: int, start):
    for row in grid["rows"]:
        if (row.kind, row.id) == (kind, pk):
            for index, cell in enumerate(row.cells):
                if cell.start == start:
                    return row, cell, grid["columns"][index]
            return row, None, None
    return None, None, None


def _save_cell(request, year: int, granularity: str):
    actor = request.actor
    form = CellForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The quota could not be read; reload the page."))
    kind, pk = form.subject()
    data = form.cleaned_data
    before = command_center(actor=actor, year=year, granularity=granularity, risk=False)
    row, _cell, _column = _find(before, kind, pk, data["start"])
    if row is None:  # not a rep or team of the reader's grid (or of the organisation)
        raise Http404
    error = ""
    try:
        services.quota_set(
            by=actor,
            user_id=pk if kind == "user" else None,
            team_id=pk if kind == "team" else None,
            period=data["period"],
            start=data["start"],
            amount=data["amount"] or None,
        )
    except PermissionDenied as exc:
        if not request.htmx:
            raise
        error = str(exc)
    except ValidationError as exc:
        error = " ".join(m for ms in services.error_messages(exc).values() for m in ms)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Saved."))
        url = reverse("command_center")
        return redirect(f"{url}?{_query(year=year, granularity=granularity)}")
    grid = command_center(actor=actor, year=year, granularity=granularity)
    row, cell, column = _find(grid, kind, pk, data["start"])
    if cell is None or data["period"] != granularity:  # a page of other columns: reload it
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    if error:
        cell.value, cell.error = data["amount"], error
    context = {"grid": grid, "row": row, "cell": cell, "column": column}
    return render(request, "quotas/_cell_saved.html", context)


def _grid_csv(grid: dict) -> HttpResponse:
    header = [_("Responsible"), _("Type"), _("Team or manager")]
    for column in grid["columns"]:
        header += [
            f"{column['label']} {_('quota')}",
            f"{column['label']} {_('plan')}",
            f"{column['label']} {_('won')}",
            f"{column['label']} %",
        ]
    header += [_("Year plan"), _("Year won"), _("Year %"), _("Plan risk"), _("Forecast")]
    lines = [header]
    for row in grid["rows"]:
        line = [row.name, _("Team") if row.kind == "team" else _("Rep"), row.detail]
        for cell in row.cells:
            line += [cell.own, cell.plan, cell.won, cell.percent]
        risk = row.risk or {}
        status = ""
        if risk:
            status = (
                _("No quota")
                if risk["quota"] is None
                else (_("At risk") if risk["at_risk"] else _("On track"))
            )
        line += [row.year_plan, row.year_won, row.year_percent, status, risk.get("forecast")]
        lines.append(line)
    total = [_("Total of the reps shown"), "", ""]
    for column in grid["columns"]:
        total += ["", column["plan"], column["won"], column["percent"]]
    total += [grid["total"]["plan"], grid["total"]["won"], grid["total"]["percent"], "", ""]
    lines.append(total)
    name = f"command-center-{grid['year']}-{grid['granularity']}.csv"
    return _csv(name, lines)


def _csv(filename: str, lines: list) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for line in lines:
        writer.writerow([neutralise("" if v is None else str(v)) for v in line])
    return response


def _subject_of(request):
    """(subject, kind, start) from ?who=user-5|team-3&period=2026-Q4; 404 when the rep
    or team is not one the reader may look at."""
    who = request.GET.get("who", "")
    kind, _sep, pk = who.partition("-")
    if kind not in ("user", "team") or not pk.isdecimal() or not 0 < int(pk) < 2**63:
        raise Http404
    try:
        period_kind, start = parse_period(request.GET.get("period", "x"), request.actor.tenant)
        subject = resolve_subject(
            request.actor,
            user_id=int(pk) if kind == "user" else None,
            team_id=int(pk) if kind == "team" else None,
        )
    except (ValidationError, SubjectNotFound):
        raise Http404 from None
    return subject, period_kind, start


@member_required
def won_deals_view(request):
    """The won deals behind a won amount of the command center (those the reader may see)."""
    actor = request.actor
    subject, kind, start = _subject_of(request)
    begin, end = periods.moments(actor.tenant, kind, start)
    won = plans.won_deals(actor.tenant, start=begin, end=end, owner_ids=subject.owner_ids)
    deals = (
        visible_records(Opportunity, actor)
        .filter(pk__in=won.values("pk"))
        .select_related("owner", "account", "stage", "pipeline")
        .order_by("-closed_at", "-id")
    )
    label = periods.period_label(kind, start)
    if request.GET.get("format") == "csv":
        header = [_("Id"), _("Name"), _("Owner"), _("Account"), _("Amount"), _("Won at")]
        lines = [header] + [
            [
                d.pk,
                d.name,
                (d.owner.get_full_name() or d.owner.email) if d.owner else "",
                d.account.name if d.account else "",
                d.amount_base,
                d.closed_at.isoformat(),
            ]
            for d in deals.iterator(chunk_size=1000)
        ]
        return _csv(f"won-{label}.csv", lines)
    total = deals.aggregate(s=Sum("amount_base"))["s"]
    page = Paginator(deals, PAGE_SIZE).get_page(request.GET.get("page"))
    fact = plans.won_amount(
        tenant=actor.tenant,
        kind=kind,
        start=start,
        **({"user_id": subject.id} if subject.kind == "user" else {"team_id": subject.id}),
    )
    query = _query(who=request.GET.get("who"), period=label)
    context = {
        "subject": subject,
        "label": label,
        "page": page,
        "total": total,
        "fact": fact,
        "base_query": query,
        "csv_url": f"?{_query(who=request.GET.get('who'), period=label, format='csv')}",
        "back_url": f"{reverse('command_center')}?{_query(year=start.year, granularity=kind)}",
        "risk_url": f"{reverse('plan_risk_report')}?{query}",
    }
    if wants_fragment(request):
        return render(request, "quotas/_won_rows.html", context)
    return render(request, "quotas/won_deals.html", context)


def _quota_or_404(request, pk: int, *, with_deleted: bool = True):
    try:
        return selectors.quota_get(actor=request.actor, pk=pk, with_deleted=with_deleted)
    except ObjectDoesNotExist:
        raise Http404 from None


@member_required
def quota_detail_view(request, pk: int):
    quota = _quota_or_404(request, pk)
    may_change = selectors.write_scope(request.actor).allows(
        user_id=quota.user_id, team_id=quota.team_id
    )
    label = periods.period_label(quota.period, quota.start)
    who = f"user-{quota.user_id}" if quota.user_id else f"team-{quota.team_id}"
    grid_url = reverse("command_center")
    context = {
        "record": quota,
        "label": label,
        "may_change": may_change,
        "currency": request.actor.tenant.currency,
        "audit": audit_trail(
            tenant=request.actor.tenant, object_type=quota._meta.label_lower, object_id=quota.pk
        ),
        "grid_url": f"{grid_url}?{_query(year=quota.start.year, granularity=quota.period)}",
        "won_url": f"{reverse('command_center_won')}?{_query(who=who, period=label)}",
    }
    return render(request, "quotas/quota_detail.html", context)


@require_POST
@member_required
def quota_delete_view(request, pk: int):
    quota = _quota_or_404(request, pk, with_deleted=False)
    services.quota_delete(by=request.actor, quota=quota)
    messages.success(request, _("Moved to the trash. You can restore it from there."))
    return redirect("quota_detail", pk=quota.pk)


@require_POST
@member_required
def quota_restore_view(request, pk: int):
    quota = _quota_or_404(request, pk)
    try:
        services.quota_restore(by=request.actor, quota=quota)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Restored."))
    return redirect("quota_detail", pk=quota.pk)
