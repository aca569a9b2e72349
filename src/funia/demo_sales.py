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


LEAD_COMPANIES = [
    ("Иван", "Петков", "Балкан Агро ЕООД", "BG", "Agriculture"),
    ("Ralitsa", "Koleva", "Vitosha Soft", "BG", "Software"),
    ("Andrei", "Popescu", "Carpați Logistic SRL", "RO", "Logistics"),
    ("Nikos", "Papadopoulos", "Aegean Retail", "GR", "Retail"),
    ("Петър", "Маринов", "Марица Строй АД", "BG", "Construction"),
    ("Jelena", "Jovanović", "Dunav Telekom", "RS", "Telecommunications"),
    ("Klaus", "Becker", "Becker Maschinenbau GmbH", "DE", "Manufacturing"),
    ("Десислава", "Янева", "Хотел Пирин", "BG", "Hospitality"),
]
OUTCOMES = ["Reached, interested", "Left a message", "No answer", "Asked for an offer"]


def build_leads(admin: Actor, *, users: dict, rng) -> None:
    """A web form, round-robin assignment per country, leads in every status."""
    from funia.core.models import Team
    from funia.sales.leads import assignment, services, webform

    teams = {t.name: t for t in Team.objects.for_tenant(admin.tenant)}
    assignment.assignment_rule_create(
        by=admin, name="Bulgaria: Sofia team", countries=["BG"], team_id=teams["Sofia sales"].pk
    )
    assignment.assignment_rule_create(
        by=admin, name="Abroad: Plovdiv team", team_id=teams["Plovdiv sales"].pk
    )
    form = webform.lead_form_create(
        by=admin,
        name="Website contact form",
        fields=["first_name", "last_name", "company", "email", "phone", "country", "message"],
        required=["last_name", "email"],
        allowed_origins=["https://www.funia.example"],
        consent_text="I agree that Funia Demo may contact me about my request.",
        thank_you="Thank you! We will call you within one working day.",
    )
    statuses = ["new", "new", "working", "working", "qualified", "disqualified"]
    for index in range(48):
        first, last, company, country, industry = LEAD_COMPANIES[index % len(LEAD_COMPANIES)]
        status = statuses[index % len(statuses)]
        services.lead_capture(
            by=admin,
            form=form if index % 2 == 0 else None,
            first_name=first,
            last_name=last if index < len(LEAD_COMPANIES) else f"{last} {index}",
            company=company if index < len(LEAD_COMPANIES) else f"{company} {index}",
            email=f"lead{index}@lead{index}.example",
            country=country,
            industry=industry,
            source="Web form" if index % 2 == 0 else rng.choice(["Trade show", "Referral"]),
            campaign="Spring fair 2026" if index % 5 == 0 else "",
            rating=rng.choice(["hot", "warm", "cold", ""]),
            status=status,
            disqualify_reason="No budget this year" if status == "disqualified" else "",
            consent_marketing=index % 3 == 0 or None,
        )


def build_activities(admin: Actor, *, users: dict, rng) -> None:
    """A history of calls and meetings on the deals, today's agenda of every rep, and one
    contact-registry conflict: the service desk and a rep calling the same customer about
    a collection within days."""
    from funia.activities import services
    from funia.activities.models import ActivityPurpose
    from funia.core.actor import Actor as ActorClass
    from funia.core.models import Membership
    from funia.sales.models import Opportunity

    tenant = admin.tenant
    purposes = {p.position: p for p in ActivityPurpose.objects.for_tenant(tenant)}
    offer, follow_up, collection = purposes[1], purposes[2], purposes[3]

    def actor_of(user):
        return ActorClass.from_membership(Membership.objects.for_tenant(tenant).get(user=user))

    now = timezone.now()
    deals = list(
        Opportunity.objects.for_tenant(tenant)
        .filter(closed_at__isnull=True)
        .select_related("owner", "contact")
        .order_by("id")[:120]
    )
    for index, deal in enumerate(deals):
        if deal.owner is None or deal.contact_id is None:
            continue
        owner = actor_of(deal.owner)
        done_at = now - datetime.timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 6))
        services.activity_create(
            by=owner,
            kind=rng.choice(["call", "call", "meeting", "visit"]),
            subject=f"{deal.name}: {rng.choice(['discovery call', 'demo', 'offer review'])}",
            contact_id=deal.contact_id,
            opportunity_id=deal.pk,
            purpose_id=rng.choice([offer, follow_up]).pk,
            due_at=done_at,
            done_at=done_at,
            duration_minutes=rng.choice([15, 30, 45, 60]),
            outcome=rng.choice(OUTCOMES),
        )
        if index % 3 == 0:  # the next step, on today's or tomorrow's agenda
            due = now.replace(hour=9, minute=0, second=0, microsecond=0) + datetime.timedelta(
                days=index % 2, hours=rng.randint(0, 8)
            )
            services.activity_create(
                by=owner,
                kind=rng.choice(["call", "meeting", "task"]),
                subject=f"{deal.name}: {deal.next_step or 'follow up'}",
                contact_id=deal.contact_id,
                opportunity_id=deal.pk,
                purpose_id=follow_up.pk,
                due_at=due,
                duration_minutes=30,
            )
    # The planted conflict: service desk first, then the account's rep, same purpose.
    deal = next(d for d in deals if d.contact_id and d.owner_id)
    services.activity_create(
        by=actor_of(users["agent"]),
        kind="call",
        subject="Overdue invoice",
        contact_id=deal.contact_id,
        purpose_id=collection.pk,
        due_at=now - datetime.timedelta(days=3),
        done_at=now - datetime.timedelta(days=3),
        outcome="Promised to pay next week",
    )
    services.activity_create(
        by=actor_of(deal.owner),
        kind="call",
        subject="Payment reminder",
        contact_id=deal.contact_id,
        purpose_id=collection.pk,
        due_at=now + datetime.timedelta(hours=2),
    )
