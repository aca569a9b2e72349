"""The Ninja API object at /api/v1: auth, problem+json errors, routers of every app."""

from ninja import NinjaAPI

from funia.api import problems
from funia.api.auth import api_auth
from funia.api.throttling import UserRateThrottle

# Every operation may answer these; documented once here so the OpenAPI is complete.
COMMON_PROBLEMS = {
    "401": "Missing or invalid API token.",
    "403": "Your role may not do this.",
    "404": "No such record in your organisation.",
    "422": "The request or its data is not valid.",
    "429": "Too many requests; wait for the seconds in Retry-After.",
}
WRITE_PROBLEMS = {
    "400": "The request body cannot be parsed (not JSON).",
    "409": "The change conflicts with existing data.",
    "412": "The If-Match version is stale; read the record again.",
}


class FuniaAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # Short, stable ids (`account_list`, `team_update`) for generated clients.
        return operation.view_func.__name__

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = {
            "type": "object",
            "title": "Problem",
            "description": "RFC 9457 problem details; `errors` lists field errors on 422.",
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "message": {"type": "string"},
                        },
                        "required": ["field", "message"],
                    },
                },
            },
            "required": ["type", "title", "status", "detail"],
        }
        problem_ref = {"$ref": "#/components/schemas/Problem"}
        for path in schema.get("paths", {}).values():
            for method, operation in path.items():
                problems_here = dict(COMMON_PROBLEMS)
                if method in {"post", "put", "patch", "delete"}:
                    problems_here |= WRITE_PROBLEMS
                responses = operation.setdefault("responses", {})
                for status, description in problems_here.items():
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/problem+json": {"schema": problem_ref}},
                        },
                    )
        return schema


api = FuniaAPI(
    title="Funia API",
    version="1",
    description=(
        "Sales force automation and CRM. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `funia token create` or on the API tokens page). Lists return "
        '`{"items", "count", "next"}`; errors are `application/problem+json`; reads return an '
        "`ETag` and writes honour `If-Match` (412 when stale)."
    ),
    auth=api_auth,
    throttle=[UserRateThrottle()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install(api)


# Every module's router (`<module>.router`), in the order of the API docs.
ROUTERS = [
    "funia.core.api",
    # Before the customers router: its /contacts/{contact_id} would capture /contacts/merge.
    "funia.customers.merge_api",
    # Before the customers router: its /contacts/{contact_id} would capture /contacts/export.
    "funia.customers.export_api",
    "funia.customers.api",
    "funia.customers.duplicates_api",
    "funia.customers.card_api",
    "funia.search.api",
    "funia.imports.api",
    "funia.sales.api",
    "funia.sales.leads.api",
    "funia.activities.api",
    "funia.activities.calendar_api",
    "funia.core.notifications_api",
    "funia.sales.territories.api",
    "funia.sales.quotas.api",
    "funia.sales.catalog.api",
    "funia.sales.configurator.api",
    "funia.sales.quotes.api",
    "funia.sales.orders.api",
    "funia.analytics.api",
    "funia.analytics.plan_risk.api",
    "funia.analytics.forecast.api",
    "funia.analytics.dashboard.api",
]


def register_routers() -> None:
    from importlib import import_module

    for module in ROUTERS:
        api.add_router("", import_module(module).router)


register_routers()
