"""Another organisation's records do not exist for you: 404 on every API route, never listed.

The routes are walked from the OpenAPI document, so a new endpoint is covered as soon as it
exists. A path parameter this module does not know fails the walk: extend RECORD_OF_PARAMETER
(and the other_org_records fixture) rather than skipping it.
"""

import re
from urllib.parse import urlencode

import pytest

from funia.api.main import api
from tests import factories
from tests.conftest import ApiClient

# Path parameter -> the kind of Rival's record whose id is substituted for it.
RECORD_OF_PARAMETER = {
    "account_id": "account",
    "contact_id": "contact",
    "team_id": "team",
    "user_id": "user",
    "token_id": "token",
    "custom_field_id": "custom_field",
    "lead_id": "lead",
    "lead_form_id": "lead_form",
    "assignment_rule_id": "assignment_rule",
    # The public web-to-lead endpoint is keyed by the form's secret key, public by design (no
    # login): Rival's form id in its place must be 404; that Rival's real key creates a lead
    # only in Rival's organisation is tested in tests/sales/leads/test_web_to_lead.py.
    "form_key": "lead_form",
    "merge_id": "merge",
    "scan_id": "duplicate_scan",
    "import_id": "import",
    "notification_id": "notification",
    "activity_id": "activity",
    "activity_purpose_id": "activity_purpose",
    "pipeline_id": "pipeline",
    "opportunity_id": "opportunity",
    "exchange_rate_id": "exchange_rate",
    "territory_id": "territory",
    "quota_id": "quota",
    "forecast_adjustment_id": "forecast_adjustment",
    "product_id": "product",
    "product_file_id": "product_file",
    "price_book_id": "price_book",
    "configurator_link_id": "configurator_link",
    "quote_id": "quote",
    "order_id": "order",
}
# List endpoint -> kinds of Rival's records it must never return (None: tested elsewhere).
RECORDS_OF_LIST = {
    "/api/v1/accounts": ("account", "account_deleted"),
    "/api/v1/contacts": ("contact", "contact_deleted"),
    "/api/v1/teams": ("team", "team_deleted"),
    "/api/v1/users": ("user", "admin_user"),
    "/api/v1/tokens": ("token",),
    "/api/v1/custom-fields": ("custom_field", "custom_field_deleted"),
    "/api/v1/leads": ("lead", "lead_deleted"),
    "/api/v1/lead-forms": ("lead_form", "lead_form_deleted"),
    "/api/v1/assignment-rules": ("assignment_rule", "assignment_rule_deleted"),
    "/api/v1/audit": None,  # needs a record: test_the_audit_trail_of_a_rival_record_is_404
    "/api/v1/search": None,  # needs a query: tests/search/test_search_scope.py
    # need a pipeline and a stage: tests/analytics/test_funnel_api.py (rival ids are 404)
    "/api/v1/reports/funnel/history/drilldown": None,
    "/api/v1/reports/funnel/snapshot/drilldown": None,
    "/api/v1/duplicates": ("duplicate_cluster",),
    "/api/v1/imports": ("import",),
    "/api/v1/notifications": ("notification",),
    "/api/v1/pipelines": ("pipeline",),
    "/api/v1/exchange-rates": ("exchange_rate", "exchange_rate_deleted"),
    "/api/v1/opportunities": ("opportunity", "opportunity_deleted"),
    "/api/v1/activities": ("activity", "activity_deleted"),
    "/api/v1/activity-purposes": ("activity_purpose", "activity_purpose_deleted"),
    "/api/v1/activity-conflicts": ("activity_conflict",),
    "/api/v1/territories": ("territory", "territory_deleted"),
    "/api/v1/territories/{territory_id}/accounts": None,  # a record route: walked above
    "/api/v1/quotas": ("quota", "quota_deleted"),
    "/api/v1/reports/plan-risk/deals": ("opportunity", "opportunity_deleted"),
    "/api/v1/forecast-adjustments": ("forecast_adjustment", "forecast_adjustment_deleted"),
    "/api/v1/reports/forecast/deals": ("opportunity", "opportunity_deleted"),
    "/api/v1/reports/deals-at-risk": ("opportunity", "opportunity_deleted"),
    "/api/v1/products": ("product", "product_deleted"),
    "/api/v1/price-books": ("price_book", "price_book_deleted"),
    "/api/v1/configurator-links": ("configurator_link",),
    "/api/v1/quotes": ("quote", "quote_deleted"),
    "/api/v1/orders": ("order", "order_deleted"),
}
# Kinds with a trashed twin in other_org_records ("account" -> "account_deleted").
TRASHABLE = {"account_deleted", "contact_deleted", "team_deleted", "custom_field_deleted"}
TRASHABLE |= {"lead_deleted", "lead_form_deleted", "assignment_rule_deleted"}
TRASHABLE |= {"opportunity_deleted", "exchange_rate_deleted"}
TRASHABLE |= {"activity_deleted"}
TRASHABLE |= {"activity_purpose_deleted"}
TRASHABLE |= {"territory_deleted", "quota_deleted", "forecast_adjustment_deleted"}
TRASHABLE |= {"product_deleted", "price_book_deleted", "quote_deleted", "order_deleted"}
NONEXISTENT_ID = 2**62
STATES = ("live", "trashed")
METHODS = {"get", "post", "put", "patch", "delete"}

SCHEMA = api.get_openapi_schema()
OPERATIONS = sorted(
    (method, path) for path, item in SCHEMA["paths"].items() for method in item if method in METHODS
)


def path_parameters(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def walk_cases():
    for method, path in OPERATIONS:
        names = path_parameters(path)
        if not names:
            continue
        yield pytest.param(method, path, "live", id=f"{method.upper()} {path}")
        # Trashed records are read and restored through with_deleted querysets: walk them too.
        if all(RECORD_OF_PARAMETER.get(n, "") + "_deleted" in TRASHABLE for n in names):
            yield pytest.param(method, path, "trashed", id=f"{method.upper()} {path} (trashed)")


def is_page(operation: dict) -> bool:
    """Does the operation answer 200 with a {"items", "count", "next"} page?"""
    responses = {str(status): r for status, r in operation.get("responses", {}).items()}
    schema = responses.get("200", {}).get("content", {}).get("application/json", {})
    return "items" in resolve(schema.get("schema", {})).get("properties", {})


def list_cases():
    for method, path in OPERATIONS:
        if method == "get" and is_page(SCHEMA["paths"][path][method]):
            yield pytest.param(path, id=path)


# -- request building from the OpenAPI document -----------------------------------------


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def example(schema: dict):
    """A minimal valid value of a JSON schema, so validation cannot answer before lookup."""
    schema = resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if resolve(s).get("type") != "null"]
            return example(options[0])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: example(schema["properties"][name]) for name in schema.get("required", [])}
    if kind == "string":
        if schema.get("format") == "email":
            return "someone@example.com"
        return "x" * max(1, schema.get("minLength", 1))
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    pytest.fail(f"No example for schema {schema!r}: teach example() this type")


def request_parts(method: str, path: str) -> tuple[dict | None, dict]:
    operation = SCHEMA["paths"][path][method]
    body = None
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = example(content["application/json"]["schema"])
    query = {
        p["name"]: example(p.get("schema", {}))
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }
    return body, query


def with_query(url: str, query: dict) -> str:
    return f"{url}?{urlencode(query)}" if query else url


def acme_client(kind: str, admin, rep, api_as) -> ApiClient:
    actor = rep if kind.startswith("rep") else admin
    if kind.endswith("token"):
        return api_as(actor)
    client = ApiClient()
    client.force_login(actor.user)
    return client


@pytest.fixture
def other_org_records(other_org_records, outsider, tmp_path):
    """The shared fixture's records, plus a merge of two of Rival's contacts ("merge")."""
    from funia.customers.merge import contact_merge

    survivor = factories.contact(outsider, first_name="Rivalmerge", last_name="Keptova")
    merged = factories.contact(outsider, first_name="Rivalmerge", last_name="Goneva")
    other_org_records.ids["merge"] = contact_merge(
        by=outsider, survivor=survivor, merged=[merged]
    ).pk
    other_org_records.markers.append("Rivalmerge")
    # A finished duplicate scan ("duplicate_scan") with a cluster of two of Rival's contacts.
    from funia.customers import dedupe

    for _twice in range(2):
        factories.contact(outsider, first_name="Rivaldupe", last_name="Twinova")
    scan = dedupe.duplicate_scan_start(by=outsider, record_type="contact")
    dedupe.duplicate_scan_run(tenant_id=outsider.tenant.pk, scan_id=scan.pk)
    other_org_records.ids["duplicate_scan"] = scan.pk
    other_org_records.ids["duplicate_cluster"] = scan.clusters.get().pk
    other_org_records.markers.append("Rivaldupe")
    # A finished import ("import") of Rival's, with a row error.
    from tests.imports.helpers import finished_import

    other_org_records.ids["import"] = finished_import(
        outsider, tmp_path, name="rival-secret-import.csv"
    ).pk
    other_org_records.markers += ["rival-secret-import", "rival.import@example.com"]
    return other_org_records


@pytest.fixture(params=["admin-token", "admin-session"])
def client_of_acme(request, admin, rep, api_as):
    """Acme's administrator through a bearer token, or through the web session."""
    return acme_client(request.param, admin, rep, api_as)


@pytest.fixture(params=["admin-token", "admin-session", "rep-token"])
def any_client_of_acme(request, admin, rep, api_as):
    """As client_of_acme, and also a sales rep.

    A rep may be refused by role before any lookup (403 on admin-only routes, whatever the
    id); what must hold for every role is that Rival's ids answer exactly like missing ones.
    """
    return acme_client(request.param, admin, rep, api_as)


# -- the walk ----------------------------------------------------------------------------


def test_the_walk_covers_every_operation_of_the_served_openapi_document(admin, api_as):
    response = api_as(admin).call("get", "/openapi.json")
    assert response.status_code == 200
    served = sorted(
        (method, path)
        for path, item in response.json()["paths"].items()
        for method in item
        if method in METHODS
    )
    assert served == OPERATIONS


def test_the_walk_reaches_every_record_route():
    walked = {path for _m, path in OPERATIONS if path_parameters(path)}
    assert len(walked) >= 8, walked


@pytest.mark.parametrize(("method", "path", "state"), list(walk_cases()))
def test_every_route_answers_404_for_a_record_of_another_organisation(
    client_of_acme, other_org_records, method, path, state
):
    substitutions = {}
    for name in path_parameters(path):
        if name not in RECORD_OF_PARAMETER:
            pytest.fail(
                f"{method.upper()} {path}: unknown path parameter {name!r}. Map it to a "
                "record of the other organisation in RECORD_OF_PARAMETER."
            )
        kind = RECORD_OF_PARAMETER[name] + ("_deleted" if state == "trashed" else "")
        substitutions[name] = other_org_records.ids[kind]
    body, query = request_parts(method, path)
    before = other_org_records.snapshot()

    url = with_query(path.format(**substitutions), query)
    response = client_of_acme.call(method, url, body, headers={"If-Match": "*"})

    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert not other_org_records.leaked_markers(response.content.decode())
    assert other_org_records.snapshot() == before


@pytest.mark.parametrize(("method", "path", "state"), list(walk_cases()))
def test_a_record_of_another_organisation_answers_like_a_record_that_does_not_exist(
    any_client_of_acme, other_org_records, method, path, state
):
    names = path_parameters(path)
    if any(name not in RECORD_OF_PARAMETER for name in names):
        pytest.fail(f"{method.upper()} {path}: unknown path parameter in {names}")
    suffix = "_deleted" if state == "trashed" else ""
    theirs = path.format(
        **{n: other_org_records.ids[RECORD_OF_PARAMETER[n] + suffix] for n in names}
    )
    missing = path.format(**dict.fromkeys(names, NONEXISTENT_ID))
    body, query = request_parts(method, path)

    for_theirs = any_client_of_acme.call(method, with_query(theirs, query), body)
    for_missing = any_client_of_acme.call(method, with_query(missing, query), body)

    assert (for_theirs.status_code, for_theirs.json()) == (
        for_missing.status_code,
        for_missing.json(),
    )


@pytest.mark.parametrize(
    ("object_type", "state"),
    [
        *[(t, s) for t in ("customers.account", "customers.contact", "core.team") for s in STATES],
        ("core.organization", "live"),
    ],
)
def test_the_audit_trail_of_a_rival_record_is_404(
    client_of_acme, other_org_records, object_type, state
):
    if object_type == "core.organization":
        object_id = other_org_records.tenant.pk
    else:
        kind = object_type.split(".")[1] + ("_deleted" if state == "trashed" else "")
        object_id = other_org_records.ids[kind]
    before = other_org_records.snapshot()
    response = client_of_acme.call(
        "get", "/audit", {"object_type": object_type, "object_id": object_id}
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert not other_org_records.leaked_markers(response.content.decode())
    assert other_org_records.snapshot() == before


# -- lists -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(list_cases()))
def test_list_endpoints_never_return_records_of_another_organisation(
    client_of_acme, other_org_records, path
):
    if path not in RECORDS_OF_LIST:
        pytest.fail(f"GET {path}: unknown list endpoint. Add it to RECORDS_OF_LIST.")
    kinds = RECORDS_OF_LIST[path]
    if kinds is None:
        return
    parameters = {p["name"] for p in SCHEMA["paths"][path]["get"].get("parameters", [])}
    variants = [{"limit": 500}]
    if "deleted" in parameters:
        variants.append({"limit": 500, "deleted": "true"})
    forbidden = {other_org_records.ids[kind] for kind in kinds}
    for query in variants:
        response = client_of_acme.call("get", path, query)
        assert response.status_code == 200, response.content
        returned = {item["id"] for item in response.json()["items"]}
        assert not returned & forbidden, query
        assert not other_org_records.leaked_markers(response.content.decode()), query


def test_the_list_walk_finds_the_record_lists():
    found = {p.values[0] for p in list_cases()}
    assert {"/api/v1/accounts", "/api/v1/contacts", "/api/v1/teams", "/api/v1/users"} <= found


def test_filtering_a_list_by_a_rival_owner_returns_nothing(
    client_of_acme, other_org_records, admin
):
    response = client_of_acme.call("get", "/accounts", {"owner": other_org_records.ids["user"]})
    assert response.json()["items"] == []


# -- references in bodies ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field", "kind"),
    [
        ("/accounts", "parent", "account"),
        ("/accounts", "owner", "user"),
        ("/contacts", "account", "account"),
        ("/contacts", "owner", "user"),
    ],
)
def test_a_reference_to_a_rival_record_is_refused_like_a_missing_one(
    client_of_acme, other_org_records, path, field, kind
):
    required = {"/accounts": {"name": "Ours"}, "/contacts": {"last_name": "Ours"}}[path]
    theirs = client_of_acme.call("post", path, required | {field: other_org_records.ids[kind]})
    missing = client_of_acme.call("post", path, required | {field: NONEXISTENT_ID})
    assert theirs.status_code == 422
    assert theirs.json() == missing.json()
    assert not other_org_records.leaked_markers(theirs.content.decode())


# -- reports narrowed by another organisation's records -------------------------------------


def _won_and_open_deals(by, owner, *, name: str, account=None, pipeline=None):
    """A deal won ten days ago and an open one that entered Qualification twenty days ago,
    owned by `owner` (both with their stage history)."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from funia.sales import opportunities

    pipeline = pipeline or factories.pipeline(by)
    now = timezone.now()
    won = opportunities.opportunity_create(
        by=by,
        name=f"{name} won",
        pipeline_id=pipeline.pk,
        owner_id=owner.pk,
        account_id=account.pk if account else None,
        amount=Decimal("987654.32"),
        stage_history=[
            {"stage": "Qualification", "at": now - datetime.timedelta(days=40)},
            {"stage": "Won", "at": now - datetime.timedelta(days=10)},
        ],
    )
    still_open = opportunities.opportunity_create(
        by=by,
        name=f"{name} open",
        pipeline_id=pipeline.pk,
        owner_id=owner.pk,
        account_id=account.pk if account else None,
        amount=Decimal("123456.78"),
        stage_history=[{"stage": "Qualification", "at": now - datetime.timedelta(days=20)}],
    )
    return pipeline, won, still_open


def test_the_territory_coverage_never_shows_another_organisations_territories_or_accounts(
    client_of_acme, admin, outsider, other_org_records
):
    from funia.sales.territories import services as territory_services

    acme_bg = territory_services.territory_create(by=admin, name="Acme BG", countries=["BG"])
    shop = factories.account(admin, name="Acme Sofia shop", country="BG")
    _won_and_open_deals(admin, admin.user, name="Acme", account=shop)
    # Rival's accounts match Acme's rules too (BG), with deals won and open; Rival's own
    # territory takes BG accounts as well.
    rival_bg = factories.account(outsider, name="Rival Secret Account BG", country="BG")
    _won_and_open_deals(outsider, outsider.user, name="Rival Secret Deal BG", account=rival_bg)
    before = other_org_records.snapshot()

    response = client_of_acme.call(
        "get",
        "/reports/territories",
        {"from": "2000-01-01", "to": "2100-01-01", "active_months": 120},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["territory"] for row in body["territories"]] == [acme_bg.pk, None]
    bg, nowhere = body["territories"]
    assert (bg["accounts"], bg["customers"], bg["prospects"]) == (1, 1, 0)
    assert (bg["open_deals"], bg["open_pipeline"]) == (1, "123456.78")
    assert (bg["won_deals"], bg["revenue"]) == (1, "987654.32")
    assert nowhere["accounts"] == nowhere["open_deals"] == nowhere["won_deals"] == 0
    assert body["total"]["accounts"] == 1
    assert body["total"]["revenue"] == "987654.32"
    assert other_org_records.ids["user"] not in body["total"]["rep_ids"]
    assert not other_org_records.leaked_markers(response.content.decode())
    assert other_org_records.snapshot() == before


@pytest.mark.parametrize("narrowed_by", ["owner", "team"])
def test_the_funnel_history_of_another_organisations_owner_or_team_is_empty(
    client_of_acme, admin, outsider, other_org_records, narrowed_by
):
    from funia.core.models import Membership, User

    acme_pipeline, _won, _open = _won_and_open_deals(admin, admin.user, name="Acme")
    # Rival's rep also belongs to Acme and owns Acme deals: Rival's team still counts
    # nothing of Acme's, and the rep's own Acme deals are Acme's to report.
    rival_rep = User.objects.get(pk=other_org_records.ids["user"])
    _won_and_open_deals(outsider, rival_rep, name="Rival Secret Deal history")
    Membership.objects.create(tenant=admin.tenant, user=rival_rep, role="sales_rep")
    _won_and_open_deals(admin, rival_rep, name="Acme deal of a shared rep", pipeline=acme_pipeline)
    rival = {"owner": other_org_records.ids["admin_user"], "team": other_org_records.ids["team"]}
    query = {"pipeline": acme_pipeline.pk, narrowed_by: rival[narrowed_by]}
    before = other_org_records.snapshot()

    everything = client_of_acme.call(
        "get", "/reports/funnel/history", {"pipeline": query["pipeline"]}
    )
    narrowed = client_of_acme.call("get", "/reports/funnel/history", query)
    grouped = client_of_acme.call(
        "get", "/reports/funnel/history", {**query, "group_by": narrowed_by}
    )
    stage = everything.json()["stages"][0]["stage"]
    deals = client_of_acme.call(
        "get", "/reports/funnel/history/drilldown", {**query, "stage": stage, "limit": 500}
    )

    # Acme's deals are there: the administrator's and the shared rep's.
    assert everything.json()["stages"][0]["entered"] == 4
    assert narrowed.status_code == grouped.status_code == deals.status_code == 200
    assert all(row["entered"] == 0 for row in narrowed.json()["stages"])
    assert all(row["entered"] == 0 for row in grouped.json()["stages"])
    assert grouped.json()["groups"] == []
    assert deals.json()["count"] == 0
    # Grouped by team without the filter, the shared rep's Acme deals are in no Rival team.
    by_team = client_of_acme.call(
        "get", "/reports/funnel/history", {"pipeline": acme_pipeline.pk, "group_by": "team"}
    )
    assert [group["key"] for group in by_team.json()["groups"]] == [None]
    for response in (narrowed, grouped, deals, by_team):
        assert not other_org_records.leaked_markers(response.content.decode())
    assert other_org_records.snapshot() == before
