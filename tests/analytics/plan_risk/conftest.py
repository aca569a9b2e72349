"""A small fixed history with a hand-computed plan risk for 2025-Q2, seen on 15 June 2025
at noon (UTC; the organisation is in Europe/Sofia, so the quarter ends 30 June 21:00 UTC).

Stage history of the last 365 days (deals of `other`, except P1 and P2 of `rep`):
- Proposal: P1..P9 entered it and were won 10, 12, ..., 26 days later (median 18 days);
  L1..L3 entered it and were lost. 12 closed deals, 9 won: history win rate 0.75 (the
  stage's probability is 50 %). Not counted: O1 (entered and won over a year ago) and T1
  (lost, in the trash).
- Qualification -> Negotiation -> won: N1 (5 days from Negotiation, 15 from Qualification),
  N2 (9 and 19 days); N3 lost. 3 closed deals: below 10, so Qualification (10 %) and
  Negotiation (75 %) use their probabilities; medians 17 and 7 days.
- Needs analysis: no history: 25 %, no median.

The rep won P1 (1500, on 10 June) and P2 (1000, on 5 June) in the quarter: won = 2500.
The rep's open deals (entered their stage N days before now):
- A  Proposal, 10 d, 1000: expected close now + 8 d: counts, 750.00
- B  Proposal, 5 d, 2000, close date 15 July: the rep's date is after the quarter: no
- C  Proposal, 60 d, 500: median passed, expected now: counts, 375.00
- D  Negotiation, 1 d, 4000: now + 6 d: counts, 3000.00
- E  Needs analysis, 2 d, 800, close date 20 June: no median, the date: counts, 200.00
- F  Needs analysis, 2 d, 300, no date: unknown timing: no
- G  Qualification, 3 d, 10000: now + 14 d (29 June): counts, 1000.00
- J  Qualification, 1 d, 999.99: now + 16 d (1 July, after the quarter): no
expected = 5325.00; open amount = 19599.99. `other` has an open Proposal deal H (not the rep's).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest

from funia.sales import opportunities
from tests import factories

NOW = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)
Q2 = datetime.date(2025, 4, 1)


def ago(days: float) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


@dataclass
class History:
    rep: object
    other: object
    pipeline: object
    deals: dict


def _deal(admin, pipeline, owner, name, history, **fields):
    fields.setdefault("amount", Decimal("100"))
    if history[-1][0] == "Lost":
        fields["lost_reason"] = "Price"
    return opportunities.opportunity_create(
        by=admin,
        name=name,
        pipeline_id=pipeline.pk,
        owner_id=owner.user.pk,
        stage_history=[{"stage": stage, "at": at} for stage, at in history],
        **fields,
    )


@pytest.fixture
def history(admin):
    rep = factories.member(admin.tenant, "sales_rep", email="rep@acme.example")
    other = factories.member(admin.tenant, "sales_rep", email="other@acme.example")
    pipeline = factories.pipeline(admin)
    deals = {}
    for k, days in enumerate([10, 12, 14, 16, 18, 20, 22, 24, 26], start=1):
        won_at = ago(5 * k)
        owner = rep if k <= 2 else other
        amount = {1: Decimal("1500"), 2: Decimal("1000")}.get(k, Decimal("100"))
        deals[f"P{k}"] = _deal(
            admin,
            pipeline,
            owner,
            f"P{k}",
            [("Proposal", won_at - datetime.timedelta(days=days)), ("Won", won_at)],
            amount=amount,
        )
    for k, days in enumerate([20, 25, 30], start=1):
        deals[f"L{k}"] = _deal(
            admin, pipeline, other, f"L{k}", [("Proposal", ago(days)), ("Lost", ago(days - 3))]
        )
    deals["O1"] = _deal(admin, pipeline, other, "O1", [("Proposal", ago(400)), ("Won", ago(390))])
    deals["T1"] = _deal(admin, pipeline, other, "T1", [("Proposal", ago(15)), ("Lost", ago(12))])
    opportunities.opportunity_delete(by=admin, opportunity=deals["T1"])
    for name, path in {
        "N1": [("Qualification", ago(100)), ("Negotiation", ago(90)), ("Won", ago(85))],
        "N2": [("Qualification", ago(80)), ("Negotiation", ago(70)), ("Won", ago(61))],
        "N3": [("Qualification", ago(50)), ("Negotiation", ago(45)), ("Lost", ago(40))],
    }.items():
        deals[name] = _deal(admin, pipeline, other, name, path)
    open_deals = {
        "A": ("Proposal", 10, "1000", None),
        "B": ("Proposal", 5, "2000", datetime.date(2025, 7, 15)),
        "C": ("Proposal", 60, "500", None),
        "D": ("Negotiation", 1, "4000", None),
        "E": ("Needs analysis", 2, "800", datetime.date(2025, 6, 20)),
        "F": ("Needs analysis", 2, "300", None),
        "G": ("Qualification", 3, "10000", None),
        "J": ("Qualification", 1, "999.99", None),
    }
    for name, (stage, days, amount, close) in open_deals.items():
        deals[name] = _deal(
            admin,
            pipeline,
            rep,
            name,
            [(stage, ago(days))],
            amount=Decimal(amount),
            expected_close_date=close,
        )
    deals["H"] = _deal(admin, pipeline, other, "H", [("Proposal", ago(3))], amount=Decimal("7000"))
    return History(rep, other, pipeline, deals)
