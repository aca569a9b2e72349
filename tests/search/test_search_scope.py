"""The search finds only what the actor may see: never another organisation's records,
never another rep's; the API and the pages alike."""

import pytest
from django.urls import reverse

from tests import factories

RIVAL_QUERIES = [
    "Rival Secret Account",
    "rival-secret.example",
    "Rivalcontact Hiddenov",
    "hidden.contact@rival.example",
    "Rivaltrash",
    "Rival Trashed Account",
    "rival",
    "hiddenov",
]


@pytest.mark.parametrize("text", RIVAL_QUERIES)
def test_another_organisations_records_are_never_found(admin, other_org_records, titles, text):
    factories.contact(admin, first_name="Rivalo", last_name="Ours")  # ours, to find something
    found = titles(admin, text)
    assert not other_org_records.leaked_markers(" ".join(found))


@pytest.mark.parametrize("text", RIVAL_QUERIES)
def test_the_api_never_returns_another_organisations_records(
    admin, api_as, other_org_records, text
):
    response = api_as(admin).call("get", "/search", {"q": text})
    assert response.status_code == 200
    ids = {(item["type"], item["id"]) for item in response.json()["items"]}
    theirs = {("account", other_org_records.ids["account"])}
    theirs |= {("contact", other_org_records.ids["contact"])}
    assert not ids & theirs
    assert not other_org_records.leaked_markers(response.content.decode())


@pytest.mark.parametrize("live", [False, True])
def test_the_search_page_never_shows_another_organisations_records(
    admin, web_as, other_org_records, live
):
    headers = {"HX-Request": "true", "HX-Target": "search-live"} if live else {}
    # Parts of their names: the page repeats the query, so it must not be a whole marker.
    for text in ["secret", "rival", "hiddenov", "binova", "trashed", "rival.example", "contact"]:
        response = web_as(admin).get(reverse("search"), {"q": text}, headers=headers)
        assert response.status_code == 200
        assert not other_org_records.leaked_markers(response.content.decode()), text


def test_the_same_name_in_two_organisations_finds_only_ours(admin, outsider, titles):
    factories.contact(outsider, first_name="Maria", last_name="Ivanova", emails=["m@rival.example"])
    ours = factories.contact(admin, first_name="Maria", last_name="Ivanova")
    hits = titles(admin, "maria ivanova")
    assert hits == ["Maria Ivanova"]
    from funia.search.selectors import global_search

    assert [h.id for h in global_search(actor=admin, text="maria ivanova")] == [ours.pk]


def test_another_organisations_email_and_phone_find_nothing(admin, outsider, titles):
    factories.contact(
        outsider, last_name="Hidden", emails=["x@rival.example"], phones=["+359888000111"]
    )
    assert titles(admin, "x@rival.example") == []
    assert titles(admin, "0888 000 111") == []


# -- visibility --------------------------------------------------------------------------


def test_a_rep_finds_their_own_records_and_not_another_reps(org, rep, titles):
    other = factories.member(org, "sales_rep")
    factories.contact(rep, first_name="Maria", last_name="Mine")
    factories.contact(other, first_name="Maria", last_name="Theirs", phones=["0888111222"])
    factories.account(other, name="Maria Theirs Ltd")
    assert titles(rep, "maria") == ["Maria Mine"]
    assert titles(rep, "0888111222") == []


def test_a_rep_sees_the_teams_records_when_the_organisation_allows_it(org, rep, titles):
    teammate = factories.member(org, "sales_rep")
    admin = factories.member(org, "admin")
    factories.team(admin, members=[rep, teammate])
    factories.contact(teammate, first_name="Maria", last_name="Teammates")
    assert titles(rep, "maria") == []
    org.reps_see_team_records = True
    org.save()
    rep.tenant.refresh_from_db()
    assert titles(rep, "maria") == ["Maria Teammates"]


def test_a_manager_finds_the_teams_and_unowned_records(org, manager, titles):
    member, stranger = factories.member(org, "sales_rep"), factories.member(org, "sales_rep")
    admin = factories.member(org, "admin")
    factories.team(admin, manager=manager, members=[member])
    factories.contact(member, first_name="Maria", last_name="Member")
    factories.contact(stranger, first_name="Maria", last_name="Stranger")
    factories.contact(admin, first_name="Maria", last_name="Unowned", owner_id=None)
    assert sorted(titles(manager, "maria")) == ["Maria Member", "Maria Unowned"]


def test_a_rep_finds_enough_of_their_own_among_many_of_others(org, rep, titles):
    other = factories.member(org, "sales_rep")
    for n in range(12):
        factories.contact(other, first_name="Maria", last_name=f"Theirs{n}")
    factories.contact(rep, first_name="Maria", last_name="Mine")
    assert titles(rep, "maria", limit=5) == ["Maria Mine"]


def test_the_api_applies_the_reps_visibility(org, rep, api_as):
    other = factories.member(org, "sales_rep")
    factories.contact(other, first_name="Maria", last_name="Theirs")
    mine = factories.contact(rep, first_name="Maria", last_name="Mine")
    items = api_as(rep).call("get", "/search", {"q": "maria"}).json()["items"]
    assert [(i["type"], i["id"]) for i in items] == [("contact", mine.pk)]
