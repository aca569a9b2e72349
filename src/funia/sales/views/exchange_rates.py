"""The organisation's exchange-rate table (administrators)."""

from funia.sales import pipelines, selectors
from funia.sales.filters import ExchangeRateFilter
from funia.sales.forms import ExchangeRateForm
from funia.sales.views.admin_pages import AdminRecordPages


def _detail_context(*, actor, record):
    return {"organisation_currency": actor.tenant.currency}


exchange_rate_pages = AdminRecordPages(
    name="exchange_rate",
    app="sales",
    filter_class=ExchangeRateFilter,
    list_selector=selectors.exchange_rate_list,
    get_selector=selectors.exchange_rate_get,
    form_class=ExchangeRateForm,
    create=pipelines.exchange_rate_create,
    update=pipelines.exchange_rate_update,
    delete=pipelines.exchange_rate_delete,
    restore=pipelines.exchange_rate_restore,
    detail_context=_detail_context,
)
