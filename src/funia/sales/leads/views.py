"""Pages of leads (list, detail, form, status, conversion), web forms, assignment rules,
and the public hosted form."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funia.core.errors import DuplicatesFound
from funia.core.records import StaleVersion
from funia.core.selectors import audit_trail
from funia.core.visibility import can_change, visible_records
from funia.customers.models import Account, Contact
from funia.sales.leads import assignment, conversion, selectors, services, webform
from funia.sales.leads.filters import AssignmentRuleFilter, LeadFilter, LeadFormFilter
from funia.sales.leads.forms import (
    AssignmentRuleForm,
    ConvertForm,
    LeadEditForm,
    LeadStatusForm,
    WebFormForm,
)
from funia.sales.models import LeadStatus
from funia.web.decorators import member_required
from funia.web.forms import add_service_errors
from funia.web.record_pages import RecordPages


def _lead_context(*, actor, record):
    return {
        "can_change": can_change(actor, record),
        "status_form": LeadStatusForm(initial={"status": record.status, "etag": record.etag}),
        "statuses": [s for s in LeadStatus if s != LeadStatus.CONVERTED],
    }


leads = RecordPages(
    name="lead",
    app="leads",
    filter_class=LeadFilter,
    list_selector=selectors.lead_list,
    get_selector=selectors.lead_get,
    form_class=LeadEditForm,
    create=services.lead_create,
    update=services.lead_update,
    delete=services.lead_delete,
    restore=services.lead_restore,
    detail_context=_lead_context,
)


lead_forms = RecordPages(
    name="lead_form",
    app="leads",
    filter_class=LeadFormFilter,
    list_selector=selectors.lead_form_list,
    get_selector=selectors.lead_form_get,
    form_class=WebFormForm,
    create=webform.lead_form_create,
    update=webform.lead_form_update,
    delete=webform.lead_form_delete,
    restore=webform.lead_form_restore,
)

assignment_rules = RecordPages(
    name="assignment_rule",
    app="leads",
    filter_class=AssignmentRuleFilter,
    list_selector=assignment.assignment_rule_list,
    get_selector=assignment.assignment_rule_get,
    form_class=AssignmentRuleForm,
    create=assignment.assignment_rule_create,
    update=assignment.assignment_rule_update,
    delete=assignment.assignment_rule_delete,
    restore=assignment.assignment_rule_restore,
)


@member_required
def lead_form_detail(request, pk: int):
    """A web form with its hosted page, its public address and the snippet to embed."""
    try:
        record = selectors.lead_form_get(actor=request.actor, pk=pk, with_deleted=True)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    submit_url = request.build_absolute_uri(webform.submit_url(record))
    context = {
        "record": record,
        "audit": audit_trail(
            tenant=request.actor.tenant, object_type=record._meta.label_lower, object_id=record.pk
        ),
        "hosted_url": request.build_absolute_uri(webform.hosted_url(record)),
        "submit_url": submit_url,
        "html_snippet": webform.html_snippet(record, submit_url),
        "field_labels": [str(webform.FORM_FIELDS.get(n, n)) for n in record.fields or []],
    }
    return render(request, "leads/lead_form_detail.html", context)


def _lead(request, pk: int):
    try:
        return selectors.lead_get(actor=request.actor, pk=pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


@require_POST
@member_required
def lead_status(request, pk: int):
    """Set the status from the detail page (disqualifying asks for a reason)."""
    lead = _lead(request, pk)
    form = LeadStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect("lead_detail", pk=lead.pk)
    try:
        services.lead_set_status(
            by=request.actor,
            lead=lead,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            if_match=form.cleaned_data["etag"] or None,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except StaleVersion:
        messages.error(request, _("Someone else changed this lead meanwhile; try again."))
    else:
        messages.success(request, _("Status changed."))
    return redirect("lead_detail", pk=lead.pk)


def _shown(actor, candidates, model) -> list[dict]:
    """Candidates for the page: named when the actor may see them, else counted."""
    ids = [c.record.pk for c in candidates]
    visible = set(visible_records(model, actor).filter(pk__in=ids).values_list("pk", flat=True))
    return [
        {
            "record": c.record if c.record.pk in visible else None,
            "score": c.score,
            "reasons": getattr(c, "reason_labels", c.reasons),
        }
        for c in candidates
    ]


@member_required
def lead_convert(request, pk: int):
    """Show the possible duplicates of the company and the person; link or create, and
    optionally create the deal."""
    lead = _lead(request, pk)
    if lead.is_converted:
        messages.info(request, _("This lead is converted already."))
        return redirect("lead_detail", pk=lead.pk)
    found = conversion.conversion_candidates(actor=request.actor, lead=lead)
    accounts = _shown(request.actor, found.accounts, Account)
    contacts = _shown(request.actor, found.contacts, Contact)
    initial = {
        "account": "new" if lead.company else "none",
        "contact": "new",
        "opportunity_name": lead.company or str(lead),
        "etag": lead.etag,
    }
    form = ConvertForm(request.POST or None, actor=request.actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account = data["account"]
        contact = data["contact"]
        opportunity = {
            "name": data["opportunity_name"],
            "pipeline_id": data["pipeline"].pk if data["pipeline"] else None,
            "stage_id": data["stage"].pk if data["stage"] else None,
            "amount": data["amount"],
            "currency": data["currency"],
            "expected_close_date": data["expected_close_date"],
        }
        if data["stage"] and not data["pipeline"]:
            opportunity["pipeline_id"] = data["stage"].pipeline_id
        try:
            conversion.lead_convert(
                by=request.actor,
                lead=lead,
                account_id=account if isinstance(account, int) else None,
                create_account=account != "none",
                contact_id=contact if isinstance(contact, int) else None,
                create_opportunity=data["create_opportunity"],
                opportunity=opportunity,
                on_duplicate="create",
                if_match=data["etag"] or None,
            )
        except DuplicatesFound:  # not raised with on_duplicate="create"; kept for safety
            form.add_error(None, _("Possible duplicates exist; choose one to link."))
        except ValidationError as exc:
            lead = _lead(request, pk)
            add_service_errors(form, exc)
        except StaleVersion:
            form.add_error(None, _("Someone else changed this lead meanwhile; reload the page."))
        else:
            messages.success(request, _("Lead converted."))
            return redirect("lead_detail", pk=lead.pk)
    context = {"record": lead, "form": form, "accounts": accounts, "contacts": contacts}
    return render(request, "leads/lead_convert.html", context)


def public_lead_form(request, form_key: str):
    """The hosted form (no login): the form's fields, labels and consent text."""
    form = webform.public_form(form_key)
    if form is None:
        raise Http404
    fields = [
        {
            "name": name,
            "label": webform.FORM_FIELDS[name],
            "type": webform.INPUT_TYPES.get(name, "text"),
            "required": name in (form.required or []),
        }
        for name in form.fields or []
        if name in webform.FORM_FIELDS
    ]
    context = {
        "lead_form": form,
        "fields": fields,
        "submit_url": webform.submit_url(form),
        "honeypot": webform.HONEYPOT,
        "consent": webform.CONSENT,
    }
    response = render(request, "leads/public_form.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


def public_lead_form_thanks(request, form_key: str):
    form = webform.public_form(form_key)
    if form is None:
        raise Http404
    return render(request, "leads/public_form_thanks.html", {"lead_form": form})
