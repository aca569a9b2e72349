"""An account belongs to the first active territory whose rules it matches: the Python and
the SQL forms of the rules always agree."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funia.customers.models import Account
from funia.sales.models import Opportunity
from funia.sales.territories import matching, services
from tests import factories
from tests.sales.territories.helpers import account, by_case, by_python, in_sql, territory


def assert_all_forms_agree(admin, expected: dict):
    """The CASE expression, territory_of and territory_q classify every account alike."""
    assert by_case(admin) == expected
    assert by_python(admin) == expected
    for t in matching.active_territories(admin.tenant):
        assert in_sql(admin, t) == {a for a, tid in expected.items() if tid == t.pk}
    none_q = matching.no_territory_q(admin.tenant)
    nowhere = set(
        Account.objects.for_tenant(admin.tenant).filter(none_q).values_list("pk", flat=True)
    )
    assert nowhere == {a for a, tid in expected.items() if tid is None}


def test_the_first_territory_by_position_takes_an_account_that_two_match(admin):
    everyone = territory(admin, "Everyone", position=20)
    bulgaria = territory(admin, "Bulgaria", countries=["BG"], position=10)
    sofia_shop = account(admin, "Sofia shop", country="BG")
    berlin_shop = account(admin, "Berlin shop", country="DE")

    assert_all_forms_agree(admin, {sofia_shop.pk: bulgaria.pk, berlin_shop.pk: everyone.pk})


def test_an_earlier_territory_without_rules_leaves_nothing_to_the_later_ones(admin):
    everyone = territory(admin, "Everyone", position=1)
    territory(admin, "Bulgaria", countries=["BG"], position=2)
    shop = account(admin, "Shop", country="BG")

    assert_all_forms_agree(admin, {shop.pk: everyone.pk})


def test_empty_rules_match_any_account_even_one_without_data(admin):
    anything = territory(admin, "Anything")
    bare = account(admin, "Bare")

    assert_all_forms_agree(admin, {bare.pk: anything.pk})


def test_an_account_no_territory_matches_has_none(admin):
    territory(admin, "Bulgaria", countries=["BG"])
    abroad = account(admin, "Abroad", country="RO")
    unknown = account(admin, "Unknown")

    assert_all_forms_agree(admin, {abroad.pk: None, unknown.pk: None})


def test_countries_regions_and_industries_compare_without_case(admin):
    west = territory(
        admin, "West", countries=["bg"], regions=["Sofia City"], industries=["software"]
    )
    match = account(admin, "Match", country="bg", region="SOFIA CITY", industry="Software")
    other_region = account(admin, "Elsewhere", country="BG", region="Varna", industry="Software")

    assert west.countries == ["BG"]
    assert_all_forms_agree(admin, {match.pk: west.pk, other_region.pk: None})


def test_cyrillic_regions_match_in_their_usual_capitalisations(admin):
    sofia = territory(admin, "Sofia", regions=["София-град"])
    same = account(admin, "Same", region="София-град")
    lower = account(admin, "Lower", region="софия-град")
    upper = account(admin, "Upper", region="СОФИЯ-ГРАД")

    assert_all_forms_agree(admin, {same.pk: sofia.pk, lower.pk: sofia.pk, upper.pk: sofia.pk})


def test_every_rule_of_a_territory_must_match(admin):
    both = territory(admin, "BG software", countries=["BG"], industries=["Software"])
    bg_retail = account(admin, "BG retail", country="BG", industry="Retail")
    ro_software = account(admin, "RO software", country="RO", industry="Software")
    bg_software = account(admin, "BG software", country="BG", industry="Software")

    assert_all_forms_agree(
        admin, {bg_retail.pk: None, ro_software.pk: None, bg_software.pk: both.pk}
    )


@pytest.mark.parametrize(
    ("employees", "inside"),
    [(49, False), (50, True), (120, True), (250, True), (251, False), (None, False)],
)
def test_the_size_rule_keeps_employees_within_both_bounds(admin, employees, inside):
    mid = territory(admin, "Mid-market", min_employees=50, max_employees=250)
    company = account(admin, "Company", employees=employees)

    assert_all_forms_agree(admin, {company.pk: mid.pk if inside else None})


def test_a_single_bound_is_open_on_the_other_side_and_excludes_unknown_sizes(admin):
    large = territory(admin, "Large", min_employees=500, position=1)
    rest = territory(admin, "Rest", position=2)
    big = account(admin, "Big", employees=10_000)
    small = account(admin, "Small", employees=5)
    unknown = account(admin, "Unknown size")

    assert_all_forms_agree(admin, {big.pk: large.pk, small.pk: rest.pk, unknown.pk: rest.pk})


def test_inactive_and_trashed_territories_take_no_accounts(admin):
    off = territory(admin, "Off", countries=["BG"], is_active=False, position=1)
    trashed = territory(admin, "Trashed", countries=["BG"], position=2)
    services.territory_delete(by=admin, territory=trashed)
    rest = territory(admin, "Rest", position=3)
    shop = account(admin, "Shop", country="BG")

    assert_all_forms_agree(admin, {shop.pk: rest.pk})
    assert in_sql(admin, off) == set()
    assert in_sql(admin, trashed) == set()


def test_changing_an_account_moves_it_to_another_territory(admin):
    from funia.customers import services as customer_services

    bulgaria = territory(admin, "Bulgaria", countries=["BG"])
    romania = territory(admin, "Romania", countries=["RO"])
    shop = account(admin, "Shop", country="BG")
    assert matching.territory_of(shop) == bulgaria

    shop = customer_services.account_update(by=admin, account=shop, fields={"country": "RO"})

    assert matching.territory_of(shop) == romania
    assert in_sql(admin, romania) == {shop.pk}


def test_deals_follow_the_territory_of_their_live_account(admin):
    bulgaria = territory(admin, "Bulgaria", countries=["BG"])
    everyone = territory(admin, "Everyone")
    factories.pipeline(admin)
    bg_deal = factories.opportunity(admin, account_id=account(admin, "BG", country="BG").pk)
    de_deal = factories.opportunity(admin, account_id=account(admin, "DE", country="DE").pk)
    no_account = factories.opportunity(admin, name="No account")
    deals = Opportunity.objects.for_tenant(admin.tenant)

    def ids(q):
        return set(deals.filter(q).values_list("pk", flat=True))

    assert ids(matching.territory_q(admin.tenant, bulgaria, prefix="account__")) == {bg_deal.pk}
    assert ids(matching.territory_q(admin.tenant, everyone, prefix="account__")) == {de_deal.pk}
    # A deal without an account is in no territory, whatever the rules.
    assert no_account.pk not in ids(matching.no_territory_q(admin.tenant, prefix="account__"))
    case = dict(
        deals.annotate(t=matching.territory_case(admin.tenant, prefix="account__")).values_list(
            "pk", "t"
        )
    )
    assert case == {bg_deal.pk: bulgaria.pk, de_deal.pk: everyone.pk, no_account.pk: None}


def test_a_lead_is_placed_by_the_same_rules(admin):
    large = territory(admin, "Large BG", countries=["BG"], min_employees=100, position=1)
    bulgaria = territory(admin, "Bulgaria", countries=["BG"], position=2)

    def placed(**fields):
        return matching.territory_for(admin.tenant, **fields)

    assert placed(country="BG", employees=500) == large
    assert placed(country="bg", employees=None) == bulgaria
    assert placed(country="RO") is None


def test_finding_an_accounts_territory_reads_the_territory_list_once(admin):
    for n in range(5):
        territory(admin, f"T{n}", countries=[["BG", "RO", "DE", "AT", "GR"][n]])
    accounts = [account(admin, f"A{n}", country="AT") for n in range(3)]
    territories = matching.active_territories(admin.tenant)

    with CaptureQueriesContext(connection) as queries:
        found = [matching.territory_of(a, territories=territories) for a in accounts]
        matching.territory_of(accounts[0])

    assert {t.name for t in found} == {"T3"}
    assert len(queries) == 1
