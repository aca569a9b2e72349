"""Pages of activities: list, detail, form, complete, "my day", the quick log, the
registry's live check and report, and the purposes' settings."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from pydantic import ValidationError as SchemaError

from funia.activities import registry, selectors, services
from funia.activities.filters import ActivityConflictFilter, ActivityFilter, ActivityPurposeFilter
from funia.activities.forms import (
    ActivityForm,
    ActivityPurposeForm,
    CompleteForm,
    QuickLogForm,
    parse_customer,
)
from funia.activities.models import ActivityKind
from funia.core.records import StaleVersion
from funia.core.selectors import team_list
from funia.web.decorators import member_required
from funia.web.forms import add_service_errors
from funia.web.htmx import render_page_or_fragment, wants_fragment
from funia.web.record_pages import RecordPages

CONFLICT_PAGE = 50


def _detail_context(*, actor, record) -> dict:
    conflicts = selectors.stored_conflicts(record)
    return {
        "conflicts": [(a, registry.conflict_message(a)) for a in conflicts],
        "follow_ups": selectors.follow_ups(actor=actor, activity=record),
    }


activities = RecordPages(
    name="activity",
    app="activities",
    filter_class=ActivityFilter,
    list_selector=selectors.activity_list,
    get_selector=selectors.activity_get,
    form_class=ActivityForm,
    create=services.activity_create,
    update=services.activity_update,
    delete=services.activity_delete,
    restore=services.activity_restore,
    detail_context=_detail_context,
)


def _purpose_list(*, actor, filters):
    return selectors.activity_purpose_list(actor=actor, filters=filters)


purposes = RecordPages(
    name="activity_purpose",
    app="activities",
    filter_class=ActivityPurposeFilter,
    list_selector=_purpose_list,
    get_selector=selectors.activity_purpose_get,
    form_class=ActivityPurposeForm,
    create=services.activity_purpose_create,
    update=services.activity_purpose_update,
    delete=services.activity_purpose_delete,
    restore=services.activity_purpose_restore,
)


def _get(request, pk: int):
    try:
        return selectors.activity_get(actor=request.actor, pk=pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@member_required
def complete(request, pk: int):
    """Mark done with the outcome, and optionally plan the follow-up."""
    activity = _get(request, pk)
    form = CompleteForm(request.POST or None, activity=activity)
    if request.method == "POST" and form.is_valid():
        try:
            _done, follow_up = services.activity_complete(
                by=request.actor,
                activity=activity,
                outcome=form.cleaned_data.get("outcome") or "",
                duration_minutes=form.cleaned_data.get("duration_minutes"),
                follow_up=form.follow_up_fields(),
                if_match=request.POST.get("etag") or None,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    name = field.replace("follow_up.", "follow_up_")
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        except StaleVersion:
            form.add_error(
                None, _("Someone else changed this activity meanwhile. Reload and try again.")
            )
        else:
            messages.success(request, _("Done."))
            if follow_up is not None:
                messages.success(request, _("Follow-up planned."))
                for earlier in selectors.stored_conflicts(
                    selectors.activity_get(actor=request.actor, pk=follow_up.pk)
                ):
                    messages.warning(request, registry.conflict_message(earlier))
            return redirect(_next_url(request, reverse("activity_detail", args=[activity.pk])))
    return render(request, "activities/activity_complete.html", {"record": activity, "form": form})


@require_POST
@member_required
def done(request, pk: int):
    """One tap: done now. HTMX gets the item back as done; others go back where they were."""
    activity = _get(request, pk)
    try:
        activity, _follow_up = services.activity_complete(by=request.actor, activity=activity)
    except ValidationError as exc:
        if wants_fragment(request):
            return HttpResponse(" ".join(exc.messages), status=422)
        messages.error(request, " ".join(exc.messages))
        return redirect(_next_url(request, reverse("my_day")))
    if wants_fragment(request):
        return render(request, "activities/_day_item.html", {"activity": activity, "done": True})
    messages.success(request, _("Done."))
    return redirect(_next_url(request, reverse("my_day")))


@member_required
def my_day(request):
    day = selectors.my_day(actor=request.actor)
    form = QuickLogForm(actor=request.actor, initial={"kind": ActivityKind.CALL})
    return render(request, "activities/my_day.html", {**day, "quick_form": form})


@member_required
def quick_log(request):
    """Log a call or visit that just happened, from "my day" (a few taps on a phone)."""
    if request.method != "POST":
        return redirect("my_day")
    form = QuickLogForm(request.POST, actor=request.actor)
    if form.is_valid():
        try:
            activity = services.activity_create(by=request.actor, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Logged: %(subject)s") % {"subject": activity.subject})
            for earlier in activity.found_conflicts:
                messages.warning(request, registry.conflict_message(earlier))
            return redirect("my_day")
    day = selectors.my_day(actor=request.actor)
    return render(request, "activities/my_day.html", {**day, "quick_form": form}, status=200)


@member_required
def customer_options(request):
    """The <option>s of the customers matching what was typed (the customer search)."""
    text = request.GET.get("customer_q") or request.GET.get("q") or ""
    options = selectors.customer_options(actor=request.actor, text=text)
    response = render(
        request, "activities/_customer_options.html", {"options": options, "text": text}
    )
    response["HX-Trigger"] = "customer-options"
    return response


def _probe_from_query(request) -> registry.Probe | None:
    data = request.GET
    kind = data.get("kind") or ActivityKind.CALL
    purpose = data.get("purpose") or ""
    customer = parse_customer(data.get("customer") or "")
    if kind not in ActivityKind.values or not purpose.isdecimal() or int(purpose) > 2**63 - 1:
        return None
    lead = data.get("lead") or ""
    if customer is None and not lead.isdecimal():
        return None
    at = None
    raw = (data.get("due_at") or "")[:40]
    if raw and not data.get("done"):
        at = parse_datetime(raw)
        if at is not None and timezone.is_naive(at):
            at = timezone.make_aware(at)
    owner = data.get("owner") or ""
    activity = data.get("activity") or ""
    return registry.Probe(
        tenant=request.actor.tenant,
        owner_id=int(owner)
        if owner.isdecimal() and int(owner) <= 2**63 - 1
        else (request.actor.user.pk),
        kind=kind,
        purpose_id=int(purpose),
        at=at or timezone.now(),
        contact_id=customer[1] if customer and customer[0] == "contact" else None,
        account_id=customer[1] if customer and customer[0] == "account" else None,
        lead_id=int(lead) if lead.isdecimal() and int(lead) <= 2**63 - 1 else None,
        exclude_id=int(activity) if activity.isdecimal() and int(activity) <= 2**63 - 1 else None,
    )


@member_required
def conflict_check(request):
    """The registry's warning for an outreach being filled in, before it is saved."""
    probe = _probe_from_query(request)
    found = []
    if probe is not None:
        found = _visible_customer_conflicts(request, probe)
    return render(
        request,
        "activities/_conflict_warning.html",
        {"messages_found": [registry.conflict_message(a) for a in found]},
    )


def _visible_customer_conflicts(request, probe: registry.Probe):
    """Only ask about customers the user may see (no probing of other records)."""
    if selectors.probe_refs_visible(
        actor=request.actor,
        contact_id=probe.contact_id,
        account_id=probe.account_id,
        lead_id=probe.lead_id,
    ):
        return []
    return registry.find_conflicts(probe)


@member_required
def conflict_report(request):
    """The registry's conflicts for managers, analysts and administrators."""
    if not selectors.can_review_conflicts(request.actor):
        raise PermissionDenied
    params = {k: v for k, v in request.GET.items() if v not in ("", None) and k != "page"}
    try:
        filters = ActivityConflictFilter(**params)
    except SchemaError:
        filters = ActivityConflictFilter()
        messages.error(request, _("Some filters were not valid and were ignored."))
    queryset = selectors.conflict_list(actor=request.actor, filters=filters)
    page = Paginator(queryset, CONFLICT_PAGE).get_page(request.GET.get("page"))
    rows = [(c, registry.conflict_message(c.earlier)) for c in page.object_list]
    context = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "query": request.GET.urlencode(),
        "teams": team_list(tenant=request.actor.tenant),
        "purposes": selectors.activity_purpose_list(actor=request.actor),
    }
    return render_page_or_fragment(
        request, "activities/conflict_report.html", "activities/_conflict_rows.html", context
    )
