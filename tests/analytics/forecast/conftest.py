"""A small, fixed data set whose forecast is computed by hand in the tests.

The organisation's time zone is Europe/Sofia. The report window is March and April 2025
(`from=2025-03`, `months=2`); the trend and plan-vs-fact look at the months before.

Reps: Ana (team North, managed by Mira), Boris (team South), Mira the manager (in North).

Open deals (pipeline "B2B sales": Qualification 10 %, Needs analysis 25 %, Proposal 50 %,
Negotiation 75 %):

| deal | owner | category | stage (prob.) | amount | close date | column |
| --- | --- | --- | --- | --- | --- | --- |
| d1 | Ana | commit | Negotiation 75 | 1000 | 2025-03-10 | March |
| d2 | Ana | best case | Proposal 50 | 2000 | 2025-03-31 | March |
| d3 | Ana | pipeline | Qualification 10 | 500 | 2025-04-01 | April |
| d4 | Ana | omitted | Qualification 10 | 9999 | 2025-03-15 | left out |
| d5 | Boris | closed (open!) | Needs analysis 25 | 300 | 2025-02-20 | overdue, as commit |
| d6 | Boris | pipeline | Qualification 10 | none | none | no close date |
| d7 | nobody | best case | Proposal 50 | 800 | 2025-04-15 | April |
| d8 | Ana | commit | Needs analysis 25 | 400 | 2025-06-05 | after the window (Q2) |

Won: w1 Ana 1500 on 2025-03-05 (March); w2 Boris 700 on 2025-03-31 22:30 UTC = 1 April
01:30 in Sofia (April); w3 Ana 1000 on 2025-01-15 (January). Lost: l1 Ana 500 on
2025-02-10. Quotas: Ana March 3000, Ana January 2000, team North March 5000, Boris Q2 6000.
Adjustment: Mira sets Ana's March commit to 2500 (computed 1000).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest

from funia.analytics.forecast.adjustments import forecast_adjustment_create
from funia.core.records import record_create
from funia.sales import opportunities
from funia.sales.models import Quota
from tests import factories

WINDOW = {"from": "2025-03", "months": 2}


def utc(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


@dataclass
class Scene:
    admin: object
    manager: object
    ana: object
    boris: object
    analyst: object
    pipeline: object
    north: object
    south: object
    deals: dict
    adjustment: object


@pytest.fixture
def scene(org, admin, manager, analyst) -> Scene:
    ana = factories.member(org, "sales_rep", first_name="Ana", last_name="Aneva")
    boris = factories.member(org, "sales_rep", first_name="Boris", last_name="Borisov")
    manager.user.first_name, manager.user.last_name = "Mira", "Manager"
    manager.user.save()
    north = factories.team(admin, "North", manager=manager, members=[ana, manager])
    south = factories.team(admin, "South", members=[boris])
    pipeline = factories.pipeline(admin, name="B2B sales", is_default=True)

    def stage(name):
        return factories.stage(pipeline, name).pk

    def open_deal(name, owner, category, stage_name, amount, close):
        deal = opportunities.opportunity_create(
            by=admin,
            name=name,
            pipeline_id=pipeline.pk,
            stage_id=stage(stage_name),
            owner_id=owner.user.pk if owner else None,
            amount=None if amount is None else Decimal(amount),
            expected_close_date=close and datetime.date.fromisoformat(close),
        )
        if category != deal.forecast_category:
            # Closed and omitted are kept only on an update (a new open deal starts in pipeline).
            deal = opportunities.opportunity_update(
                by=admin, opportunity=deal, fields={"forecast_category": category}
            )
        return deal

    def closed_deal(name, owner, outcome, amount, at):
        return opportunities.opportunity_create(
            by=admin,
            name=name,
            pipeline_id=pipeline.pk,
            owner_id=owner.user.pk,
            amount=Decimal(amount),
            lost_reason="Price" if outcome == "Lost" else "",
            stage_history=[
                {"stage": "Qualification", "at": utc(at) - datetime.timedelta(days=20)},
                {"stage": outcome, "at": utc(at)},
            ],
        )

    deals = {
        "d1": open_deal("d1", ana, "commit", "Negotiation", 1000, "2025-03-10"),
        "d2": open_deal("d2", ana, "best_case", "Proposal", 2000, "2025-03-31"),
        "d3": open_deal("d3", ana, "pipeline", "Qualification", 500, "2025-04-01"),
        "d4": open_deal("d4", ana, "omitted", "Qualification", 9999, "2025-03-15"),
        "d5": open_deal("d5", boris, "closed", "Needs analysis", 300, "2025-02-20"),
        "d6": open_deal("d6", boris, "pipeline", "Qualification", None, None),
        "d7": open_deal("d7", None, "best_case", "Proposal", 800, "2025-04-15"),
        "d8": open_deal("d8", ana, "commit", "Needs analysis", 400, "2025-06-05"),
        "w1": closed_deal("w1", ana, "Won", 1500, "2025-03-05T10:00:00"),
        "w2": closed_deal("w2", boris, "Won", 700, "2025-03-31T22:30:00"),
        "w3": closed_deal("w3", ana, "Won", 1000, "2025-01-15T10:00:00"),
        "l1": closed_deal("l1", ana, "Lost", 500, "2025-02-10T10:00:00"),
    }
    month = datetime.date(2025, 3, 1)
    for fields in (
        {"user": ana.user, "period": "month", "start": month, "amount": 3000},
        {"user": ana.user, "period": "month", "start": datetime.date(2025, 1, 1), "amount": 2000},
        {"team": north, "period": "month", "start": month, "amount": 5000},
        {
            "user": boris.user,
            "period": "quarter",
            "start": datetime.date(2025, 4, 1),
            "amount": 6000,
        },
    ):
        record_create(model=Quota, by=admin, **fields)
    adjustment = forecast_adjustment_create(
        by=manager,
        user_id=ana.user.pk,
        period="month",
        start=month,
        category="commit",
        amount=Decimal(2500),
        note="CFO confirmed",
    )
    return Scene(admin, manager, ana, boris, analyst, pipeline, north, south, deals, adjustment)
