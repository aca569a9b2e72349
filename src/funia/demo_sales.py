"""The demo organisation's sales: a B2B pipeline and a renewals pipeline, an exchange rate,
and a year of deals with a realistic stage history (advances, drop-offs, a few backward
moves and reopenings), imported the way a migration would, so the funnel reports have
something honest to show on the first day."""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from funia.core.actor import Actor
from funia.sales import opportunities, pipelines

# (name, probability, kind, required fields)
B2B_STAGES = [
    ("Qualification", 10, "open", []),
    ("Discovery", 20, "open", []),
    ("Demo", 40, "open", ["contact"]),
    ("Proposal", 60, "open", ["amount", "expected_close_date"]),
    ("Negotiation", 80, "open", ["amount", "expected_close_date"]),
    ("Won", 100, "won", []),
    ("Lost", 0, "lost", []),
]
RENEWAL_STAGES = [
    ("Renewal due", 50, "open", []),
    ("Quote sent", 75, "open", ["amount"]),
    ("Renewed", 100, "won", []),
    ("Churned", 0, "lost", []),
]
# Chance to advance from each open stage of the B2B pipeline (the rest is lost or stays).
ADVANCE = [0.55, 0.5, 0.45, 0.45, 0.5]
LOSE = 0.12
LOST_REASONS = ["Price", "Chose a competitor", "No budget", "No decision", "Timing"]
PRODUCTS = ["Fleet telematics", "ERP rollout", "Support plan", "Cloud backup", "POS terminals"]
FORECAST_BY_STAGE = {"Proposal": "best_case", "Negotiation": "commit"}


def _stages(rows) -> list[dict]:
    return [
        {"name": name, "probability": p, "kind": kind, "required_fields": required}
        for name, p, kind, required in rows
    ]


def build_sales(admin: Actor, *, accounts: list, owners: list, sources: list, rng) -> None:
    b2b = pipelines.pipeline_create(
        by=admin, name="New business", stages=_stages(B2B_STAGES), is_default=True
    )
    pipelines.pipeline_create(by=admin, name="Renewals", stages=_stages(RENEWAL_STAGES))
    pipelines.exchange_rate_create(by=admin, currency="USD", rate=Decimal("0.92"))
    now = timezone.now()
    for index in range(420):
        account = rng.choice(accounts)
        contact = account.contacts.first()
        # More recent deals than old ones, as a growing business has.
        started = now - datetime.timedelta(
            days=2 + 363 * rng.random() ** 1.6, hours=rng.uniform(0, 9)
        )
        history, outcome = _history(rng, started, now)
        amount = Decimal(rng.randrange(20, 1200) * 100)
        fields = {
            "name": f"{account.name}: {rng.choice(PRODUCTS)}",
            "account_id": account.pk,
            "contact_id": contact.pk if contact else None,
            "owner_id": account.owner_id or rng.choice(owners).pk,
            "pipeline_id": b2b.pk,
            "amount": amount,
            "currency": "USD" if index % 9 == 0 else "EUR",
            "expected_close_date": (started + datetime.timedelta(days=rng.randint(45, 120))).date(),
            "source": account.source or rng.choice(sources),
            "stage_history": history,
        }
        if outcome == "Lost":
            fields["lost_reason"] = rng.choice(LOST_REASONS)
        elif outcome in FORECAST_BY_STAGE:
            fields["forecast_category"] = FORECAST_BY_STAGE[outcome]
        if outcome in ("Proposal", "Negotiation"):
            fields["next_step"] = rng.choice(["Send revised offer", "Call the CFO", "Site visit"])
        opportunities.opportunity_create(by=admin, **fields)


def _history(rng: random.Random, started, now) -> tuple[list[dict], str]:
    """A deal's walk through the B2B stages from `started`, cut at now."""
    names = [name for name, _p, kind, _r in B2B_STAGES if kind == "open"]
    at, position = started, 0
    history = [{"stage": names[0], "at": at}]
    while True:
        step = datetime.timedelta(days=rng.uniform(3, 30), hours=rng.uniform(0, 8))
        if at + step >= now:
            return history, names[position]
        at += step
        roll = rng.random()
        if roll < ADVANCE[position]:
            if position > 0 and rng.random() < 0.05:  # back one stage, then on again
                history.append({"stage": names[position - 1], "at": at})
                at += datetime.timedelta(days=rng.uniform(1, 6))
                if at >= now:
                    return history, names[position - 1]
            position += 1
            if position == len(names):
                history.append({"stage": "Won", "at": at})
                return history, "Won"
            history.append({"stage": names[position], "at": at})
        elif roll < ADVANCE[position] + LOSE:
            history.append({"stage": "Lost", "at": at})
            return history, "Lost"
