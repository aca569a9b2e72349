"""API of the customer master: /accounts and /contacts."""

from ninja import Router

from funia.api.records import DuplicateCheckOptions, RecordRoutes
from funia.customers import custom_fields, selectors, services
from funia.customers.filters import AccountFilter, ContactFilter, CustomFieldFilter
from funia.customers.schemas import (
    AccountIn,
    AccountOut,
    AccountPatch,
    ContactIn,
    ContactOut,
    ContactPatch,
    CustomFieldIn,
    CustomFieldOut,
    CustomFieldPatch,
)

router = Router(tags=["customers"])

# API names of reference fields -> model attribute names.
REFERENCES = {"owner": "owner_id", "parent": "parent_id", "account": "account_id"}
TEXT_FIELDS = (
    "domain",
    "industry",
    "segment",
    "country",
    "region",
    "city",
    "source",
    "title",
    "first_name",
)
LIST_FIELDS = ("emails", "phones", "addresses", "tags", "accounts")


def model_fields(data: dict) -> dict:
    """API payload -> service fields: references become *_id, null text becomes ''."""
    fields = {REFERENCES.get(name, name): value for name, value in data.items()}
    for name in TEXT_FIELDS:
        if name in fields and fields[name] is None:
            fields[name] = ""
    for name in LIST_FIELDS:
        if name in fields and fields[name] is None:
            fields[name] = []
    if "custom" in fields and fields["custom"] is None:
        fields["custom"] = {}
    if "accounts" in fields:
        fields["accounts"] = [
            {"account_id": link["account"], "role": link["role"]} for link in fields["accounts"]
        ]
    if "consent" in fields:
        fields["consent"] = {k: v for k, v in (fields["consent"] or {}).items() if v is not None}
    return fields


RecordRoutes(
    name="account",
    plural="accounts",
    label="account",
    output=AccountOut,
    create_input=AccountIn,
    patch_input=AccountPatch,
    filters=AccountFilter,
    list_selector=selectors.account_list,
    get_selector=selectors.account_get,
    create=services.account_create,
    update=services.account_update,
    delete=services.account_delete,
    restore=services.account_restore,
    to_fields=model_fields,
    write_options=DuplicateCheckOptions,
).register(router)

RecordRoutes(
    name="contact",
    plural="contacts",
    label="contact",
    output=ContactOut,
    create_input=ContactIn,
    patch_input=ContactPatch,
    filters=ContactFilter,
    list_selector=selectors.contact_list,
    get_selector=selectors.contact_get,
    create=services.contact_create,
    update=services.contact_update,
    delete=services.contact_delete,
    restore=services.contact_restore,
    to_fields=model_fields,
    write_options=DuplicateCheckOptions,
).register(router)


RecordRoutes(
    name="custom_field",
    plural="custom-fields",
    label="custom field",
    output=CustomFieldOut,
    create_input=CustomFieldIn,
    patch_input=CustomFieldPatch,
    filters=CustomFieldFilter,
    list_selector=custom_fields.custom_field_list,
    get_selector=custom_fields.custom_field_get,
    create=custom_fields.custom_field_create,
    update=custom_fields.custom_field_update,
    delete=custom_fields.custom_field_delete,
    restore=custom_fields.custom_field_restore,
).register(router)
