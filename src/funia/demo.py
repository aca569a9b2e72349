"""The demo organisation: users in every role, teams, a few hundred accounts and contacts.

Generated with Faker (Bulgarian and English data) from a fixed seed, so every run of
`funia demo` builds the same organisation. Later modules add their records here.
"""

import random

from django.db import transaction
from faker import Faker

from funia.analytics.forecast.demo import build_forecast
from funia.core import services as core_services
from funia.core.actor import Actor
from funia.core.models import Membership, Organization, Role
from funia.customers import custom_fields, dedupe
from funia.customers import services as customer_services
from funia.demo_commerce import build_commerce
from funia.demo_sales import build_activities, build_leads, build_sales
from funia.sales.quotas.demo import build_quotas
from funia.sales.territories.demo import build_territories

DEMO_SLUG = "demo"
DEMO_PASSWORD = "funia-demo-2026"  # noqa: S105  (published demo logins)
DEMO_DOMAIN = "demo.funia.example"

# (email local part, first name, last name, role, team)
DEMO_USERS = [
    ("admin", "Мария", "Иванова", Role.ADMIN, None),
    ("manager.sofia", "Георги", "Петров", Role.SALES_MANAGER, "Sofia sales"),
    ("manager.plovdiv", "Elena", "Dimitrova", Role.SALES_MANAGER, "Plovdiv sales"),
    ("rep.ivan", "Иван", "Колев", Role.SALES_REP, "Sofia sales"),
    ("rep.anna", "Anna", "Stoyanova", Role.SALES_REP, "Sofia sales"),
    ("rep.nikolay", "Николай", "Георгиев", Role.SALES_REP, "Plovdiv sales"),
    ("rep.desislava", "Desislava", "Todorova", Role.SALES_REP, "Plovdiv sales"),
    ("marketer", "Петя", "Николова", Role.MARKETER, "Marketing"),
    ("agent", "Stefan", "Angelov", Role.SERVICE_AGENT, "Service desk"),
    ("agent.vesela", "Весела", "Христова", Role.SERVICE_AGENT, "Service desk"),
    ("analyst", "Dimitar", "Iliev", Role.ANALYST, None),
]
TEAM_MANAGERS = {"Sofia sales": "manager.sofia", "Plovdiv sales": "manager.plovdiv"}
INDUSTRIES = [
    "Manufacturing",
    "Retail",
    "Software",
    "Logistics",
    "Healthcare",
    "Finance",
    "Construction",
    "Agriculture",
    "Telecommunications",
    "Hospitality",
]
SOURCES = ["Web form", "Referral", "Trade show", "Cold call", "Partner", "Email campaign"]
CITIES = {
    "BG": [
        "София",
        "Пловдив",
        "Варна",
        "Бургас",
        "Русе",
        "Стара Загора",
        "Плевен",
        "Велико Търново",
        "Благоевград",
        "Габрово",
        "Шумен",
        "Добрич",
    ],
    "RO": ["București", "Cluj-Napoca", "Timișoara", "Constanța"],
    "GR": ["Athens", "Thessaloniki", "Patras"],
    "DE": ["Berlin", "München", "Hamburg", "Köln"],
    "AT": ["Wien", "Graz", "Linz"],
    "RS": ["Beograd", "Novi Sad", "Niš"],
    "MK": ["Skopje", "Bitola", "Ohrid"],
}
COUNTRIES = ["BG"] * 6 + ["RO", "GR", "DE", "AT", "RS", "MK"]
SEGMENTS = ["SMB", "Mid-market", "Enterprise"]
TAGS = ["key account", "partner", "newsletter", "VIP", "at risk"]
TITLES = [
    "CEO",
    "CFO",
    "Procurement manager",
    "IT manager",
    "Sales director",
    "Office manager",
    "Operations manager",
    "Head of marketing",
]


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def load_demo(*, accounts: int = 300, seed: int = 2026) -> str:
    """Create the demo organisation unless it exists; return the text with the logins."""
    if not Organization.objects.filter(slug=DEMO_SLUG).exists():
        with transaction.atomic():
            admin = _build(accounts=accounts, seed=seed)
        # The duplicates page opens with results (the scan also runs as a job later).
        for record_type in ("contact", "account"):
            scan = dedupe.duplicate_scan_start(by=admin, record_type=record_type)
            dedupe.duplicate_scan_run(tenant_id=admin.tenant.pk, scan_id=scan.pk)
    return _summary()


def _build(*, accounts: int, seed: int) -> Actor:
    rng = random.Random(seed)
    fake_bg = Faker("bg_BG")
    fake_en = Faker("en_US")
    Faker.seed(seed)

    org, admin_user = core_services.organization_create(
        slug=DEMO_SLUG,
        name="Фуния Демо ООД",
        admin_email=demo_email("admin"),
        admin_password=DEMO_PASSWORD,
    )
    admin_user.first_name, admin_user.last_name = DEMO_USERS[0][1], DEMO_USERS[0][2]
    admin_user.save()
    admin = Actor.from_membership(Membership.objects.for_tenant(org).get(user=admin_user))

    users = {"admin": admin_user}
    for local, first, last, role, _team in DEMO_USERS[1:]:
        membership = core_services.user_add_to_tenant(
            by=admin,
            tenant=org,
            email=demo_email(local),
            role=role,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
        )
        users[local] = membership.user

    for team_name in dict.fromkeys(t for *_, t in DEMO_USERS if t):
        members = [users[local].pk for local, *_rest, t in DEMO_USERS if t == team_name]
        manager = users[TEAM_MANAGERS[team_name]].pk if team_name in TEAM_MANAGERS else None
        core_services.team_create(by=admin, name=team_name, manager_id=manager, member_ids=members)

    owners = [
        users[local]
        for local, *_rest, role, _t in DEMO_USERS
        if role in (Role.SALES_REP, Role.SALES_MANAGER)
    ]
    created = []
    _custom_fields(admin)
    for index in range(accounts):
        bulgarian = rng.random() < 0.6
        fake = fake_bg if bulgarian else fake_en
        name = fake.company()
        country = "BG" if bulgarian else rng.choice(COUNTRIES)
        domain = f"{fake_en.domain_word()}-{index}.example"
        account = customer_services.account_create(
            by=admin,
            name=name,
            domain=domain,
            industry=rng.choice(INDUSTRIES),
            country=country,
            city=rng.choice(CITIES[country]),
            employees=rng.choice([5, 12, 25, 60, 140, 320, 900, 2500]),
            custom={"vat_number": f"BG{rng.randrange(100000000, 999999999)}"} if bulgarian else {},
            emails=[{"value": f"office@{domain}", "label": "office"}],
            phones=[{"value": f"+3592{rng.randrange(1000000, 9999999)}", "label": "office"}],
            segment=rng.choice(SEGMENTS),
            tags=rng.sample(TAGS, rng.choice([0, 1, 1, 2])),
            source=rng.choice(SOURCES),
            owner_id=rng.choice(owners).pk,
            on_duplicate="create",
            parent_id=created[rng.randrange(len(created))].pk
            if created and rng.random() < 0.08
            else None,
        )
        created.append(account)
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            first, last = fake.first_name(), fake.last_name()
            customer_services.contact_create(
                by=admin,
                first_name=first,
                last_name=last,
                title=rng.choice(TITLES),
                account_id=account.pk,
                emails=[
                    {
                        "value": f"{fake_en.user_name()}{rng.randrange(100)}@{domain}",
                        "label": "work",
                    }
                ],
                phones=[
                    {
                        "value": f"+3598{rng.randrange(7, 10)}{rng.randrange(1000000, 9999999)}",
                        "label": "mobile",
                    }
                ],
                consent={
                    "email": {"granted": rng.random() < 0.7, "source": "demo"},
                    "marketing": {"granted": rng.random() < 0.4, "source": "demo"},
                },
                source=account.source,
                owner_id=account.owner_id,
                on_duplicate="create",
            )
    _duplicates(admin, created, rng)
    build_sales(admin, accounts=created, owners=owners, sources=SOURCES, rng=rng)
    # Territories before the leads: one assignment rule routes leads by territory.
    build_territories(admin, users=users, rng=rng)
    build_leads(admin, users=users, rng=rng)
    build_activities(admin, users=users, rng=rng)
    build_quotas(admin, users=users, rng=rng)
    build_forecast(admin, users=users, rng=rng)
    build_commerce(admin, users=users, accounts=created, rng=rng)
    return admin


# People entered twice, the way it happens: another script, a nickname, swapped names, a typo.
DEMO_DUPLICATES = [
    (("Иван", "Петров", "ivan.petrov@stroyinvest.example"), ("Ivan", "Petrov", "")),
    (("Георги", "Димитров", "g.dimitrov@agroplod.example"), ("Gosho", "Dimitrov", "")),
    (("Мария", "Стоянова", ""), ("Stoyanova", "Maria", "maria.s@vitosha-it.example")),
    (("Nikolay", "Todorov", "n.todorov@balkanlog.example"), ("Nikolay", "Todorof", "")),
]


def _custom_fields(admin: Actor) -> None:
    custom_fields.custom_field_create(
        by=admin, entity="account", key="vat_number", label="VAT number", kind="text"
    )
    custom_fields.custom_field_create(
        by=admin,
        entity="contact",
        key="preferred_language",
        label="Preferred language",
        kind="choice",
        choices=["Bulgarian", "English", "German"],
    )


def _duplicates(admin: Actor, accounts: list, rng: random.Random) -> None:
    for first, second in DEMO_DUPLICATES:
        account = rng.choice(accounts)
        for first_name, last_name, email in (first, second):
            customer_services.contact_create(
                by=admin,
                first_name=first_name,
                last_name=last_name,
                account_id=account.pk,
                emails=[email] if email else [],
                owner_id=account.owner_id,
                phones=[f"+359888{rng.randrange(1000000):06d}"],
                custom={"preferred_language": rng.choice(["Bulgarian", "English"])},
                on_duplicate="create",
            )


def _summary() -> str:
    lines = [
        f"Demo organisation 'demo' is ready. Sign in with any of these (password: {DEMO_PASSWORD}):"
    ]
    for local, first, last, role, team in DEMO_USERS:
        where = f", {team}" if team else ""
        lines.append(f"  {demo_email(local):<38} {Role(role).label} ({first} {last}{where})")
    return "\n".join(lines)
