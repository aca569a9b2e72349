"""API of /leads, /lead-forms, /assignment-rules and the public /web-to-lead."""

import json

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from ninja import Router

from funia.api.concurrency import if_match, with_etag
from funia.api.problems import problem
from funia.api.records import RecordRoutes
from funia.api.schemas import Id
from funia.core.http import client_address
from funia.sales.leads import assignment, conversion, selectors, services, webform
from funia.sales.leads.filters import AssignmentRuleFilter, LeadFilter, LeadFormFilter
from funia.sales.leads.schemas import (
    AssignmentRuleIn,
    AssignmentRuleOut,
    AssignmentRulePatch,
    LeadConvertIn,
    LeadFormIn,
    LeadFormOut,
    LeadFormPatch,
    LeadIn,
    LeadOut,
    LeadPatch,
)

router = Router(tags=["leads"])

TEXT_FIELDS = set(services.TEXT_FIELDS)


def lead_fields(data: dict) -> dict:
    """API payload -> service fields: `owner` becomes `owner_id`, null text ''."""
    fields = {("owner_id" if name == "owner" else name): value for name, value in data.items()}
    for name in TEXT_FIELDS | {"rating"}:
        if name in fields and fields[name] is None:
            fields[name] = ""
    if "status" in fields and fields["status"] is None:
        fields.pop("status")
    return fields


def reference_fields(data: dict) -> dict:
    """`owner`, `user`, `team` -> *_id; null text ''; null lists []."""
    refs = {"owner": "owner_id", "user": "user_id", "team": "team_id"}
    fields = {refs.get(name, name): value for name, value in data.items()}
    for name in ("source", "campaign", "consent_text", "thank_you", "redirect_url"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    for name in ("fields", "required", "allowed_origins", *assignment.CRITERIA):
        if name in fields and fields[name] is None:
            fields[name] = []
    for name in ("is_active", "by_territory"):
        if name in fields and fields[name] is None:
            fields.pop(name)
    return fields


@router.post(
    "/leads/{lead_id}/convert",
    response=LeadOut,
    operation_id="lead_convert",
    summary="Convert a lead into an account, a contact and optionally an opportunity",
    description=(
        "Links the `account` / `contact` named, else creates them (the duplicate check "
        "answers 409 with the candidates unless `on_duplicate` is `create`). The lead "
        "becomes `converted` and read-only; its activities follow."
    ),
)
def convert_lead(request, lead_id: Id, payload: LeadConvertIn, response: HttpResponse):
    lead = selectors.lead_get(actor=request.auth, pk=lead_id)
    opportunity = None
    if payload.opportunity is not None:
        given = payload.opportunity.model_dump(exclude_unset=True)
        refs = {"pipeline": "pipeline_id", "stage": "stage_id"}
        opportunity = {refs.get(k, k): v for k, v in given.items()}
    lead = conversion.lead_convert(
        by=request.auth,
        lead=lead,
        account_id=payload.account,
        contact_id=payload.contact,
        create_opportunity=payload.create_opportunity,
        opportunity=opportunity,
        on_duplicate=payload.on_duplicate,
        if_match=if_match(request),
    )
    return with_etag(response, selectors.lead_get(actor=request.auth, pk=lead.pk))


RecordRoutes(
    name="lead",
    plural="leads",
    label="lead",
    output=LeadOut,
    create_input=LeadIn,
    patch_input=LeadPatch,
    filters=LeadFilter,
    list_selector=selectors.lead_list,
    get_selector=selectors.lead_get,
    create=services.lead_create,
    update=services.lead_update,
    delete=services.lead_delete,
    restore=services.lead_restore,
    to_fields=lead_fields,
).register(router)


RecordRoutes(
    name="lead_form",
    plural="lead-forms",
    label="web-to-lead form",
    output=LeadFormOut,
    create_input=LeadFormIn,
    patch_input=LeadFormPatch,
    filters=LeadFormFilter,
    list_selector=selectors.lead_form_list,
    get_selector=selectors.lead_form_get,
    create=webform.lead_form_create,
    update=webform.lead_form_update,
    delete=webform.lead_form_delete,
    restore=webform.lead_form_restore,
    to_fields=reference_fields,
).register(router)

RecordRoutes(
    name="assignment_rule",
    plural="assignment-rules",
    label="assignment rule",
    output=AssignmentRuleOut,
    create_input=AssignmentRuleIn,
    patch_input=AssignmentRulePatch,
    filters=AssignmentRuleFilter,
    list_selector=assignment.assignment_rule_list,
    get_selector=assignment.assignment_rule_get,
    create=assignment.assignment_rule_create,
    update=assignment.assignment_rule_update,
    delete=assignment.assignment_rule_delete,
    restore=assignment.assignment_rule_restore,
    to_fields=reference_fields,
).register(router)


# The public web-to-lead endpoint -------------------------------------------------------

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SUBMISSION_BODY = {
    "content": {
        content_type: {
            "schema": {
                "type": "object",
                "description": (
                    "The form's fields (see the form's `fields`), the consent checkbox "
                    f"`{webform.CONSENT}` and the honeypot `{webform.HONEYPOT}` (leave empty)."
                ),
                "additionalProperties": {"type": "string"},
            }
        }
        for content_type in ("application/json", *FORM_TYPES)
    }
}


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}".lower()


def _with_cors(response: HttpResponse, request: HttpRequest, allowed: bool) -> HttpResponse:
    origin = request.headers.get("Origin")
    if origin and allowed:
        response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


def _is_form_post(request: HttpRequest) -> bool:
    return (request.content_type or "") in FORM_TYPES


def _wants_html(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return _is_form_post(request) and "text/html" in accept


def _submission_data(request: HttpRequest) -> dict | None:
    if _is_form_post(request):
        return {key: request.POST.get(key) for key in request.POST}
    if (request.content_type or "") == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None
    return None


@router.api_operation(
    ["OPTIONS"],
    "/web-to-lead/{form_key}",
    auth=None,
    throttle=[],
    include_in_schema=False,
)
def web_to_lead_preflight(request, form_key: str):
    """CORS preflight: allowed only for the sites the form lists."""
    form = webform.public_form(form_key)
    if form is None:
        return problem(404, "No such form.")
    origin = request.headers.get("Origin")
    if not webform.origin_allowed(form, origin, _own_origin(request)):
        return _with_cors(problem(403, "This site may not post to the form."), request, False)
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type, Accept"
    response["Access-Control-Max-Age"] = "600"
    return _with_cors(response, request, True)


@router.post(
    "/web-to-lead/{form_key}",
    auth=None,
    throttle=[],
    response={201: dict, 303: None},
    url_name="web_to_lead_submit",
    operation_id="web_to_lead_submit",
    summary="Submit a public web-to-lead form (no authentication)",
    description=(
        "Accepts the form's fields as JSON, URL-encoded or multipart form data. Browsers "
        "may post from the sites the form allows (CORS). A browser form post (Accept: "
        "text/html) is redirected (303) to the form's redirect URL or thank-you page, "
        "and shown its errors as a page; other clients get 201 with a message or 422. "
        "Rate limited per address and form (429 with Retry-After)."
    ),
    openapi_extra={"requestBody": SUBMISSION_BODY},
)
def web_to_lead_submit(request, form_key: str):
    form = webform.public_form(form_key)
    if form is None:
        return problem(404, "No such form.")
    origin = request.headers.get("Origin")
    if not webform.origin_allowed(form, origin, _own_origin(request)):
        return _with_cors(problem(403, "This site may not post to the form."), request, False)
    try:
        webform.check_rate(form, client_address(request))
    except webform.RateLimited as limited:
        response = problem(429, "Too many submissions; try again later.")
        response["Retry-After"] = str(limited.retry_after)
        return _with_cors(response, request, True)
    data = _submission_data(request)
    if data is None:
        return _with_cors(problem(400, "Send the form as JSON or as form data."), request, True)
    try:
        webform.lead_form_submit(form=form, data=data)
    except ValidationError as exc:
        errors = [
            {"field": field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
        if _wants_html(request):
            response = render(
                request,
                "leads/public_form_errors.html",
                {"lead_form": form, "errors": _labelled(errors), "back": _back(request, form)},
                status=422,
            )
        else:
            response = problem(422, "The submission is not valid; see errors.", errors=errors)
        return _with_cors(response, request, True)
    message = form.thank_you or _("Thank you! We will be in touch soon.")
    if _wants_html(request):
        target = form.redirect_url or webform.hosted_url(form) + "thanks/"
        response = HttpResponseRedirect(target, status=303)
    else:
        response = JsonResponse({"message": message}, status=201)
    return _with_cors(response, request, True)


def _back(request: HttpRequest, form) -> str:
    """Where "back to the form" leads: the page that posted, else the hosted form."""
    referer = request.headers.get("Referer", "")
    if referer.startswith(("https://", "http://")):
        return referer
    return webform.hosted_url(form)


def _labelled(errors: list[dict]) -> list[dict]:
    return [
        {"label": str(webform.FORM_FIELDS.get(e["field"], e["field"])), "message": e["message"]}
        for e in errors
    ]
