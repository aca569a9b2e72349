"""The CRUD routes every record type shares, with the API's conventions built in.

`RecordRoutes(...).register(router)` adds, for one record type at `/<plural>`:
list (filters + paging), create (201 + ETag), read (ETag, trashed records too), PATCH
(If-Match, 412 when stale), DELETE to the trash (If-Match) and POST `/{id}/restore`.
Apps describe their types once; the conventions cannot drift between them.
"""

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django.http import HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from funia.api.concurrency import if_match, with_etag
from funia.api.pagination import Page
from funia.api.schemas import Id


class NoWriteOptions(Schema):
    """Create and update take no options beyond the body."""


class DuplicateCheckOptions(Schema):
    on_duplicate: Literal["error", "create"] = "error"


def _name_the_id(func: Callable, id_name: str) -> Callable:
    """Expose the handler's `record_id` as `<id_name>` in the path and the OpenAPI."""
    signature = inspect.signature(func)
    parameters = [
        p.replace(name=id_name) if p.name == "record_id" else p
        for p in signature.parameters.values()
    ]

    @functools.wraps(func)
    def handler(request, **kwargs):
        kwargs["record_id"] = kwargs.pop(id_name)
        return func(request, **kwargs)

    handler.__signature__ = signature.replace(parameters=parameters)
    return handler


def _options_of(options) -> dict:
    return options.model_dump() if options is not None else {}


def _without_options(func: Callable) -> Callable:
    """Hide the `options` query parameter of a handler whose record type takes none."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def handler(request, **kwargs):
        return func(request, options=None, **kwargs)

    handler.__signature__ = signature.replace(
        parameters=[p for p in signature.parameters.values() if p.name != "options"]
    )
    return handler


@dataclass
class RecordRoutes:
    name: str  # singular, e.g. "account"; the service keyword and operation ids
    plural: str  # URL segment, e.g. "accounts"
    label: str  # for summaries, e.g. "account"
    output: type
    create_input: type
    patch_input: type
    filters: type
    list_selector: Callable  # (actor, filters) -> queryset
    get_selector: Callable  # (actor, pk, with_deleted) -> record
    create: Callable  # (by, **fields) -> record
    update: Callable  # (by, <name>=record, fields, if_match) -> record
    delete: Callable  # (by, <name>=record, if_match) -> record
    restore: Callable  # (by, <name>=record, if_match) -> record
    to_fields: Callable[[dict], dict] = dict  # API payload -> service fields
    # Query options of create and update, passed to the services (e.g. on_duplicate).
    write_options: type = NoWriteOptions

    def register(self, router: Router) -> None:
        spec = self
        id_name = f"{self.name}_id"
        base, item = f"/{self.plural}", f"/{self.plural}/{{{id_name}}}"

        def with_id(func):
            return _name_the_id(func, id_name)

        def with_options(func):
            return func if spec.write_options is not NoWriteOptions else _without_options(func)

        def get(request, record_id, *, with_deleted=False):
            return spec.get_selector(actor=request.auth, pk=record_id, with_deleted=with_deleted)

        @router.get(
            base,
            response=list[spec.output],
            operation_id=f"{spec.name}_list",
            summary=f"List the {spec.plural} you may see",
        )
        @paginate(Page)
        def list_records(request, filters: Query[spec.filters]):
            return spec.list_selector(actor=request.auth, filters=filters)

        @router.post(
            base,
            response={201: spec.output},
            operation_id=f"{spec.name}_create",
            summary=f"Create an {spec.label}"
            if spec.label[0] in "aeiou"
            else f"Create a {spec.label}",
        )
        @with_options
        def create_record(
            request,
            payload: spec.create_input,
            response: HttpResponse,
            options: Query[spec.write_options],
        ):
            fields = spec.to_fields(payload.model_dump(exclude_unset=True))
            record = spec.create(by=request.auth, **_options_of(options), **fields)
            return Status(201, with_etag(response, get(request, record.pk)))

        @router.get(
            item,
            response=spec.output,
            operation_id=f"{spec.name}_get",
            summary=f"Read one {spec.label} (with its ETag)",
        )
        @with_id
        def read_record(request, record_id: Id, response: HttpResponse):
            return with_etag(response, get(request, record_id, with_deleted=True))

        @router.patch(
            item,
            response=spec.output,
            operation_id=f"{spec.name}_update",
            summary="Update (honours If-Match)",
        )
        @with_id
        @with_options
        def update_record(
            request,
            record_id: Id,
            payload: spec.patch_input,
            response: HttpResponse,
            options: Query[spec.write_options],
        ):
            record = spec.update(
                by=request.auth,
                if_match=if_match(request),
                fields=spec.to_fields(payload.model_dump(exclude_unset=True)),
                **_options_of(options),
                **{spec.name: get(request, record_id)},
            )
            return with_etag(response, get(request, record.pk))

        @router.delete(
            item,
            response={204: None},
            operation_id=f"{spec.name}_delete",
            summary="Move to the trash (honours If-Match)",
        )
        @with_id
        def delete_record(request, record_id: Id):
            spec.delete(
                by=request.auth, if_match=if_match(request), **{spec.name: get(request, record_id)}
            )
            return Status(204, None)

        @router.post(
            f"{item}/restore",
            response=spec.output,
            operation_id=f"{spec.name}_restore",
            summary="Restore from the trash",
        )
        @with_id
        def restore_record(request, record_id: Id, response: HttpResponse):
            record = spec.restore(
                by=request.auth,
                if_match=if_match(request),
                **{spec.name: get(request, record_id, with_deleted=True)},
            )
            return with_etag(response, record)
