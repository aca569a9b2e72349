"""API of the customer master: /accounts and /contacts."""

from django.http import HttpResponse
from ninja import Query, Router, Status
from ninja.pagination import paginate

from funia.api.concurrency import if_match, with_etag
from funia.api.pagination import Page
from funia.api.schemas import Id
from funia.customers import selectors, services
from funia.customers.filters import AccountFilter, ContactFilter
from funia.customers.schemas import (
    AccountIn,
    AccountOut,
    AccountPatch,
    ContactIn,
    ContactOut,
    ContactPatch,
)

router = Router(tags=["customers"])

# API names of reference fields -> model attribute names.
REFERENCES = {"owner": "owner_id", "parent": "parent_id", "account": "account_id"}


def model_fields(data: dict) -> dict:
    """API payload -> service fields: references become *_id, a null email becomes ''."""
    fields = {REFERENCES.get(name, name): value for name, value in data.items()}
    if "email" in fields and fields["email"] is None:
        fields["email"] = ""
    for name in ("domain", "industry", "country", "city", "phone", "source", "title", "first_name"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    return fields


@router.get("/accounts", response=list[AccountOut], summary="Accounts you may see")
@paginate(Page)
def account_list(request, filters: Query[AccountFilter]):
    return selectors.account_list(actor=request.auth, filters=filters)


@router.post("/accounts", response={201: AccountOut}, summary="Create an account")
def account_create(request, payload: AccountIn, response: HttpResponse):
    account = services.account_create(
        by=request.auth, **model_fields(payload.model_dump(exclude_unset=True))
    )
    return Status(201, with_etag(response, account))


@router.get("/accounts/{account_id}", response=AccountOut)
def account_get(request, account_id: Id, response: HttpResponse):
    account = selectors.account_get(actor=request.auth, pk=account_id, with_deleted=True)
    return with_etag(response, account)


@router.patch("/accounts/{account_id}", response=AccountOut, summary="Update (honours If-Match)")
def account_update(request, account_id: Id, payload: AccountPatch, response: HttpResponse):
    account = selectors.account_get(actor=request.auth, pk=account_id)
    account = services.account_update(
        by=request.auth,
        account=account,
        if_match=if_match(request),
        fields=model_fields(payload.model_dump(exclude_unset=True)),
    )
    return with_etag(response, account)


@router.delete("/accounts/{account_id}", response={204: None}, summary="Move to the trash")
def account_delete(request, account_id: Id):
    account = selectors.account_get(actor=request.auth, pk=account_id)
    services.account_delete(by=request.auth, account=account, if_match=if_match(request))
    return Status(204, None)


@router.post(
    "/accounts/{account_id}/restore", response=AccountOut, summary="Restore from the trash"
)
def account_restore(request, account_id: Id, response: HttpResponse):
    account = selectors.account_get(actor=request.auth, pk=account_id, with_deleted=True)
    account = services.account_restore(by=request.auth, account=account, if_match=if_match(request))
    return with_etag(response, account)


@router.get("/contacts", response=list[ContactOut], summary="Contacts you may see")
@paginate(Page)
def contact_list(request, filters: Query[ContactFilter]):
    return selectors.contact_list(actor=request.auth, filters=filters)


@router.post("/contacts", response={201: ContactOut}, summary="Create a contact")
def contact_create(request, payload: ContactIn, response: HttpResponse):
    contact = services.contact_create(
        by=request.auth, **model_fields(payload.model_dump(exclude_unset=True))
    )
    return Status(201, with_etag(response, contact))


@router.get("/contacts/{contact_id}", response=ContactOut)
def contact_get(request, contact_id: Id, response: HttpResponse):
    contact = selectors.contact_get(actor=request.auth, pk=contact_id, with_deleted=True)
    return with_etag(response, contact)


@router.patch("/contacts/{contact_id}", response=ContactOut, summary="Update (honours If-Match)")
def contact_update(request, contact_id: Id, payload: ContactPatch, response: HttpResponse):
    contact = selectors.contact_get(actor=request.auth, pk=contact_id)
    contact = services.contact_update(
        by=request.auth,
        contact=contact,
        if_match=if_match(request),
        fields=model_fields(payload.model_dump(exclude_unset=True)),
    )
    return with_etag(response, contact)


@router.delete("/contacts/{contact_id}", response={204: None}, summary="Move to the trash")
def contact_delete(request, contact_id: Id):
    contact = selectors.contact_get(actor=request.auth, pk=contact_id)
    services.contact_delete(by=request.auth, contact=contact, if_match=if_match(request))
    return Status(204, None)


@router.post(
    "/contacts/{contact_id}/restore", response=ContactOut, summary="Restore from the trash"
)
def contact_restore(request, contact_id: Id, response: HttpResponse):
    contact = selectors.contact_get(actor=request.auth, pk=contact_id, with_deleted=True)
    contact = services.contact_restore(by=request.auth, contact=contact, if_match=if_match(request))
    return with_etag(response, contact)
