"""Amounts in the organisation's currency, from the tenant's exchange-rate table."""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from funia.sales.models import ExchangeRate

CENT = Decimal("0.01")


def normalize_currency(code: str | None) -> str:
    code = (code or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError({"currency": _("Use a three-letter ISO 4217 code, e.g. EUR.")})
    return code


def rate_of(tenant, currency: str) -> Decimal:
    """Value of one unit of `currency` in the tenant's currency; a clear error if unknown."""
    if currency == tenant.currency:
        return Decimal(1)
    rate = (
        ExchangeRate.objects.for_tenant(tenant)
        .filter(currency=currency)
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationError(
            {
                "currency": _(
                    "There is no exchange rate for %(currency)s; an administrator adds it "
                    "under exchange rates."
                )
                % {"currency": currency}
            }
        )
    return rate


def to_base(tenant, amount: Decimal | None, currency: str) -> Decimal | None:
    if amount is None:
        return None
    return (amount * rate_of(tenant, currency)).quantize(CENT, rounding=ROUND_HALF_UP)
