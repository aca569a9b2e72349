"""Pages of deals on the shared record pattern: list (filters, sort, saved views, bulk
actions), detail (stage path, stage history with time in each stage, audit trail), form."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from pydantic import ValidationError as SchemaError

from funia.core.selectors import membership_list, saved_views_for, team_list
from funia.core.visibility import visible_records
from funia.sales import opportunities, selectors
from funia.sales.filters import OpportunityFilter
from funia.sales.forms import OpportunityForm, stage_options
from funia.sales.models import Opportunity
from funia.sales.views.board import ordered_stages
from funia.web.decorators import member_required
from funia.web.htmx import render_page_or_fragment
from funia.web.record_pages import PAGE_SIZE, RecordPages


def _duration(seconds) -> str:
    """A stay's length in words: days and hours, or hours and minutes when shorter."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days} + (
            " " + ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours} if hours else ""
        )
    if hours:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def _detail_context(*, actor, record):
    from funia.sales.quotes.views import deal_quotes_context

    stays = selectors.time_in_stages(opportunity=record)
    for stay in stays:
        stay["duration"] = _duration(stay["seconds"])
    stages = ordered_stages(actor, record.pipeline)
    current = next((i for i, s in enumerate(stages) if s.pk == record.stage_id), -1)
    return {
        "stays": stays,
        "stages": stages,
        "current_index": current,
        "organisation_currency": actor.tenant.currency,
        "shows_base": record.amount is not None and record.currency != actor.tenant.currency,
        **deal_quotes_context(actor=actor, opportunity=record),
    }


def _list(*, actor, filters):
    return selectors.opportunity_list(actor=actor, filters=filters)


class OpportunityPages(RecordPages):
    """The record pages, with a list that also offers pipelines, stages and teams (its
    filters and bulk actions)."""

    def list_view(self):
        @member_required
        def view(request):
            params = {k: v for k, v in request.GET.items() if v not in ("", None) and k != "page"}
            try:
                filters = self.filter_class(**params)
            except SchemaError:
                filters = self.filter_class()
                messages.error(request, _("Some filters were not valid and were ignored."))
            queryset = self.list_selector(actor=request.actor, filters=filters)
            page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
            actor = request.actor
            pipelines = list(selectors.pipeline_list(actor=actor).filter(deleted_at__isnull=True))
            context = {
                "page": page,
                "filters": filters,
                "query": request.GET.urlencode(),
                "list_key": f"{self.name}_list",
                "owners": membership_list(tenant=actor.tenant).filter(is_active=True),
                "saved_views": saved_views_for(actor=actor, list_key=f"{self.name}_list"),
                "pipelines": pipelines,
                "teams": team_list(tenant=actor.tenant),
                "organisation_currency": actor.tenant.currency,
            }
            return render_page_or_fragment(
                request, self.template("list"), self.template("rows"), context
            )

        return view


opportunity_pages = OpportunityPages(
    name="opportunity",
    app="sales",
    filter_class=OpportunityFilter,
    list_selector=_list,
    get_selector=selectors.opportunity_get,
    form_class=OpportunityForm,
    create=opportunities.opportunity_create,
    update=opportunities.opportunity_update,
    delete=opportunities.opportunity_delete,
    restore=opportunities.opportunity_restore,
    detail_context=_detail_context,
)


@member_required
def stage_options_view(request):
    """The <option>s of a pipeline's stages, for the deal form's stage select."""
    raw = request.GET.get("pipeline", "")
    pipeline_id = int(raw) if raw.isdecimal() and len(raw) < 19 else None
    stages = stage_options(request.actor, pipeline_id)
    return render(request, "sales/_stage_options.html", {"stages": stages})


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("opportunity_list")


def _ids(request) -> list[int]:
    ids = []
    for value in request.POST.getlist("ids"):
        if value.isdecimal() and len(value) < 19:
            ids.append(int(value))
    return ids


@require_POST
@member_required
def bulk_view(request):
    """Reassign the chosen deals, or move them to a stage; tells what was done and what
    was refused and why."""
    ids = _ids(request)
    action = request.POST.get("action", "")
    if not ids:
        messages.error(request, _("Choose the deals first."))
        return _back(request)
    try:
        if action == "reassign":
            owner = request.POST.get("owner", "")
            if not owner.isdecimal():
                messages.error(request, _("Choose who gets the deals."))
                return _back(request)
            result = opportunities.opportunity_bulk_reassign(
                by=request.actor, ids=ids, owner_id=int(owner)
            )
            done = ngettext(
                "%(n)d deal reassigned.", "%(n)d deals reassigned.", len(result.done)
            ) % {"n": len(result.done)}
        elif action == "move":
            stage = request.POST.get("stage", "")
            if not stage.isdecimal():
                messages.error(request, _("Choose the stage to move the deals to."))
                return _back(request)
            result = opportunities.opportunity_bulk_move(
                by=request.actor, ids=ids, stage_id=int(stage)
            )
            done = ngettext("%(n)d deal moved.", "%(n)d deals moved.", len(result.done)) % {
                "n": len(result.done)
            }
        else:
            messages.error(request, _("Choose an action."))
            return _back(request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Your role may not change deals."))
        return _back(request)
    messages.success(request, done)
    if result.refused:
        names = dict(
            visible_records(Opportunity, request.actor)
            .filter(pk__in=list(result.refused))
            .values_list("pk", "name")
        )
        lines = [
            _("%(deal)s: %(reason)s") % {"deal": names.get(pk, f"#{pk}"), "reason": reason}
            for pk, reason in result.refused.items()
        ]
        messages.warning(
            request,
            ngettext("%(n)d deal refused: ", "%(n)d deals refused: ", len(lines))
            % {"n": len(lines)}
            + "; ".join(lines),
        )
    return _back(request)
