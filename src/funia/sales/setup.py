"""Navigation entries, dashboard card and customer-card section of pipelines and deals."""

from urllib.parse import urlencode

from django.db.models import Case, Count, IntegerField, Sum, Value, When
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from funia.core.visibility import visible_records
from funia.customers import card
from funia.sales.models import Opportunity, StageKind
from funia.web import dashboard
from funia.web.navigation import NavEntry, register

register(NavEntry(_lazy("Pipeline"), "opportunity_board", "kanban", order=40))
register(NavEntry(_lazy("Opportunities"), "opportunity_list", "deal", order=45))
register(NavEntry(_lazy("Pipelines"), "pipeline_list", "pipeline", admin_only=True, order=940))
register(
    NavEntry(_lazy("Exchange rates"), "exchange_rate_list", "currency", admin_only=True, order=945)
)


def money(amount, currency: str) -> str:
    if amount is None:
        return "—"
    return f"{number_format(amount, 2, force_grouping=True)} {currency}"


@dashboard.register
def pipeline_cards(actor):
    """The open deals the actor sees: how many and their value in the organisation's
    currency (one query)."""
    totals = (
        visible_records(Opportunity, actor)
        .filter(stage__kind=StageKind.OPEN)
        .aggregate(count=Count("id"), total=Sum("amount_base"))
    )
    return [
        dashboard.Card(
            _("Open pipeline"),
            money(totals["total"] or 0, actor.tenant.currency),
            reverse("opportunity_board"),
            hint=_("%(n)s open deals") % {"n": totals["count"]},
        )
    ]


def customer_deals(actor, record):
    """The account's or contact's deals, open ones first, with stage and amount."""
    link = "account" if record._meta.model_name == "account" else "contact"
    deals = (
        visible_records(Opportunity, actor)
        .filter(**{link: record})
        .select_related("stage")
        .annotate(
            closed=Case(
                When(stage__kind=StageKind.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("closed", "expected_close_date", "-id")
    )
    rows = list(deals[: card.SECTION_LIMIT + 1])
    items = [
        card.CardItem(
            title=deal.name,
            detail=f"{deal.stage.name} · {money(deal.amount, deal.currency)}",
            url=reverse("opportunity_detail", args=[deal.pk]),
            status=deal.stage.get_kind_display(),
            id=deal.pk,
        )
        for deal in rows[: card.SECTION_LIMIT]
    ]
    more = ""
    if len(rows) > card.SECTION_LIMIT:
        more = f"{reverse('opportunity_list')}?{link}={record.pk}"
    return card.SectionContent(items=items, more=more)


card.register_section(
    "opportunities",
    _lazy("Opportunities"),
    customer_deals,
    card.ORDER_OPPORTUNITIES,
    record_types=[card.ACCOUNT, card.CONTACT],
)


def _new_deal_url(record) -> str:
    if record._meta.model_name == "contact":
        query = {
            "contact": record.pk,
            **({"account": record.account_id} if record.account_id else {}),
        }
    else:
        query = {"account": record.pk}
    return f"{reverse('opportunity_create')}?{urlencode(query)}"


card.register_action("new_deal", _lazy("New deal"), _new_deal_url, order=30)
