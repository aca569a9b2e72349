"""Test data: organisations, users with roles, teams, accounts and contacts, tokens."""

import functools

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
