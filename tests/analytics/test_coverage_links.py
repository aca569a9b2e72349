"""The totals row of the territory coverage links to the same lists as each territory's
cells, over every territory and none: accounts, prospects, customers, open and won deals;
another organisation's accounts and deals never appear in them."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from funia.core import periods
from tests import factories
from tests.sales.territories.helpers import account, territory


def _deal(admin, pipeline, name, stage, *, account_obj=None, won_at=None, owner=None):
    stage_obj = factories.stage(pipeline, stage)
    fields = {
        "name": name,
        "pipeline_id": pipeline.pk,
        "stage_id": stage_obj.pk,
        "amount": Decimal("100"),
        "account_id": account_obj.pk if account_obj else None,
        "owner_id": (owner or admin).user.pk,
    }
    if won_at is not None:
        fields["stage_history"] = [{"stage": stage_obj.pk, "at": won_at}]
    return factories.opportunity(admin, **fields)


@pytest.fixture
def land(admin, rep, outsider):
    """Territories Bulgaria (BG) and Retail; accounts in each and in none; a customer (won
    today), prospects with open deals, an open deal without an account (never in the
    coverage), and another organisation's account with its deals. The rep owns the Varna
    account and its deal."""
    territory(admin, "Bulgaria", countries=["BG"], rep_ids=[admin.user.pk])
    territory(admin, "Retail", industries=["Retail"])
    pipeline = factories.pipeline(admin)
    accounts = {
        "sofia": account(admin, "Sofia buyer", country="BG"),
        "varna": account(admin, "Varna prospect", country="BG", owner_id=rep.user.pk),
        "berlin": account(admin, "Berlin retail", country="DE", industry="Retail"),
        "paris": account(admin, "Paris nobody", country="FR"),
    }
    won_at = periods.midnight(admin.tenant, periods.today(admin.tenant))
    deals = {
        "won": _deal(
            admin, pipeline, "Sofia win", "Won", account_obj=accounts["sofia"], won_at=won_at
        ),
        "varna": _deal(
            admin, pipeline, "Varna open", "Proposal", account_obj=accounts["varna"], owner=rep
        ),
        "berlin": _deal(
            admin, pipeline, "Berlin open", "Negotiation", account_obj=accounts["berlin"]
        ),
        "paris": _deal(
            admin, pipeline, "Paris open", "Qualification", account_obj=accounts["paris"]
        ),
        "loose": _deal(admin, pipeline, "No account open", "Qualification"),
    }
    theirs = factories.pipeline(outsider)
    their_account = account(outsider, "Rival Sofia shop", country="BG")
    _deal(outsider, theirs, "Rival open", "Proposal", account_obj=their_account)
    _deal(outsider, theirs, "Rival win", "Won", account_obj=their_account, won_at=won_at)
    return accounts, deals


def total_row(html: str) -> str:
    return re.search(r'<tr class="coverage-total">.*?</tr>', html, re.S).group(0)


def cells(row: str) -> dict[str, tuple[str, str]]:
    """{column label: (link, number)} of a table row."""
    found = re.findall(r'<td class="num" data-label="([^"]+)"><a href="([^"]+)">([^<]+)</a>', row)
    return {label: (unescape(url), number) for label, url, number in found}


def count_of(html: str) -> int:
    return int(re.search(r'data-count="(\d+)"', html).group(1))


def test_every_number_of_the_totals_row_has_a_link(web_as, admin, land):
    html = web_as(admin).get(reverse("territory_coverage")).content.decode()
    links = cells(total_row(html))
    assert set(links) == {
        "Reps",
        "Accounts",
        "Prospects",
        "Customers",
        "Open deals",
        "Open pipeline",
        "Weighted pipeline",
        "Won deals",
        "Revenue",
    }
    assert links["Reps"][0] == reverse("territory_list")
    for label in ("Accounts", "Prospects", "Customers", "Open deals", "Won deals"):
        assert "territory=all" in links[label][0], label
    assert links["Open pipeline"][0] == links["Weighted pipeline"][0] == links["Open deals"][0]
    assert links["Revenue"][0] == links["Won deals"][0]


def test_the_totals_accounts_list_every_account_you_may_see(web_as, admin, land):
    accounts, _deals = land
    browser = web_as(admin)
    links = cells(total_row(browser.get(reverse("territory_coverage")).content.decode()))
    expected = {
        "Accounts": {"Sofia buyer", "Varna prospect", "Berlin retail", "Paris nobody"},
        "Customers": {"Sofia buyer"},
        "Prospects": {"Varna prospect", "Berlin retail", "Paris nobody"},
    }
    for label, names in expected.items():
        url, number = links[label]
        listing = browser.get(url).content.decode()
        assert count_of(listing) == int(number) == len(names), label
        for name in names:
            assert name in listing, (label, name)
        for name in {a.name for a in accounts.values()} - names:
            assert name not in listing, (label, name)
        assert "Rival Sofia shop" not in listing


def test_the_totals_deals_list_every_open_and_won_deal_of_an_account(web_as, admin, land):
    _accounts, deals = land
    browser = web_as(admin)
    links = cells(total_row(browser.get(reverse("territory_coverage")).content.decode()))
    url, number = links["Open deals"]
    listing = browser.get(url).content.decode()
    assert count_of(listing) == int(number) == 3
    for key in ("varna", "berlin", "paris"):
        assert reverse("opportunity_detail", args=[deals[key].pk]) in listing
    for absent in ("No account open", "Sofia win", "Rival open"):
        assert absent not in listing
    url, number = links["Won deals"]
    listing = browser.get(url).content.decode()
    assert count_of(listing) == int(number) == 1
    assert reverse("opportunity_detail", args=[deals["won"].pk]) in listing
    assert "Rival win" not in listing
    assert "All territories" in listing


def test_the_totals_lists_add_up_the_territories_lists(web_as, admin, land):
    browser = web_as(admin)
    html = browser.get(reverse("territory_coverage")).content.decode()
    rows = re.findall(r"<tr(?: class=\"coverage-none\")?>\s*<td>.*?</tr>", html, re.S)
    assert len(rows) == 3  # Bulgaria, Retail, no territory
    total = cells(total_row(html))
    for label in ("Accounts", "Prospects", "Customers", "Open deals", "Won deals"):
        parts = [count_of(browser.get(cells(row)[label][0]).content.decode()) for row in rows]
        assert sum(parts) == count_of(browser.get(total[label][0]).content.decode()), label


def test_another_organisation_sees_only_its_own_totals(web_as, outsider, land):
    browser = web_as(outsider)
    accounts = browser.get(
        reverse("territory_coverage_accounts"), {"territory": "all"}
    ).content.decode()
    assert count_of(accounts) == 1 and "Rival Sofia shop" in accounts
    assert "Sofia buyer" not in accounts
    deals = browser.get(
        reverse("territory_coverage_deals"), {"territory": "all", "status": "open"}
    ).content.decode()
    assert count_of(deals) == 1 and "Rival open" in deals
    assert "Varna open" not in deals


def test_a_reps_totals_lists_match_the_numbers_they_see(web_as, rep, land):
    _accounts, deals = land
    browser = web_as(rep)
    total = cells(total_row(browser.get(reverse("territory_coverage")).content.decode()))
    for label in ("Accounts", "Prospects", "Customers", "Open deals", "Won deals"):
        url, number = total[label]
        assert count_of(browser.get(url).content.decode()) == int(number), label
    # The rep's own open deal is theirs to see; the others' are not.
    listing = browser.get(total["Open deals"][0]).content.decode()
    assert reverse("opportunity_detail", args=[deals["varna"].pk]) in listing
    assert reverse("opportunity_detail", args=[deals["paris"].pk]) not in listing


def test_an_unknown_territory_key_is_still_404(web_as, admin, land):
    browser = web_as(admin)
    for key in ("every", "alls", ""):
        response = browser.get(reverse("territory_coverage_deals"), {"territory": key})
        assert response.status_code == 404, key
