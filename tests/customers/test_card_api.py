"""GET /accounts/{id}/card and /contacts/{id}/card: the record, the sections, the timeline."""

import datetime
from urllib.parse import urlsplit

import pytest

from funia.customers import card, services
from funia.customers.card import CardItem, SectionContent
from tests import factories


@pytest.fixture
def api(admin, api_as):
    return api_as(admin)


@pytest.fixture
def section():
    """register(key, provider, **options): a card section that is removed after the test."""
    keys = []

    def register(key, provider, **options):
        keys.append(key)
        return card.register_section(key, f"Section {key}", provider, **options)

    yield register
    for key in keys:
        card.unregister_section(key)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def card_of(api, record, **query):
    kind = type(record).__name__.lower()
    response = api.call("get", f"/{kind}s/{record.pk}/card", query or None)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_account_card_has_the_record_its_contacts_and_a_timeline(api, admin):
    acme = factories.account(admin, name="Acme", domain="acme.example")
    maria = factories.contact(
        admin, first_name="Maria", last_name="Ivanova", title="CEO", account_id=acme.pk
    )
    body = card_of(api, acme)
    assert set(body) == {"record", "sections", "timeline", "timeline_next"}
    assert body["record"]["name"] == "Acme" and body["record"]["domain"] == "acme.example"
    assert body["sections"]["contacts"] == {
        "title": "Contacts",
        "items": [
            {
                "id": maria.pk,
                "title": "Maria Ivanova",
                "detail": "CEO",
                "url": f"http://testserver/contacts/{maria.pk}/",
                "at": None,
                "status": "",
            }
        ],
        "more": None,
    }
    assert body["timeline_next"] is None


def test_the_contact_card_has_the_contact(api, admin):
    maria = factories.contact(admin, first_name="Maria", last_name="Ivanova")
    body = card_of(api, maria)
    assert body["record"]["id"] == maria.pk and body["record"]["last_name"] == "Ivanova"
    assert "contacts" not in body["sections"]


def test_the_timeline_has_the_creation_and_an_update_newest_first(api, admin):
    maria = factories.contact(admin, first_name="Maria", last_name="Ivanova")
    services.contact_update(by=admin, contact=maria, fields={"title": "CEO"})
    timeline = card_of(api, maria)["timeline"]
    assert [(e["kind"], e["title"]) for e in timeline] == [
        ("change", "Updated"),
        ("change", "Created"),
    ]
    assert timeline[0]["detail"] == "Title: — → CEO"
    assert timeline[0]["user"] == str(admin.user)
    assert timeline[0]["at"] > timeline[1]["at"]
    assert set(timeline[0]) == {"at", "kind", "title", "detail", "user", "link"}


def test_an_accounts_timeline_includes_the_changes_of_its_contacts(api, admin):
    acme = factories.account(admin, name="Acme")
    maria = factories.contact(admin, first_name="Maria", last_name="Ivanova", account_id=acme.pk)
    services.contact_update(by=admin, contact=maria, fields={"title": "CEO"})
    timeline = card_of(api, acme)["timeline"]
    assert [e["title"] for e in timeline] == [
        "Contact Maria Ivanova: updated",
        "Contact Maria Ivanova: created",
        "Created",
    ]
    assert timeline[0]["link"] == f"http://testserver/contacts/{maria.pk}/"
    assert timeline[-1]["link"] is None


def test_a_change_through_an_api_token_says_so(api, admin):
    created = api.call("post", "/contacts", {"last_name": "Ivanova"}).json()
    timeline = api.call("get", f"/contacts/{created['id']}/card").json()["timeline"]
    assert timeline[0]["user"] == f"{admin.user} (API token)"


def test_the_timeline_pages_with_a_next_link(api, admin):
    maria = factories.contact(admin, last_name="Ivanova")
    for n in range(4):
        services.contact_update(by=admin, contact=maria, fields={"title": f"Title {n}"})
    first = card_of(api, maria, timeline_limit=2)
    assert [e["detail"] for e in first["timeline"]] == [
        "Title: Title 2 → Title 3",
        "Title: Title 1 → Title 2",
    ]
    second = api.call("get", path_of(first["timeline_next"])).json()
    assert [e["detail"] for e in second["timeline"]] == [
        "Title: Title 0 → Title 1",
        "Title: — → Title 0",
    ]
    third = api.call("get", path_of(second["timeline_next"])).json()
    assert [e["title"] for e in third["timeline"]] == ["Created"]
    assert third["timeline_next"] is None


def test_a_trashed_record_still_has_its_card(api, admin):
    maria = factories.contact(admin, last_name="Ivanova")
    services.contact_delete(by=admin, contact=maria)
    body = card_of(api, maria)
    assert body["record"]["deleted"] is True
    assert body["timeline"][0]["title"] == "Deleted"


# -- the sections registry ---------------------------------------------------------------


def test_a_registered_section_appears_on_the_card(api, admin, section):
    def opportunities(actor, record):
        return [CardItem(title=f"Deal with {record}", status="Won", id=7, url="/deals/7/")]

    section("test_deals", opportunities, order=20)
    maria = factories.contact(admin, first_name="Maria", last_name="Ivanova")
    assert card_of(api, maria)["sections"]["test_deals"] == {
        "title": "Section test_deals",
        "items": [
            {
                "id": 7,
                "title": "Deal with Maria Ivanova",
                "detail": "",
                "url": "http://testserver/deals/7/",
                "at": None,
                "status": "Won",
            }
        ],
        "more": None,
    }


def test_a_section_for_accounts_is_not_on_a_contacts_card(api, admin, section):
    section(
        "test_orders",
        lambda actor, record: [CardItem("An order")],
        record_types=["customers.account"],
    )
    acme = factories.account(admin, name="Acme")
    maria = factories.contact(admin, last_name="Ivanova")
    assert "test_orders" in card_of(api, acme)["sections"]
    assert "test_orders" not in card_of(api, maria)["sections"]


def test_sections_come_in_their_order(api, admin, section):
    section("test_late", lambda a, r: [], order=90)
    section("test_early", lambda a, r: [], order=1)
    keys = list(card_of(api, factories.account(admin))["sections"])
    assert keys.index("test_early") < keys.index("contacts") < keys.index("test_late")


def test_a_section_may_link_to_more_items(api, admin, section):
    more = SectionContent(items=[CardItem("One")], more="/tickets/?account=1")
    section("test_tickets", lambda actor, record: more)
    body = card_of(api, factories.account(admin))
    assert body["sections"]["test_tickets"]["more"] == "http://testserver/tickets/?account=1"


def test_a_section_provider_gets_the_actor_and_the_record(api, admin, section):
    seen = []
    section("test_seen", lambda actor, record: seen.append((actor.user, record.pk)) or [])
    maria = factories.contact(admin, last_name="Ivanova")
    card_of(api, maria)
    assert seen == [(admin.user, maria.pk)]


def test_an_accounts_contacts_section_links_to_all_when_there_are_many(api, admin):
    acme = factories.account(admin, name="Acme")
    for n in range(card.SECTION_LIMIT + 1):
        factories.contact(admin, last_name=f"Ivanova{n:02}", account_id=acme.pk)
    contacts = card_of(api, acme)["sections"]["contacts"]
    assert len(contacts["items"]) == card.SECTION_LIMIT
    assert contacts["more"] == f"http://testserver/contacts/?account={acme.pk}"


def test_a_registered_timeline_source_is_merged_newest_first(api, admin):
    maria = factories.contact(admin, last_name="Ivanova")
    soon = maria.created_at + datetime.timedelta(minutes=5)

    def calls(actor, record, *, before=None, limit=20):
        entries = [card.TimelineEntry(at=soon, kind="call", title="Call: 3 minutes")]
        return [e for e in entries if before is None or e.at < before][:limit]

    card.register_timeline_source(calls)
    try:
        timeline = card_of(api, maria)["timeline"]
    finally:
        card.unregister_timeline_source(calls)
    assert [(e["kind"], e["title"]) for e in timeline] == [
        ("call", "Call: 3 minutes"),
        ("change", "Created"),
    ]


# -- who sees what -----------------------------------------------------------------------


def test_a_rep_sees_only_the_contacts_and_changes_they_may_see(org, rep, api_as):
    other = factories.member(org, "sales_rep")
    acme = factories.account(rep, name="Acme")
    factories.contact(rep, last_name="Mine", account_id=acme.pk)
    admin = factories.member(org, "admin")
    factories.contact(admin, last_name="Theirs", account_id=acme.pk, owner_id=other.user.pk)
    body = card_of(api_as(rep), acme)
    assert [i["title"] for i in body["sections"]["contacts"]["items"]] == ["Ivan Mine"]
    assert not any("Theirs" in e["title"] for e in body["timeline"])


def test_a_rep_gets_404_for_the_card_of_another_reps_contact(org, rep, api_as):
    theirs = factories.contact(factories.member(org, "sales_rep"), last_name="Theirs")
    response = api_as(rep).call("get", f"/contacts/{theirs.pk}/card")
    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["account", "contact"])
def test_the_card_of_another_organisations_record_is_404(api, other_org_records, kind):
    response = api.call("get", f"/{kind}s/{other_org_records.ids[kind]}/card")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert not other_org_records.leaked_markers(response.content.decode())


def test_the_card_runs_as_many_queries_for_20_contacts_as_for_2(api, admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    acme = factories.account(admin, name="Acme")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            card_of(api, acme)
        return len(captured)

    for n in range(2):
        factories.contact(admin, last_name=f"A{n}", account_id=acme.pk, emails=[f"a{n}@x.example"])
    queries()  # the token's first use is recorded once
    few = queries()
    for n in range(18):
        factories.contact(admin, last_name=f"B{n}", account_id=acme.pk, phones=["0888123456"])
    assert queries() == few
