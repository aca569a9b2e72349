"""Territories of the demo organisation: Sofia and the west of Bulgaria, the rest of
Bulgaria, large companies elsewhere in the EU, and the rest of the world; the demo reps work
them, and new leads are assigned round-robin within their territory."""

from funia.core.actor import Actor
from funia.customers.models import Account
from funia.sales.leads import assignment
from funia.sales.territories import services

# The province (oblast) of the demo's Bulgarian cities: the demo accounts have a city only.
BG_REGIONS = {
    "София": "София-град",
    "Пловдив": "Пловдив",
    "Варна": "Варна",
    "Бургас": "Бургас",
    "Русе": "Русе",
    "Стара Загора": "Стара Загора",
    "Плевен": "Плевен",
    "Велико Търново": "Велико Търново",
    "Благоевград": "Благоевград",
    "Габрово": "Габрово",
    "Шумен": "Шумен",
    "Добрич": "Добрич",
}
WEST_REGIONS = [
    "София-град",
    "София-област",
    "Перник",
    "Кюстендил",
    "Благоевград",
    "Враца",
    "Монтана",
    "Видин",
]
EU_COUNTRIES = ["RO", "GR", "DE", "AT"]
ABROAD = ["RO", "GR", "DE", "AT", "RS", "MK", "TR", "GB", "US"]


def _fill_regions(admin: Actor) -> None:
    """Give the Bulgarian demo accounts the province of their city (setup data only)."""
    accounts = Account.objects.for_tenant(admin.tenant).filter(country="BG", region="")
    for city, region in BG_REGIONS.items():
        accounts.filter(city=city).update(region=region)


def build_territories(admin: Actor, *, users: dict, rng) -> None:
    """Four territories in matching order, with the demo's sales users as reps, and an
    assignment rule that gives new leads to the reps of their territory."""
    _fill_regions(admin)
    sofia = users["manager.sofia"]
    plovdiv = users["manager.plovdiv"]
    reps = {
        name: users[name].pk for name in ("rep.ivan", "rep.anna", "rep.nikolay", "rep.desislava")
    }
    services.territory_create(
        by=admin,
        name="Sofia & West",
        countries=["BG"],
        regions=WEST_REGIONS,
        manager_id=sofia.pk,
        rep_ids=[reps["rep.ivan"], reps["rep.anna"]],
    )
    services.territory_create(
        by=admin,
        name="Bulgaria rest",
        countries=["BG"],
        manager_id=plovdiv.pk,
        rep_ids=[reps["rep.nikolay"], reps["rep.desislava"]],
    )
    enterprise_reps = rng.sample([reps["rep.anna"], reps["rep.nikolay"]], 2)
    services.territory_create(
        by=admin,
        name="EU enterprise",
        countries=EU_COUNTRIES,
        min_employees=500,
        manager_id=sofia.pk,
        rep_ids=enterprise_reps,
    )
    services.territory_create(
        by=admin,
        name="International",
        countries=ABROAD,
        manager_id=plovdiv.pk,
        rep_ids=[reps["rep.desislava"]],
    )
    # Tried before the demo's team rules: a lead with a territory goes to its reps.
    assignment.assignment_rule_create(by=admin, name="By territory", position=5, by_territory=True)
