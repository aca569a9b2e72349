"""Pages of accounts and contacts (list, card, form, trash) on the shared record pattern."""

from django.utils.translation import gettext_lazy as _

from funia.customers import custom_fields, selectors, services
from funia.customers.card import card_context
from funia.customers.custom_fields import definitions
from funia.customers.filters import AccountFilter, ContactFilter, CustomFieldFilter
from funia.customers.forms import AccountForm, ContactForm, CustomFieldForm
from funia.web import dashboard
from funia.web.record_pages import RecordPages


def _custom_values(actor, record, entity: str) -> list[tuple[str, object]]:
    return [
        (f.label, record.custom.get(f.key)) for f in definitions(tenant=actor.tenant, entity=entity)
    ]


def _account_context(*, actor, record):
    # The card (customers/card.py) brings the contacts, every module's sections, the timeline.
    return {
        "custom_values": _custom_values(actor, record, "account"),
        **card_context(actor=actor, record=record),
    }


def _contact_context(*, actor, record):
    return {
        "custom_values": _custom_values(actor, record, "contact"),
        **card_context(actor=actor, record=record),
    }


accounts = RecordPages(
    name="account",
    app="customers",
    filter_class=AccountFilter,
    list_selector=selectors.account_list,
    get_selector=selectors.account_get,
    form_class=AccountForm,
    create=services.account_create,
    update=services.account_update,
    delete=services.account_delete,
    restore=services.account_restore,
    detail_context=_account_context,
)

contacts = RecordPages(
    name="contact",
    app="customers",
    filter_class=ContactFilter,
    list_selector=selectors.contact_list,
    get_selector=selectors.contact_get,
    form_class=ContactForm,
    create=services.contact_create,
    update=services.contact_update,
    delete=services.contact_delete,
    restore=services.contact_restore,
    detail_context=_contact_context,
)


def _custom_field_list(*, actor, filters):
    return custom_fields.custom_field_list(actor=actor, filters=filters)


custom_field_pages = RecordPages(
    name="custom_field",
    app="customers",
    filter_class=CustomFieldFilter,
    list_selector=_custom_field_list,
    get_selector=custom_fields.custom_field_get,
    form_class=CustomFieldForm,
    create=custom_fields.custom_field_create,
    update=custom_fields.custom_field_update,
    delete=custom_fields.custom_field_delete,
    restore=custom_fields.custom_field_restore,
)


@dashboard.register
def customer_cards(actor):
    from django.urls import reverse

    return [
        dashboard.Card(
            _("Accounts"), str(selectors.account_list(actor=actor).count()), reverse("account_list")
        ),
        dashboard.Card(
            _("Contacts"), str(selectors.contact_list(actor=actor).count()), reverse("contact_list")
        ),
    ]
