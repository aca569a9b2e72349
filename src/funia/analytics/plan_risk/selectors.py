"""Reads of the plan risk's lists: every open deal in scope, behind its open deals, open
amount and forecast (the deals counted in `expected` are `services.plan_risk_deals`)."""

import datetime

from django.utils import timezone

from funia.analytics.plan_risk import services
from funia.core.actor import Actor
from funia.sales.models import Opportunity, Stage

OPEN, EXPECTED = "open", "expected"


def plan_risk_open_deals(
    *,
    actor: Actor,
    kind: str,
    start: datetime.date,
    user_id: int | None = None,
    team_id: int | None = None,
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    now=None,
) -> list[Opportunity]:
    """Every open deal in scope of the plan risk (optionally of one open stage): the deals
    of the report's `open_count` and `open_amount`, each weighed as the report weighs it
    (`win_rate`, `win_rate_source`, `expected_close`, and `expected`, None when the deal
    does not count in the period). The counted deals come first, largest expected
    contribution first, then the others, largest amount first."""
    now = now or timezone.now()
    tenant = actor.tenant
    subject = services.resolve_subject(actor, user_id=user_id, team_id=team_id)
    period = services._period(tenant, kind, start)
    stages = services.report_stages(tenant, pipeline_id)
    if stage_id is not None:
        stages = [s for s in stages if s.pk == stage_id]
        if not stages:
            raise Stage.DoesNotExist
    stats = services.stage_statistics(tenant, stages, now=now)
    if not subject.owner_ids:
        return []
    deals = list(services._open_deals(actor, subject.owner_ids, list(stats), details=True))
    for deal in deals:
        services._weigh(deal, stats, period, now=now, tenant=tenant)
    return sorted(
        deals,
        key=lambda d: (
            d.expected is None,
            -(d.expected or 0),
            -(d.amount_base or 0),
            d.pk,
        ),
    )


def plan_risk_deal_list(*, actor: Actor, deals: str = EXPECTED, **arguments) -> list:
    """The deals of a plan-risk list: `expected` (the deals counted in `expected`) or
    `open` (every open deal in scope)."""
    if deals == OPEN:
        return plan_risk_open_deals(actor=actor, **arguments)
    return services.plan_risk_deals(actor=actor, **arguments)
