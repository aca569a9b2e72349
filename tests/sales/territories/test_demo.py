"""The demo's territories: four in matching order, worked by the demo's sales users."""

import random

from funia.sales.models import AssignmentRule, Territory
from funia.sales.territories import coverage
from funia.sales.territories.demo import build_territories
from tests import factories
from tests.sales.territories.helpers import account

DEMO_SALES = (
    "manager.sofia",
    "manager.plovdiv",
    "rep.ivan",
    "rep.anna",
    "rep.nikolay",
    "rep.desislava",
)


def test_the_demo_builds_territories_reps_and_a_rule_by_territory(admin):
    users = {name: factories.member(admin.tenant, "sales_rep").user for name in DEMO_SALES}
    sofia = account(admin, "Sofia shop", country="BG", city="София")
    account(admin, "Varna shop", country="BG", city="Варна")
    account(admin, "Munich works", country="DE", city="München", employees=900)

    build_territories(admin, users=users, rng=random.Random(1))

    names = list(
        Territory.objects.for_tenant(admin.tenant)
        .order_by("position", "id")
        .values_list("name", flat=True)
    )
    assert names == ["Sofia & West", "Bulgaria rest", "EU enterprise", "International"]
    sofia.refresh_from_db()
    assert sofia.region == "София-град"
    rows = {r["name"]: r for r in coverage.coverage_report(actor=admin)["territories"]}
    assert [rows[n]["accounts"] for n in names] == [1, 1, 1, 0]
    assert all(rows[n]["reps"] for n in names)
    assert AssignmentRule.objects.for_tenant(admin.tenant).get().by_territory
