"""What the customer sees of a quote, on its public page and in its PDF: the organisation
(name, logo, details), the customer, the lines, the totals with the tax per rate, validity."""

import base64
import mimetypes
from collections import OrderedDict
from decimal import Decimal

from django.utils import timezone

from funia.core import periods
from funia.sales.quotes.models import Quote
from funia.sales.quotes.services import effective_status, net_total

LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def logo_bytes(organisation) -> tuple[bytes, str] | None:
    """The organisation's logo and its media type, or None (no logo, or unreadable)."""
    if not organisation.logo:
        return None
    try:
        with organisation.logo.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        return None
    media_type = mimetypes.guess_type(organisation.logo.name)[0] or "application/octet-stream"
    return data, media_type


def logo_data_uri(organisation) -> str:
    """The logo embedded as a data: URI (documents never fetch it by URL); "" without one."""
    logo = logo_bytes(organisation)
    if logo is None:
        return ""
    data, media_type = logo
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def tax_breakdown(lines) -> list[dict]:
    """Per tax rate: the taxed amount (line totals after the quote discount) and the tax."""
    rates: OrderedDict = OrderedDict()
    for line in sorted(lines, key=lambda line: line.tax_rate):
        row = rates.setdefault(
            line.tax_rate, {"rate": line.tax_rate, "base": Decimal("0.00"), "tax": Decimal("0.00")}
        )
        row["base"] += line.total - line.quote_discount
        row["tax"] += line.tax
    return list(rates.values())


def _local_day(tenant, moment):
    return moment.astimezone(periods.zone_of(tenant)).date() if moment else None


def document_context(quote: Quote) -> dict:
    """The template context of quotes/pdf.html and of the public page's document."""
    organisation = quote.tenant
    lines = list(quote.lines.all())
    contact = quote.contact
    deal = quote.opportunity
    return {
        "organisation": organisation,
        "logo": logo_data_uri(organisation),
        "quote": quote,
        "status": effective_status(quote),
        "lines": lines,
        "taxes": tax_breakdown(lines),
        "net_total": net_total(quote),
        "account": deal.account if deal.account_id else None,
        "contact": contact,
        "contact_email": contact.primary_email if contact is not None else "",
        "issued": _local_day(organisation, quote.sent_at or quote.created_at),
        "printed": _local_day(organisation, timezone.now()),
        "owner": quote.owner,
    }
