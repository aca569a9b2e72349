"""Pages of the plan risk: the report (period, rep or team, pipeline; the numbers with the
at-risk badge, the per-stage table, the definitions; CSV) and the deals it counts."""

import csv
import datetime
from urllib.parse import urlencode

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from funia.analytics.plan_risk import selectors, services
from funia.core import periods
from funia.customers.exports import neutralise
from funia.sales.models import Pipeline
from funia.sales.quotas.command_center import scope_rows
from funia.web.decorators import member_required
from funia.web.htmx import render_page_or_fragment, wants_fragment

PAGE_SIZE = 50
FIELDS = ("period", "who", "pipeline")


def _values(request, names=FIELDS) -> dict:
    return {n: request.GET[n] for n in names if request.GET.get(n) not in (None, "")}


def _query(values: dict, **extra) -> str:
    merged = {**values, **{k: v for k, v in extra.items() if v is not None}}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _parse(request, values: dict) -> tuple[dict, dict]:
    """The report's arguments from the page's values, and the field errors (a value that
    is refused falls back to its default)."""
    actor = request.actor
    errors: dict = {}
    try:
        kind, start = services.parse_period(values.get("period"), actor.tenant)
    except ValidationError as exc:
        errors["period"] = " ".join(exc.message_dict["period"])
        kind, start = services.parse_period(None, actor.tenant)
    user_id = team_id = None
    who = values.get("who", "")
    kind_of_who, _sep, pk = who.partition("-")
    bad_id = not pk.isdecimal() or not 0 < int(pk) < 2**63
    if who and (kind_of_who not in ("user", "team") or bad_id):
        raise Http404
    if who:
        user_id = int(pk) if kind_of_who == "user" else None
        team_id = int(pk) if kind_of_who == "team" else None
    pipeline_id = None
    if values.get("pipeline"):
        text = values["pipeline"]
        if not text.isdecimal() or not 0 < int(text) < 2**63:
            raise Http404
        pipeline_id = int(text)
    return {
        "kind": kind,
        "start": start,
        "user_id": user_id,
        "team_id": team_id,
        "pipeline_id": pipeline_id,
    }, errors


def period_choices(tenant, chosen: str) -> list[tuple[str, str]]:
    """Recent and coming periods for the chooser: months, quarters and years around now."""
    today = periods.today(tenant)
    options = []
    month = periods.period_start(periods.MONTH, today)
    quarter = periods.period_start(periods.QUARTER, today)
    for offset in range(-3, 4):
        start = periods.add_months(quarter, 3 * offset) if abs(offset) <= 2 else None
        if start is not None:
            options.append((periods.period_label(periods.QUARTER, start), _("Quarter")))
    for offset in range(-3, 4):
        start = periods.add_months(month, offset)
        options.append((periods.period_label(periods.MONTH, start), _("Month")))
    for year in (today.year - 1, today.year, today.year + 1):
        options.append((str(year), _("Year")))
    if chosen and chosen not in [label for label, _kind in options]:
        options.insert(0, (chosen, ""))
    return options


def subject_choices(actor) -> list[dict]:
    """Whose plan risk the reader may choose: themself, then the teams and reps of their
    scope (as the command center lists them)."""
    today = periods.today(actor.tenant)
    rows, _members = scope_rows(
        actor, datetime.date(today.year, 1, 1), datetime.date(today.year + 1, 1, 1)
    )
    me = f"user-{actor.user.pk}"
    choices = [{"value": me, "label": _("Me"), "kind": "user"}]
    for row in rows:
        if row.key != me:
            choices.append({"value": row.key, "label": row.name, "kind": row.kind})
    return choices


def _context(request, values: dict) -> dict:
    actor = request.actor
    args, errors = _parse(request, values)
    try:
        report = services.plan_risk(actor=actor, **args)
    except ObjectDoesNotExist:
        raise Http404 from None
    who = f"{report['subject']}-{report['user'] or report['team']}"
    label = report["period"]
    shown = {**values, "period": label, "who": who}
    deals_url = reverse("plan_risk_deals")
    for row in report["stages"]:
        row["url"] = f"{deals_url}?{_query(shown, stage=row['stage'])}"
        row["open_url"] = f"{deals_url}?{_query(shown, stage=row['stage'], deals=selectors.OPEN)}"
    subjects = subject_choices(actor)
    return {
        "report": report,
        "errors": errors,
        "values": shown,
        "who": who,
        "period_options": period_choices(actor.tenant, label),
        "subjects": subjects,
        "pipelines": list(Pipeline.objects.for_tenant(actor.tenant).order_by("position", "id")),
        "deals_url": f"{deals_url}?{_query(shown)}",
        "open_deals_url": f"{deals_url}?{_query(shown, deals=selectors.OPEN)}",
        "csv_url": f"?{_query(shown, format='csv')}",
        "won_url": f"{reverse('command_center_won')}?{_query({'who': who, 'period': label})}",
        "grid_url": reverse("command_center")
        + f"?{_query({'year': report['from'].year, 'granularity': report['kind']})}",
    }


@member_required
def plan_risk_report(request):
    values = _values(request)
    context = _context(request, values)
    if request.GET.get("format") == "csv":
        return _report_csv(context["report"])
    return render_page_or_fragment(
        request, "plan_risk/plan_risk.html", "plan_risk/_report.html", context
    )


def _csv(filename: str, lines: list) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for line in lines:
        writer.writerow([neutralise("" if v is None else str(v)) for v in line])
    return response


def _report_csv(report: dict) -> HttpResponse:
    lines = [
        [_("Period"), report["period"]],
        [_("Responsible"), report["name"]],
        [_("Quota"), report["quota"]],
        [_("Won"), report["won"]],
        [_("Expected"), report["expected"]],
        [_("Forecast"), report["forecast"]],
        [_("Gap"), report["gap"]],
        [_("At risk"), _("yes") if report["at_risk"] else _("no")],
        [_("Coverage"), report["coverage"]],
        [],
        [
            _("Pipeline"),
            _("Stage"),
            _("Open deals"),
            _("Open amount"),
            _("Expected to close in the period"),
            _("Their amount"),
            _("Win rate"),
            _("Win rate from"),
            _("Closed deals in the history"),
            _("Median days to win"),
            _("Expected"),
        ],
    ]
    for row in report["stages"]:
        lines.append(
            [
                row["pipeline_name"],
                row["name"],
                row["open_count"],
                row["open_amount"],
                row["counted_count"],
                row["counted_amount"],
                row["win_rate"],
                row["win_rate_source"],
                row["history_deals"],
                row["median_days_to_win"],
                row["expected"],
            ]
        )
    return _csv(f"plan-risk-{report['period']}.csv", lines)


@member_required
def plan_risk_deals(request):
    """The open deals counted in the report's `expected` (optionally of one stage), or with
    `?deals=open` every open deal in scope."""
    actor = request.actor
    values = _values(request, (*FIELDS, "stage", "deals"))
    which = selectors.OPEN if values.get("deals") == selectors.OPEN else selectors.EXPECTED
    args, errors = _parse(request, values)
    stage_id = None
    if values.get("stage"):
        text = values["stage"]
        if not text.isdecimal() or not 0 < int(text) < 2**63:
            raise Http404
        stage_id = int(text)
    try:
        deals = selectors.plan_risk_deal_list(actor=actor, deals=which, stage_id=stage_id, **args)
        subject = services.resolve_subject(actor, user_id=args["user_id"], team_id=args["team_id"])
    except ObjectDoesNotExist:
        raise Http404 from None
    label = periods.period_label(args["kind"], args["start"])
    if request.GET.get("format") == "csv":
        header = [
            _("Id"),
            _("Name"),
            _("Owner"),
            _("Account"),
            _("Stage"),
            _("Amount"),
            _("Win rate"),
            _("Expected"),
            _("Expected close"),
            _("Expected close date"),
        ]
        lines = [header] + [
            [
                d.pk,
                d.name,
                (d.owner.get_full_name() or d.owner.email) if d.owner else "",
                d.account.name if d.account else "",
                d.stage.name,
                d.amount_base,
                round(float(d.win_rate), 4),
                d.expected,
                d.expected_close.isoformat() if d.expected_close else "",
                d.expected_close_date,
            ]
            for d in deals
        ]
        return _csv(f"plan-risk-deals-{label}.csv", lines)
    page = Paginator(deals, PAGE_SIZE).get_page(request.GET.get("page"))
    report_values = {k: v for k, v in values.items() if k not in ("stage", "deals")}
    context = {
        "page": page,
        "errors": errors,
        "subject": subject,
        "label": label,
        "which": which,
        "tabs": [
            {
                "which": kind,
                "url": f"?{_query({**values, 'deals': kind if kind == selectors.OPEN else None})}",
                "current": kind == which,
            }
            for kind in (selectors.EXPECTED, selectors.OPEN)
        ],
        "stage": page.object_list[0].stage if stage_id and page.object_list else None,
        "total": sum((d.expected for d in deals if d.expected is not None), 0),
        "open_total": sum((d.amount_base or 0 for d in deals), 0),
        "base_query": _query(values),
        "csv_url": f"?{_query(values, format='csv')}",
        "back_url": f"{reverse('plan_risk_report')}?{_query(report_values)}",
    }
    if wants_fragment(request):
        return render(request, "plan_risk/_deal_rows.html", context)
    return render(request, "plan_risk/plan_risk_deals.html", context)
