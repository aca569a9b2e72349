"""Reads of the plan risk's lists: the deals counted in `expected`, and every open deal in
scope (behind its open deals, open amount and forecast)."""

from funia.analytics.plan_risk import services
from funia.core.actor import Actor
from funia.sales.models import Opportunity

OPEN, EXPECTED = "open", "expected"


def plan_risk_open_deals(**arguments) -> list[Opportunity]:
    """Every open deal in scope, weighed as the report weighs it: the counted deals first,
    largest expected contribution first, then the others, largest amount first."""
    return sorted(
        services.weighed_open_deals(**arguments),
        key=lambda d: (d.expected is None, -(d.expected or 0), -(d.amount_base or 0), d.pk),
    )


def plan_risk_deal_list(*, actor: Actor, deals: str = EXPECTED, **arguments) -> list:
    """The deals of a plan-risk list: `expected` (the deals counted in `expected`) or
    `open` (every open deal in scope)."""
    if deals == OPEN:
        return plan_risk_open_deals(actor=actor, **arguments)
    return services.plan_risk_deals(actor=actor, **arguments)
