"""Leads in the global search: found by name (any script), company, email or phone."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from funia.search.index import IndexSpec
from funia.search.registry import Presentation, Searchable, register

EXACT_LIMIT = 50

LEAD_INDEX = IndexSpec(
    name="lead",
    table="sales_lead",
    document="' ' || r.search_text",
    watch=("search_text", "deleted_at"),
)


def lead_exact(actor, query) -> list[int]:
    """An email address or a phone number the lead gave."""
    from funia.sales.models import Lead

    leads = Lead.objects.for_tenant(actor.tenant)
    ids: list[int] = []
    if query.emails:
        ids += leads.filter(email__in=query.emails).values_list("pk", flat=True)[:EXACT_LIMIT]
    if query.phones:
        ids += leads.filter(phone__in=query.phones).values_list("pk", flat=True)[:EXACT_LIMIT]
    return ids


def present_lead(lead) -> Presentation:
    details = [lead.company, lead.get_status_display(), lead.email or lead.phone]
    return Presentation(
        title=str(lead),
        subtitle=" · ".join(str(d) for d in details if d),
        url=reverse("lead_detail", args=[lead.pk]),
    )


def register_search() -> None:
    register(
        Searchable(
            type="lead",
            label=_("Leads"),
            model="sales.Lead",
            index=LEAD_INDEX,
            present=present_lead,
            exact=lead_exact,
            order=30,
        )
    )
