"""The kanban board of a pipeline: columns per stage, moves (drag and drop or "Move to…"),
the stage gate's questions, quick edit, "show more".

The board runs a fixed number of queries whatever the number of deals: one grouped query
for every column's count and total, and one limited query per stage for its first cards.
"""

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count, F, Sum
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from pydantic import ValidationError as SchemaError

from funia.core.records import StaleVersion
from funia.core.selectors import membership_list, team_list
from funia.core.visibility import visible_records
from funia.sales import opportunities, selectors
from funia.sales.filters import OpportunityFilter
from funia.sales.forms import MoveForm, QuickEditForm
from funia.sales.models import Opportunity, StageKind
from funia.sales.pipelines import GATE_FIELDS
from funia.web.decorators import member_required
from funia.web.forms import add_service_errors
from funia.web.htmx import render_page_or_fragment

CARDS_PER_COLUMN = 25
CLOSED_DAYS = 30
BOARD_FILTERS = ("owner", "team", "close_from", "close_to", "source", "q")
KIND_ORDER = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}
# 4xx fragments the pages' script swaps in (a refused move's reason, a form with errors).
SWAP_HEADER = "X-Swap-Errors"


@dataclass
class Column:
    stage: object
    count: int
    total: Decimal
    cards: list
    more: bool
    next_offset: int
    closed_days: int = CLOSED_DAYS
    move_options: str = ""  # the cards' "Move to…" options, rendered once per column


def move_options(stages, current_id: int) -> str:
    """The <option>s of a card's "Move to…" select (the current stage disabled): built
    once per column, not once per card, which keeps a full board quick to render."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((s.pk, mark_safe(" disabled") if s.pk == current_id else "", s.name) for s in stages),
    )


def parse_board_filters(request, params) -> OpportunityFilter:
    values = {k: params.get(k) for k in BOARD_FILTERS if params.get(k) not in (None, "")}
    try:
        return OpportunityFilter(**values)
    except SchemaError:
        if request is not None:
            messages.error(request, _("Some filters were not valid and were ignored."))
        return OpportunityFilter()


def board_query(pipeline, filters: OpportunityFilter) -> str:
    """The board's pipeline and filters as a query string (kept by moves and "show more")."""
    values = {"pipeline": pipeline.pk}
    for name in BOARD_FILTERS:
        value = getattr(filters, name)
        if value not in (None, ""):
            values[name] = value
    return urlencode(values)


def board_deals(actor, pipeline, filters: OpportunityFilter):
    """The live deals of the pipeline the actor sees and the filters keep (all of them;
    `on_board` narrows them to what the columns show)."""
    qs = visible_records(Opportunity, actor).filter(pipeline=pipeline)
    return filters.filter(qs)


def on_board(deals, stages, *, closed: bool):
    """The deals of the open stages (closed=False), or of the won and lost stages closed in
    the last CLOSED_DAYS days: older closed deals are in the list and the reports; on the
    board they would bury the work at hand. Stage and closed_at conditions as plain ranges
    of the (pipeline, stage, closed_at, amount_base) index, which also covers the totals."""
    ids = [stage.pk for stage in stages if stage.is_closed == closed]
    if not closed:
        return deals.filter(stage_id__in=ids, closed_at__isnull=True)
    cutoff = timezone.now() - datetime.timedelta(days=CLOSED_DAYS)
    return deals.filter(stage_id__in=ids, closed_at__gte=cutoff)


def ordered_stages(actor, pipeline) -> list:
    stages = selectors.stages_of(tenant=actor.tenant, pipeline_id=pipeline.pk)
    return sorted(stages, key=lambda s: KIND_ORDER.get(s.kind, 0))


def _cards(deals, stage, offset: int) -> tuple[list, bool]:
    """A column's cards: open deals closing soonest first, closed ones latest first."""
    if stage.is_closed:
        order = ("-closed_at", "-id")
    else:
        order = (F("expected_close_date").asc(nulls_last=True), "-amount_base", "id")
    rows = list(
        on_board(deals, [stage], closed=stage.is_closed)
        .select_related("owner", "account")
        .order_by(*order)[offset : offset + CARDS_PER_COLUMN + 1]
    )
    now = timezone.now()
    for deal in rows:
        deal.days_in_stage = max(0, (now - deal.stage_entered_at).days)
    return rows[:CARDS_PER_COLUMN], len(rows) > CARDS_PER_COLUMN


def board_columns(actor, pipeline, filters, stages, only=None) -> list[Column]:
    """The columns (all, or those of the stage ids in `only`) with their first cards."""
    deals = board_deals(actor, pipeline, filters)
    totals = {
        row["stage_id"]: row
        for closed in (False, True)
        for row in on_board(deals, stages, closed=closed)
        .order_by()
        .values("stage_id")
        .annotate(count=Count("id"), total=Sum("amount_base"))
    }
    columns = []
    for stage in stages:
        if only is not None and stage.pk not in only:
            continue
        cards, more = _cards(deals, stage, 0)
        row = totals.get(stage.pk, {})
        columns.append(
            Column(
                stage=stage,
                count=row.get("count", 0),
                total=row.get("total") or Decimal(0),
                cards=cards,
                more=more,
                next_offset=CARDS_PER_COLUMN,
                move_options=move_options(stages, stage.pk),
            )
        )
    return columns


def _pipeline(request, value):
    """The pipeline asked for (404 when it is not the organisation's), else the default."""
    if value:
        try:
            return selectors.pipeline_get(actor=request.actor, pk=int(value))
        except (ValueError, ObjectDoesNotExist) as exc:
            raise Http404 from exc
    return selectors.default_pipeline(tenant=request.actor.tenant)


def _board_context(request, pipeline, filters) -> dict:
    stages = ordered_stages(request.actor, pipeline)
    return {
        "pipeline": pipeline,
        "stages": stages,
        "columns": board_columns(request.actor, pipeline, filters, stages),
        "board_query": board_query(pipeline, filters),
    }


@member_required
def board_view(request):
    filters = parse_board_filters(request, request.GET)
    pipeline = _pipeline(request, request.GET.get("pipeline"))
    context = {
        "filters": filters,
        "pipelines": selectors.pipeline_list(actor=request.actor).filter(deleted_at__isnull=True),
        "owners": membership_list(tenant=request.actor.tenant).filter(is_active=True),
        "teams": team_list(tenant=request.actor.tenant),
        "pipeline": pipeline,
    }
    if pipeline is not None:
        context |= _board_context(request, pipeline, filters)
    return render_page_or_fragment(request, "sales/board.html", "sales/_board.html", context)


@member_required
def column_view(request):
    """The next cards of a column ("show more")."""
    filters = parse_board_filters(None, request.GET)
    pipeline = _pipeline(request, request.GET.get("pipeline"))
    if pipeline is None:
        raise Http404
    stages = {s.pk: s for s in ordered_stages(request.actor, pipeline)}
    try:
        stage = stages[int(request.GET.get("stage", ""))]
        offset = max(0, int(request.GET.get("offset", "0")))
    except (KeyError, ValueError) as exc:
        raise Http404 from exc
    cards, more = _cards(board_deals(request.actor, pipeline, filters), stage, offset)
    context = {
        "cards": cards,
        "more": more,
        "column": Column(
            stage,
            0,
            Decimal(0),
            cards,
            more,
            offset + CARDS_PER_COLUMN,
            move_options=move_options(stages.values(), stage.pk),
        ),
        "stages": list(stages.values()),
        "pipeline": pipeline,
        "board_query": board_query(pipeline, filters),
    }
    return render(request, "sales/_board_more.html", context)


# -- moves -------------------------------------------------------------------------------


def _deal(request, pk: int):
    try:
        return selectors.opportunity_get(actor=request.actor, pk=pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _from_board(request):
    """(pipeline, filters) of the board a request came from, or None."""
    if request.POST.get("from") != "board":
        return None
    params = QueryDict(request.POST.get("board", "")[:2000])
    filters = parse_board_filters(None, params)
    try:
        pipeline = _pipeline(request, params.get("pipeline"))
    except Http404:
        return None
    return (pipeline, filters) if pipeline else None


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _fragment_error(response):
    response[SWAP_HEADER] = "1"
    return response


def _move_refused(request, deal, stage, *, form=None, reason="", status=422):
    """The refused move: its reason and, when the gate asks for fields, a form for them."""
    board = _from_board(request)
    context = {
        "deal": deal,
        "stage": stage,
        "form": form,
        "reason": reason,
        "from": request.POST.get("from", ""),
        "board_query": request.POST.get("board", ""),
        "next": _safe_next(request) or "",
        "stages": ordered_stages(request.actor, board[0]) if board else [],
    }
    if not request.htmx:
        if status == 403:
            raise PermissionDenied(reason)
        return render(request, "sales/opportunity_move.html", context)
    return _fragment_error(render(request, "sales/_move_form.html", context, status=status))


@member_required
def move_view(request, pk: int):
    """Move a deal to a stage of its pipeline. GET: the move form (with the gate's fields);
    POST: the move, answered with the board's updated columns, the deal page, or the
    reason it was refused."""
    deal = _deal(request, pk)
    stages = {s.pk: s for s in ordered_stages(request.actor, deal.pipeline)}
    data = request.POST if request.method == "POST" else request.GET
    try:
        stage = stages[int(data.get("stage") or deal.stage_id)]
    except (KeyError, ValueError):
        if request.method != "POST":
            raise Http404 from None
        return _move_refused(
            request, deal, None, reason=_("Choose a stage of the deal's pipeline.")
        )
    asked = opportunities.gate_missing(deal, stage)
    if request.method != "POST":
        form = MoveForm(initial={"stage": stage.pk}, actor=request.actor, asked=asked)
        context = {"deal": deal, "stage": stage, "form": form, "stages": list(stages.values())}
        context |= {"next": _safe_next(request) or "", "from": "", "reason": ""}
        return render(request, "sales/opportunity_move.html", context)
    form = MoveForm(request.POST, actor=request.actor, asked=asked)
    old_stage_id = deal.stage_id
    if not form.is_valid():
        return _move_refused(request, deal, stage, form=form)
    try:
        moved = opportunities.opportunity_move(
            by=request.actor, opportunity=deal, stage_id=stage.pk, fields=form.gate_fields()
        )
    except PermissionDenied as exc:
        reason = str(exc) or _("You may not move this deal.")
        return _move_refused(request, deal, stage, reason=reason, status=403)
    except ValidationError as exc:
        errors = getattr(exc, "message_dict", {})
        gate = [name for name in errors if name in GATE_FIELDS]
        if gate:
            form = MoveForm(request.POST, actor=request.actor, asked=sorted({*asked, *gate}))
            form.is_valid()
            add_service_errors(form, exc)
            reason = _("“%(stage)s” needs more before the deal can enter it.") % {
                "stage": stage.name
            }
            return _move_refused(request, deal, stage, form=form, reason=reason)
        return _move_refused(request, deal, stage, reason=" ".join(exc.messages))
    done = _("“%(deal)s” moved to “%(stage)s”.") % {"deal": moved.name, "stage": stage.name}
    board = _from_board(request)
    if request.htmx and board:
        pipeline, filters = board
        stages_list = ordered_stages(request.actor, pipeline)
        columns = board_columns(
            request.actor, pipeline, filters, stages_list, only={old_stage_id, stage.pk}
        )
        context = {
            "columns": columns,
            "stages": stages_list,
            "pipeline": pipeline,
            "board_query": board_query(pipeline, filters),
            "message": done,
        }
        response = render(request, "sales/_board_moved.html", context)
        response["HX-Trigger"] = json.dumps({"boardMoved": {"deal": moved.pk}})
        return response
    messages.success(request, done)
    target = _safe_next(request) or reverse("opportunity_detail", args=[moved.pk])
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)


# -- quick edit --------------------------------------------------------------------------


def _card_context(request, deal) -> dict:
    board = _from_board(request) if request.method == "POST" else None
    query = request.POST.get("board") or request.GET.get("board", "")
    deal.days_in_stage = max(0, (timezone.now() - deal.stage_entered_at).days)
    stages = ordered_stages(request.actor, deal.pipeline)
    return {
        "deal": deal,
        "stages": stages,
        "column": {"move_options": move_options(stages, deal.stage_id)},
        "board_query": board_query(*board) if board else query[:2000],
    }


@member_required
def quick_edit_view(request, pk: int):
    """A card's inline form (amount, close date, next step, owner) on the board."""
    deal = _deal(request, pk)
    if not request.htmx and request.method != "POST":
        return redirect("opportunity_edit", pk=deal.pk)
    if request.method != "POST" and request.GET.get("cancel"):
        return render(request, "sales/_board_card.html", _card_context(request, deal))
    form = QuickEditForm(request.POST or None, instance=deal, actor=request.actor)
    if request.method == "POST" and form.is_valid():
        try:
            deal = opportunities.opportunity_update(
                by=request.actor,
                opportunity=deal,
                fields=form.service_fields(),
                if_match=request.POST.get("etag") or None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not change this deal."))
        except StaleVersion:
            form.add_error(
                None,
                _("Someone else changed this deal meanwhile. Cancel to see their change."),
            )
        else:
            if not request.htmx:
                messages.success(request, _("Saved."))
                return redirect(_safe_next(request) or reverse("opportunity_board"))
            return _quick_edit_saved(request, deal)
    context = _card_context(request, deal) | {"form": form}
    status = 422 if request.method == "POST" else 200
    if not request.htmx:
        return render(request, "sales/opportunity_quickedit.html", context, status=status)
    response = render(request, "sales/_quick_edit.html", context, status=status)
    return _fragment_error(response) if status == 422 else response


def _quick_edit_saved(request, deal):
    """The deal's column again (its count and total may have changed)."""
    board = _from_board(request)
    if board is None:
        board = (deal.pipeline, OpportunityFilter())
    pipeline, filters = board
    stages = ordered_stages(request.actor, pipeline)
    columns = board_columns(request.actor, pipeline, filters, stages, only={deal.stage_id})
    context = {
        "columns": columns,
        "stages": stages,
        "pipeline": pipeline,
        "board_query": board_query(pipeline, filters),
        "message": _("“%(deal)s” saved.") % {"deal": deal.name},
    }
    response = render(request, "sales/_board_moved.html", context)
    # The column (out of band, with the card in place of the form) and the status line.
    response = retarget(response, f"#card-{deal.pk}")
    return reswap(response, "none")
