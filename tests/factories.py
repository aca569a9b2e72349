"""Test data: organisations, users with roles, teams, accounts and contacts, tokens."""

import functools
from dataclasses import dataclass
from decimal import Decimal

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password

from funia.core import services as core_services
from funia.core.actor import Actor
from funia.core.models import Membership, Organization, Role, Team, User
from funia.customers import services as customer_services

PASSWORD = "correct-horse-battery-9"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        # The real (slow, Argon2) hasher, but once per password and hasher list, not per user.
        obj.password = _hashed(extracted or PASSWORD, tuple(settings.PASSWORD_HASHERS))

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


@functools.cache
def _hashed(password: str, hashers: tuple[str, ...]) -> str:
    return make_password(password)


def member(tenant: Organization, role: str = Role.ADMIN, **user_fields) -> Actor:
    """A new user with `role` in `tenant`, as the Actor services take."""
    user = UserFactory(**user_fields)
    membership = Membership.objects.create(tenant=tenant, user=user, role=role)
    return Actor.from_membership(membership)


def token_for(actor: Actor) -> str:
    _token, secret = core_services.token_create(tenant=actor.tenant, user=actor.user)
    return secret


def account(by: Actor, **fields):
    fields.setdefault("name", "Acme Ltd")
    fields.setdefault("on_duplicate", "create")
    return customer_services.account_create(by=by, **fields)


def contact(by: Actor, **fields):
    fields.setdefault("last_name", "Petrov")
    fields.setdefault("first_name", "Ivan")
    fields.setdefault("on_duplicate", "create")
    return customer_services.contact_create(by=by, **fields)


def team(by: Actor, name: str = "Sofia sales", *, manager=None, members=()) -> Team:
    """A team created through the service; `manager` and `members` are Actors or Users."""
    return core_services.team_create(
        by=by,
        name=name,
        manager_id=_user_id(manager),
        member_ids=[_user_id(m) for m in members],
    )


def _user_id(who) -> int | None:
    if who is None:
        return None
    return who.user.pk if isinstance(who, Actor) else who.pk


B2B_STAGES = [
    {"name": "Qualification", "probability": 10},
    {"name": "Needs analysis", "probability": 25},
    {"name": "Proposal", "probability": 50, "required_fields": ["amount"]},
    {"name": "Negotiation", "probability": 75},
    {"name": "Won", "probability": 100, "kind": "won"},
    {"name": "Lost", "probability": 0, "kind": "lost"},
]


def pipeline(by: Actor, name: str = "B2B sales", stages=None, **fields):
    """A pipeline created through the service (by an administrator of `by`'s tenant)."""
    from funia.sales import pipelines

    admin = by if by.is_admin else member(by.tenant, Role.ADMIN)
    return pipelines.pipeline_create(
        by=admin, name=name, stages=stages or [dict(s) for s in B2B_STAGES], **fields
    )


def stage(pipeline_obj, name: str):
    return pipeline_obj.stages.get(name=name)


def opportunity(by: Actor, **fields):
    from funia.sales import opportunities

    fields.setdefault("name", "Fleet renewal")
    return opportunities.opportunity_create(by=by, **fields)


def product(by: Actor, **fields):
    """A product row (the catalog services are tested on their own)."""
    from funia.core.records import record_create
    from funia.sales.models import Product

    fields.setdefault("sku", f"SKU-{Product.objects.for_tenant(by.tenant).count() + 1}")
    fields.setdefault("name", "Service hour")
    fields.setdefault("tax_rate", Decimal(20))
    return record_create(model=Product, by=by, **fields)


def price_book(by: Actor, prices: dict | None = None, **fields):
    """A price book with `prices` {product: unit price}."""
    from funia.core.records import record_create
    from funia.sales.models import PriceBook, PriceBookEntry

    fields.setdefault("name", "Standard")
    fields.setdefault("currency", by.tenant.currency)
    book = record_create(model=PriceBook, by=by, **fields)
    for item, unit_price in (prices or {}).items():
        PriceBookEntry.objects.create(
            tenant=by.tenant, price_book=book, product=item, unit_price=Decimal(unit_price)
        )
    return book


@dataclass
class Car:
    """A configurable car: `options["Leather"]` etc. by option name."""

    product: object
    groups: dict
    options: dict

    def ids(self, *names: str) -> list[int]:
        return [self.options[name].pk for name in names]


def configurable_car(by: Actor, *, sku: str = "CAR-1", name: str = "Roadster") -> Car:
    """Roadster (tax 20 %): Colour (single, required: White default, Red +500),
    Seats (single, required: Fabric default, Leather +2,000 requiring Premium),
    Packages (multiple: Premium +10 % of the base price, Sport +1,500 excluding Eco,
    Eco -300)."""
    from funia.sales.models import Option, OptionGroup

    car = product(by, sku=sku, name=name, tax_rate=Decimal(20), unit="pcs")
    spec = [
        ("Colour", "single", True, [("White", 0, "fixed", True), ("Red", 500, "fixed", False)]),
        (
            "Seats",
            "single",
            True,
            [("Fabric", 0, "fixed", True), ("Leather", 2000, "fixed", False)],
        ),
        (
            "Packages",
            "multiple",
            False,
            [
                ("Premium", 10, "percent", False),
                ("Sport", 1500, "fixed", False),
                ("Eco", -300, "fixed", False),
            ],
        ),
    ]
    groups, options = {}, {}
    for position, (group_name, kind, required, choices) in enumerate(spec):
        group = OptionGroup.objects.create(
            tenant=by.tenant,
            product=car,
            name=group_name,
            kind=kind,
            required=required,
            position=position,
        )
        groups[group_name] = group
        for n, (option_name, amount, adjustment_type, is_default) in enumerate(choices):
            options[option_name] = Option.objects.create(
                tenant=by.tenant,
                group=group,
                name=option_name,
                price_adjustment=Decimal(amount),
                adjustment_type=adjustment_type,
                is_default=is_default,
                position=n,
            )
    options["Leather"].requires.add(options["Premium"])
    options["Sport"].excludes.add(options["Eco"])
    return Car(car, groups, options)
