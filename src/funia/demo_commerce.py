"""Demo products, price books, quotes and orders: a configurable car and services with a
standard and a dealer price book, quotes on open deals (drafts, sent, one waiting for a
manager's approval, accepted ones that became orders) and a year and a half of orders, so
customer cards show a purchase history."""

import datetime
from decimal import Decimal

from funia.core import periods
from funia.core.actor import Actor
from funia.core.models import Membership
from funia.customers.models import Account
from funia.sales.catalog.services import price_book_create, product_create
from funia.sales.models import Opportunity, OrderStatus, StageKind
from funia.sales.orders.services import order_create, order_set_status
from funia.sales.quotes.services import (
    quote_accept,
    quote_approve,
    quote_create,
    quote_line_add,
    quote_request_approval,
    quote_send,
)

ROADSTER_GROUPS = [
    {
        "name": "Colour",
        "kind": "single",
        "required": True,
        "options": [
            {"name": "Arctic white", "price_adjustment": "0", "default": True},
            {"name": "Racing red", "price_adjustment": "650"},
            {"name": "Midnight blue", "price_adjustment": "650"},
        ],
    },
    {
        "name": "Seats",
        "kind": "single",
        "required": True,
        "options": [
            {"name": "Fabric", "price_adjustment": "0", "default": True},
            {"name": "Leather", "price_adjustment": "2400", "requires": ["Premium package"]},
        ],
    },
    {
        "name": "Packages",
        "kind": "multiple",
        "required": False,
        "options": [
            {
                "name": "Premium package",
                "price_adjustment": "8",
                "adjustment_type": "percent",
            },
            {"name": "Sport package", "price_adjustment": "1900", "excludes": ["Eco package"]},
            {"name": "Eco package", "price_adjustment": "-400"},
        ],
    },
]

# sku, name, category, unit, tax rate, standard price, dealer price
PRODUCTS = [
    ("CAR-RDS", "Roadster GT", "Vehicles", "pcs", 20, "42000.00", "39500.00"),
    ("CAR-VAN", "City Van", "Vehicles", "pcs", 20, "31500.00", "29900.00"),
    ("SRV-MNT", "Maintenance plan", "Services", "year", 20, "890.00", "790.00"),
    ("SRV-WRT", "Extended warranty", "Services", "year", 20, "1250.00", "1100.00"),
    ("SRV-TRN", "Driver training", "Services", "hour", 20, "85.00", "75.00"),
    ("ACC-TYR", "Winter tyre set", "Accessories", "set", 20, "1180.00", "1050.00"),
    ("ACC-RCK", "Roof rack", "Accessories", "pcs", 20, "340.00", "300.00"),
    ("ACC-CHG", "Home charger 11 kW", "Accessories", "pcs", 9, "1490.00", "1390.00"),
]

DESCRIPTIONS = {
    "CAR-RDS": (
        "<p>Two-seat electric roadster, <strong>420 km</strong> range.</p>"
        "<ul><li>Leather seats come with the Premium package.</li>"
        "<li>The Sport and Eco packages cannot be combined.</li></ul>"
    ),
    "CAR-VAN": "<p>Electric city van, 6 m³ cargo space, 310 km range.</p>",
}


def build_commerce(admin: Actor, *, users: dict, accounts: list, rng) -> None:
    """Create the demo catalog, quotes and orders through the services."""
    tenant = admin.tenant
    products = {}
    for sku, name, category, unit, tax, _standard, _dealer in PRODUCTS:
        products[sku] = product_create(
            by=admin,
            sku=sku,
            name=name,
            category=category,
            unit=unit,
            tax_rate=Decimal(tax),
            description=DESCRIPTIONS.get(sku, ""),
            option_groups=ROADSTER_GROUPS if sku == "CAR-RDS" else None,
        )
    today = periods.today(tenant)
    standard = price_book_create(
        by=admin,
        name="Standard",
        currency=tenant.currency,
        is_default=True,
        entries=[
            {"product": products[sku].pk, "unit_price": standard}
            for sku, *_rest, standard, _dealer in PRODUCTS
        ],
    )
    price_book_create(
        by=admin,
        name="Dealers",
        currency=tenant.currency,
        valid_from=datetime.date(today.year, 1, 1),
        valid_until=datetime.date(today.year, 12, 31),
        entries=[
            {"product": products[sku].pk, "unit_price": dealer} for sku, *_rest, dealer in PRODUCTS
        ],
    )
    _quotes(admin, users, products, standard, rng)
    _order_history(admin, accounts, products, standard, rng, today)


def _actor_of(tenant, user) -> Actor:
    """The member `user` (a user or a user's id) acting in the organisation."""
    return Actor.from_membership(Membership.objects.for_tenant(tenant).get(user=user))


def _quotes(admin: Actor, users: dict, products: dict, book, rng) -> None:
    """Quotes on open deals in the organisation's currency, in every state."""
    tenant = admin.tenant
    deals = list(
        Opportunity.objects.for_tenant(tenant)
        .filter(stage__kind=StageKind.OPEN, currency=tenant.currency, owner__isnull=False)
        .exclude(account=None)
        .order_by("-amount")[:12]
    )
    car = products["CAR-RDS"]
    leather = ["Racing red", "Leather", "Premium package"]
    option_ids = {
        option.name: option.pk
        for group in car.option_groups.all()
        for option in group.options.all()
    }
    for index, deal in enumerate(deals):
        rep = _actor_of(tenant, deal.owner)
        discount = Decimal(20) if index == 2 else Decimal(rng.choice([0, 3, 5, 10]))
        quote = quote_create(by=rep, opportunity=deal, price_book=book, discount_percent=discount)
        quote_line_add(
            by=rep,
            quote=quote,
            product=car,
            option_ids=[option_ids[name] for name in leather] if index % 2 else None,
            quantity=rng.choice([1, 1, 2, 3]),
            discount_percent=Decimal(rng.choice([0, 0, 2])),
        )
        for sku in rng.sample(["SRV-MNT", "SRV-WRT", "ACC-TYR", "ACC-CHG"], 2):
            quote_line_add(by=rep, quote=quote, product=products[sku], quantity=rng.choice([1, 2]))
        if index == 2:
            # Above the discount limit: waiting for the manager's approval.
            quote_request_approval(by=rep, quote=quote)
            continue
        if index in (0, 1, 3):
            continue  # drafts
        if quote.approval_status == "pending":
            quote_request_approval(by=rep, quote=quote)
            quote_approve(by=admin, quote=quote, note="Fleet customer")
        quote_send(by=rep, quote=quote)
        if index in (4, 5, 6):
            contact = deal.contact
            name = str(contact) if contact else "Customer"
            quote_accept(quote, name=name, note="")


def _order_history(admin: Actor, accounts: list, products: dict, book, rng, today) -> None:
    """Eighteen months of orders of the first accounts, most of them paid."""
    services = ["SRV-MNT", "SRV-WRT", "SRV-TRN", "ACC-TYR", "ACC-RCK", "ACC-CHG"]
    flow = [
        OrderStatus.CONFIRMED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.INVOICED,
        OrderStatus.PAID,
    ]
    tenant = admin.tenant
    chosen = accounts[:40]
    owners = dict(
        Account.objects.for_tenant(tenant)
        .filter(pk__in=[account.pk for account in chosen])
        .values_list("pk", "owner_id")
    )
    actors: dict = {}
    for account in chosen:
        # Made by the account's owner, as a rep enters their customer's orders: the owner
        # (and their manager) sees the purchase history on the customer card.
        owner_id = owners.get(account.pk)
        if owner_id is None:
            by = admin
        else:
            if owner_id not in actors:
                actors[owner_id] = _actor_of(tenant, owner_id)
            by = actors[owner_id]
        for _ in range(rng.choice([1, 2, 3, 4])):
            ordered_on = today - datetime.timedelta(days=rng.randrange(5, 540))
            lines = [
                {"product": products[sku].pk, "quantity": rng.choice([1, 2, 4, 10])}
                for sku in rng.sample(services, rng.choice([1, 2, 3]))
            ]
            if rng.random() < 0.2:
                lines.append({"product": products["CAR-VAN"].pk, "quantity": 1})
            order = order_create(
                by=by,
                account=account.pk,
                price_book=book.pk,
                ordered_on=ordered_on,
                discount_percent=Decimal(rng.choice([0, 0, 5])),
                lines=lines,
            )
            if rng.random() < 0.07:
                order_set_status(by=by, order=order, status=OrderStatus.CANCELLED)
                continue
            age = (today - ordered_on).days
            steps = len(flow) if age > 60 else rng.randrange(1, len(flow) + 1)
            for status in flow[:steps]:
                order = order_set_status(by=by, order=order, status=status)
