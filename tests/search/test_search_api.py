"""GET /api/v1/search: the shape, the parameters, the errors."""

import pytest

from tests import factories


@pytest.fixture
def api(admin, api_as):
    return api_as(admin)


def test_a_search_returns_typed_hits_with_a_title_a_subtitle_and_a_url(api, admin):
    acme = factories.account(admin, name="Acme", domain="acme.example", city="Sofia")
    ivan = factories.contact(
        admin, first_name="Иван", last_name="Acmeov", emails=["ivan@acme.example"]
    )
    response = api.call("get", "/search", {"q": "acme"})
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "type": "account",
                "id": acme.pk,
                "title": "Acme",
                "subtitle": "acme.example · Sofia",
                "url": f"http://testserver/accounts/{acme.pk}/",
            },
            {
                "type": "contact",
                "id": ivan.pk,
                "title": "Иван Acmeov",
                "subtitle": "ivan@acme.example",
                "url": f"http://testserver/contacts/{ivan.pk}/",
            },
        ]
    }


def test_a_contacts_subtitle_names_its_title_and_company(api, admin):
    acme = factories.account(admin, name="Acme")
    factories.contact(admin, last_name="Ivanova", title="CEO", account_id=acme.pk)
    item = api.call("get", "/search", {"q": "ivanova"}).json()["items"][0]
    assert item["subtitle"] == "CEO · Acme"


def test_types_choose_the_record_types(api, admin):
    acme = factories.account(admin, name="Acme")
    factories.contact(admin, last_name="Ivanova", account_id=acme.pk)
    items = api.call("get", "/search", {"q": "acme", "types": "contact"}).json()["items"]
    assert [i["type"] for i in items] == ["contact"]
    items = api.call("get", "/search", {"q": "acme", "types": "account,contact"}).json()["items"]
    assert [i["type"] for i in items] == ["account", "contact"]


def test_an_unknown_type_is_refused(api):
    response = api.call("get", "/search", {"q": "acme", "types": "account,spaceship"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "types"


def test_the_limit_caps_the_hits(api, admin):
    for n in range(4):
        factories.contact(admin, last_name=f"Ivanova{n}")
    assert len(api.call("get", "/search", {"q": "ivanova", "limit": 2}).json()["items"]) == 2


@pytest.mark.parametrize("limit", [0, 51])
def test_a_limit_out_of_range_is_refused(api, limit):
    assert api.call("get", "/search", {"q": "x", "limit": limit}).status_code == 422


def test_a_query_is_required(api):
    assert api.call("get", "/search").status_code == 422
    assert api.call("get", "/search", {"q": ""}).status_code == 422


def test_a_query_with_a_nul_character_is_refused(api):
    assert api.call("get", "/search", {"q": "iv\x00an"}).status_code == 422


def test_a_query_of_spaces_finds_nothing(api, admin):
    factories.contact(admin, last_name="Ivanova")
    assert api.call("get", "/search", {"q": "   "}).json() == {"items": []}


def test_the_search_needs_authentication(api_anonymous):
    assert api_anonymous.call("get", "/search", {"q": "x"}).status_code == 401


def test_the_search_is_in_the_openapi_document(api):
    paths = api.call("get", "/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/search"]
