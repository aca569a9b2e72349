"""Errors as application/problem+json (RFC 9457), one shape for every endpoint."""

from http import HTTPStatus

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from funia.core.errors import DuplicatesFound
from funia.core.records import StaleVersion
from funia.core.tenancy import UnscopedTenantQuery

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(status: int, detail: str, *, errors: list | None = None, **extra) -> JsonResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def _field_name(loc) -> str:
    # ("body", "payload", "emails", 0, "value") -> "emails.0.value"; query params keep their name.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form", "cookie"}:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in {"payload", "filters", "data"}:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def _django_errors(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": "__all__", "message": message} for message in exc.messages]


def _visible_keys(actor, records) -> set[tuple[type, int]]:
    from funia.core.visibility import visible_records

    keys = set()
    for model in {type(r) for r in records}:
        ids = [r.pk for r in records if type(r) is model]
        keys |= {
            (model, pk)
            for pk in visible_records(model, actor).filter(pk__in=ids).values_list("pk", flat=True)
        }
    return keys


def install(api) -> None:
    """Register the problem+json handlers on the Ninja API object."""

    @api.exception_handler(NinjaValidationError)
    def on_invalid_request(request, exc):
        errors = [
            {"field": _field_name(err.get("loc", ())), "message": err.get("msg", "Invalid value.")}
            for err in exc.errors
        ]
        return problem(422, "The request is not valid; see errors.", errors=errors)

    @api.exception_handler(DjangoValidationError)
    def on_invalid_data(request, exc):
        return problem(422, "The data is not valid; see errors.", errors=_django_errors(exc))

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request, exc):
        response = problem(401, "Send a valid API token as 'Authorization: Bearer <token>'.")
        response["WWW-Authenticate"] = 'Bearer realm="funia"'
        return response

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request, exc):
        return problem(403, str(exc) or "You may not do this.")

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        return problem(404, "Not found.")

    @api.exception_handler(ObjectDoesNotExist)
    def on_missing_object(request, exc):
        return problem(404, "Not found.")

    @api.exception_handler(StaleVersion)
    def on_stale(request, exc):
        response = problem(412, str(exc))
        response["ETag"] = exc.current_etag
        return response

    @api.exception_handler(Throttled)
    def on_throttled(request, exc):
        response = problem(429, "Too many requests; slow down.")
        response["Retry-After"] = str(max(1, int(exc.wait or 1)))
        return response

    @api.exception_handler(DuplicatesFound)
    def on_duplicates(request, exc):
        # Records the user may not see are counted, never named (as on the pages).
        visible = _visible_keys(request.auth, [c.record for c in exc.candidates])
        candidates = [
            {"id": c.record.pk, "name": str(c.record), "score": c.score, "reasons": c.reasons}
            if (type(c.record), c.record.pk) in visible
            else {"id": None, "name": None, "score": c.score, "reasons": c.reasons}
            for c in exc.candidates
        ]
        return problem(
            409,
            "Possible duplicates exist; repeat with on_duplicate=create to save anyway.",
            candidates=candidates,
        )

    @api.exception_handler(HttpError)
    def on_http_error(request, exc):
        return problem(exc.status_code, str(exc))

    @api.exception_handler(UnscopedTenantQuery)
    def on_unscoped(request, exc):
        # A programming error; fail closed without detail.
        raise exc
