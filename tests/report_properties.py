"""What the property tests of the sales reports share: their hypothesis settings, two
pipelines, a small sales organisation, and money rounded as the reports round it."""

import datetime
import os
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import HealthCheck, settings

from funia.core import periods
from tests import factories

CENT = Decimal("0.01")
# Stage name -> (kind, probability) of each pipeline, open stages in order.
PIPELINES = {
    "B2B sales": {
        "Qualification": ("open", 10),
        "Needs analysis": ("open", 25),
        "Proposal": ("open", 50),
        "Negotiation": ("open", 75),
        "Won": ("won", 100),
        "Lost": ("lost", 0),
    },
    "Renewals": {
        "Open": ("open", 40),
        "Committed": ("open", 90),
        "Renewed": ("won", 100),
        "Churned": ("lost", 0),
    },
}


def profile(name: str, examples_variable: str) -> settings:
    """The settings of one report's property tests: 25 examples unless the environment
    variable says otherwise; data is made through the services, so no deadline."""
    settings.register_profile(
        name,
        max_examples=int(os.environ.get(examples_variable, "25")),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    return settings.get_profile(name)


def money(value) -> Decimal:
    if isinstance(value, Fraction):
        value = value.numerator / Decimal(value.denominator)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(day: datetime.date, months: int = 1) -> datetime.date:
    """The first day of the month `months` months from `day`'s."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass
class World:
    admin: object
    manager: object
    reps: list
    teams: dict  # name -> Team
    ids: dict  # "admin" | "manager" | "rep0".. -> user id
    members: dict  # team name -> set of user ids
    zone: object


def sales_world(org) -> World:
    """The organisation (Europe/Sofia): an admin; North (managed by the manager; the
    manager, rep 0 and rep 1), South (rep 1); rep 2 in no team."""
    admin = factories.member(org, "admin")
    manager = factories.member(org, "sales_manager")
    reps = [factories.member(org, "sales_rep") for _ in range(3)]
    north = factories.team(admin, "North", manager=manager, members=[manager, reps[0], reps[1]])
    south = factories.team(admin, "South", members=[reps[1]])
    ids = {"admin": admin.user.pk, "manager": manager.user.pk}
    ids |= {f"rep{n}": r.user.pk for n, r in enumerate(reps)}
    members = {"North": {ids["manager"], ids["rep0"], ids["rep1"]}, "South": {ids["rep1"]}}
    return World(
        admin,
        manager,
        reps,
        {"North": north, "South": south},
        ids,
        members,
        periods.zone_of(org),
    )
