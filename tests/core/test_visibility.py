"""One visibility policy for web pages and the API: who sees and changes which records."""

import re
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from funia.core import services as core_services
from funia.core.actor import Actor
from funia.core.models import AuditEntry, Team
from funia.customers import services as customer_services
from funia.customers.models import Account, Contact
from tests import factories


@dataclass
class Sales:
    """Acme's sales floor: a manager of team North (rep and teammate), a rep without a team."""

    admin: Actor
    analyst: Actor
    manager: Actor
    rep: Actor
    teammate: Actor
    loner: Actor
    accounts: dict  # owner name (or "unowned") -> Account
    contacts: dict  # owner name (or "unowned") -> Contact

    def actor(self, name: str) -> Actor:
        return getattr(self, name)


OWNERS = ("admin", "manager", "rep", "teammate", "loner")


@pytest.fixture
def sales(org, admin, analyst, manager, rep):
    teammate = factories.member(org, "sales_rep")
    loner = factories.member(org, "sales_rep")
    factories.team(admin, "North", manager=manager, members=[rep, teammate])
    actors = {"admin": admin, "manager": manager, "rep": rep, "teammate": teammate, "loner": loner}
    accounts = {
        name: factories.account(admin, name=f"Account of {name}", owner_id=actor.user.pk)
        for name, actor in actors.items()
    }
    accounts["unowned"] = factories.account(admin, name="Account of nobody", owner_id=None)
    contacts = {
        name: factories.contact(admin, last_name=f"Contact-of-{name}", owner_id=actor.user.pk)
        for name, actor in actors.items()
    }
    contacts["unowned"] = factories.contact(admin, last_name="Contact-of-nobody", owner_id=None)
    return Sales(admin, analyst, manager, rep, teammate, loner, accounts, contacts)


def api_ids(client, path: str) -> set[int]:
    response = client.call("get", path, {"limit": 500})
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def web_ids(client, url_name: str, detail_name: str) -> set[int]:
    html = client.get(reverse(url_name)).content.decode()
    prefix = reverse(detail_name, args=[1]).removesuffix("1/")
    return {int(pk) for pk in re.findall(re.escape(prefix) + r"(\d+)/", html)}


def ids(records: dict, *names: str) -> set[int]:
    return {records[name].pk for name in names}


EVERYONE = (*OWNERS, "unowned")
EXPECTED = {
    "admin": EVERYONE,
    "analyst": EVERYONE,
    "manager": ("manager", "rep", "teammate", "unowned"),
    "rep": ("rep",),
    "loner": ("loner",),
}


# -- who sees what -----------------------------------------------------------------------


@pytest.mark.parametrize("who", EXPECTED)
def test_the_api_lists_exactly_the_accounts_a_role_may_see(sales, api_as, who):
    seen = api_ids(api_as(sales.actor(who)), "/accounts")
    assert seen == ids(sales.accounts, *EXPECTED[who])


@pytest.mark.parametrize("who", EXPECTED)
def test_the_api_lists_exactly_the_contacts_a_role_may_see(sales, api_as, who):
    seen = api_ids(api_as(sales.actor(who)), "/contacts")
    assert seen == ids(sales.contacts, *EXPECTED[who])


@pytest.mark.parametrize("who", EXPECTED)
def test_the_account_list_page_shows_the_same_accounts_as_the_api(sales, api_as, web_as, who):
    actor = sales.actor(who)
    from_api = api_ids(api_as(actor), "/accounts")
    from_web = web_ids(web_as(actor), "account_list", "account_detail")
    assert from_web == from_api == ids(sales.accounts, *EXPECTED[who])


@pytest.mark.parametrize("who", EXPECTED)
def test_the_contact_list_page_shows_the_same_contacts_as_the_api(sales, api_as, web_as, who):
    actor = sales.actor(who)
    from_api = api_ids(api_as(actor), "/contacts")
    from_web = web_ids(web_as(actor), "contact_list", "contact_detail")
    assert from_web == from_api == ids(sales.contacts, *EXPECTED[who])


def test_reps_see_their_teams_records_when_the_organisation_allows_it(sales, api_as, org):
    org.reps_see_team_records = True
    org.save()
    seen = api_ids(api_as(sales.rep), "/accounts")
    assert seen == ids(sales.accounts, "rep", "teammate")


def test_team_visibility_does_not_reach_reps_outside_any_team(sales, api_as, org):
    org.reps_see_team_records = True
    org.save()
    assert api_ids(api_as(sales.loner), "/accounts") == ids(sales.accounts, "loner")


def test_team_visibility_also_applies_to_the_web_list(sales, web_as, org):
    org.reps_see_team_records = True
    org.save()
    seen = web_ids(web_as(sales.rep), "contact_list", "contact_detail")
    assert seen == ids(sales.contacts, "rep", "teammate")


def test_a_manager_stops_seeing_a_reps_records_when_the_rep_leaves_the_team(sales, api_as):
    team = Team.objects.for_tenant(sales.admin.tenant).get(name="North")
    core_services.team_update(by=sales.admin, team=team, fields={"member_ids": [sales.rep.user.pk]})
    seen = api_ids(api_as(sales.manager), "/accounts")
    assert seen == ids(sales.accounts, "manager", "rep", "unowned")


def test_a_manager_stops_seeing_a_teams_records_when_the_team_is_deleted(sales, api_as):
    team = Team.objects.for_tenant(sales.admin.tenant).get(name="North")
    core_services.team_delete(by=sales.admin, team=team)
    seen = api_ids(api_as(sales.manager), "/accounts")
    assert seen == ids(sales.accounts, "manager", "unowned")


# -- another rep's record answers 404 ----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "body"),
    [("get", None), ("patch", {"name": "Taken over"}), ("delete", None)],
)
def test_a_rep_gets_404_for_another_reps_account_through_the_api(sales, api_as, method, body):
    target = sales.accounts["loner"]
    response = api_as(sales.rep).call(method, f"/accounts/{target.pk}", body)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    target.refresh_from_db()
    assert (target.name, target.version, target.deleted_at) == ("Account of loner", 1, None)


def test_a_rep_cannot_restore_another_reps_deleted_account(sales, api_as):
    target = customer_services.account_delete(by=sales.admin, account=sales.accounts["loner"])
    response = api_as(sales.rep).call("post", f"/accounts/{target.pk}/restore")
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.is_deleted


def test_a_rep_gets_404_for_another_reps_contact_through_the_api(sales, api_as):
    target = sales.contacts["teammate"]
    assert api_as(sales.rep).call("get", f"/contacts/{target.pk}").status_code == 404


@pytest.mark.parametrize("page", ["account_detail", "account_edit"])
def test_a_rep_gets_404_for_another_reps_account_page(sales, web_as, page):
    target = sales.accounts["loner"]
    assert web_as(sales.rep).get(reverse(page, args=[target.pk])).status_code == 404


@pytest.mark.parametrize("page", ["account_edit", "account_delete"])
def test_a_rep_cannot_change_another_reps_account_through_the_web(sales, web_as, page):
    target = sales.accounts["loner"]
    response = web_as(sales.rep).post(reverse(page, args=[target.pk]), {"name": "Taken over"})
    assert response.status_code == 404
    target.refresh_from_db()
    assert (target.name, target.version, target.deleted_at) == ("Account of loner", 1, None)


def test_a_rep_cannot_attach_a_contact_to_an_account_of_another_organisation(sales, outsider):
    theirs = factories.account(outsider)
    with pytest.raises(ValidationError, match="No such account"):
        customer_services.contact_create(by=sales.rep, last_name="X", account_id=theirs.pk)


@pytest.mark.parametrize(("path", "field"), [("/contacts", "account"), ("/accounts", "parent")])
def test_a_rep_cannot_link_to_an_account_they_may_not_see(sales, api_as, path, field):
    body = {"/contacts": {"last_name": "Mine"}, "/accounts": {"name": "Mine"}}[path]
    api = api_as(sales.rep)
    hidden = api.call("post", path, body | {field: sales.accounts["loner"].pk})
    missing = api.call("post", path, body | {field: 999_999})
    assert hidden.status_code == 422
    assert hidden.json() == missing.json()


def test_a_rep_cannot_pick_an_account_they_may_not_see_in_the_contact_form(sales, web_as):
    html = web_as(sales.rep).get(reverse("contact_create")).content.decode()
    assert "Account of rep" in html
    assert "Account of loner" not in html


def test_a_manager_may_change_a_team_members_account(sales, api_as):
    target = sales.accounts["teammate"]
    response = api_as(sales.manager).call("patch", f"/accounts/{target.pk}", {"city": "Varna"})
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_a_manager_gets_404_for_an_account_outside_their_teams(sales, api_as):
    target = sales.accounts["loner"]
    assert api_as(sales.manager).call("get", f"/accounts/{target.pk}").status_code == 404


# -- analysts only read ------------------------------------------------------------------


def audit_count(org) -> int:
    return AuditEntry.objects.for_tenant(org).count()


def test_an_analyst_cannot_create_an_account_through_the_api(sales, api_as, org):
    before = (Account.objects.for_tenant(org).count(), audit_count(org))
    response = api_as(sales.analyst).call("post", "/accounts", {"name": "Analysed"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert (Account.objects.for_tenant(org).count(), audit_count(org)) == before


def test_an_analyst_cannot_create_a_contact_through_the_api(sales, api_as, org):
    before = Contact.objects.for_tenant(org).count()
    response = api_as(sales.analyst).call("post", "/contacts", {"last_name": "Analysed"})
    assert response.status_code == 403
    assert Contact.objects.for_tenant(org).count() == before


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("patch", "", {"name": "Analysed"}), ("delete", "", None), ("post", "/restore", None)],
)
def test_an_analyst_cannot_change_an_account_through_the_api(
    sales, api_as, org, method, suffix, body
):
    target = sales.accounts["rep"]
    if suffix == "/restore":
        target = customer_services.account_delete(by=sales.admin, account=target)
    before = (target.version, target.deleted_at, audit_count(org))
    response = api_as(sales.analyst).call(method, f"/accounts/{target.pk}{suffix}", body)
    assert response.status_code == 403
    target.refresh_from_db()
    assert (target.version, target.deleted_at, audit_count(org)) == before
    assert target.name == "Account of rep"


def test_an_analyst_cannot_create_an_account_through_the_web(sales, web_as, org):
    before = Account.objects.for_tenant(org).count()
    response = web_as(sales.analyst).post(reverse("account_create"), {"name": "Analysed"})
    assert response.status_code == 403
    assert Account.objects.for_tenant(org).count() == before


@pytest.mark.parametrize("page", ["account_edit", "account_delete"])
def test_an_analyst_cannot_change_an_account_through_the_web(sales, web_as, org, page):
    target = sales.accounts["rep"]
    response = web_as(sales.analyst).post(
        reverse(page, args=[target.pk]), {"name": "Analysed", "etag": target.etag}
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert (target.name, target.version, target.deleted_at) == ("Account of rep", 1, None)


def test_an_analyst_can_read_any_account(sales, api_as, web_as):
    target = sales.accounts["loner"]
    assert api_as(sales.analyst).call("get", f"/accounts/{target.pk}").status_code == 200
    assert web_as(sales.analyst).get(reverse("account_detail", args=[target.pk])).status_code == 200
