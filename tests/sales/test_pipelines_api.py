"""/api/v1/pipelines and /api/v1/exchange-rates: everyone reads, administrators write."""

from decimal import Decimal

import pytest

from funia.sales.models import Opportunity
from tests import factories
from tests.conftest import tenant_snapshot

STAGES = [
    {"name": "New", "probability": 10},
    {"name": "Demo", "probability": 40, "required_fields": ["contact"]},
    {"name": "Quote", "probability": 60, "required_fields": ["amount", "expected_close_date"]},
    {"name": "Won", "kind": "won"},
    {"name": "Lost", "kind": "lost"},
]


def create_pipeline(client, name="Partners", stages=STAGES, **fields):
    return client.call("post", "/pipelines", {"name": name, "stages": stages, **fields})


def test_admin_creates_a_pipeline_with_its_ordered_stages(admin, api_as):
    response = create_pipeline(api_as(admin))

    assert response.status_code == 201, response.content
    body = response.json()
    assert response["ETag"] == f'"{body["id"]}-1"'
    assert body["name"] == "Partners"
    assert body["is_default"] is True  # the organisation's first pipeline
    assert [(s["name"], s["position"], s["probability"], s["kind"]) for s in body["stages"]] == [
        ("New", 0, 10, "open"),
        ("Demo", 1, 40, "open"),
        ("Quote", 2, 60, "open"),
        ("Won", 3, 100, "won"),
        ("Lost", 4, 0, "lost"),
    ]
    assert body["stages"][2]["required_fields"] == ["amount", "expected_close_date"]
    assert all(isinstance(s["id"], int) for s in body["stages"])


def test_everyone_reads_pipelines_but_only_admins_write(admin, rep, analyst, manager, api_as):
    pipeline = factories.pipeline(admin)
    for actor in (rep, analyst, manager):
        client = api_as(actor)
        listed = client.call("get", "/pipelines").json()
        assert [p["name"] for p in listed["items"]] == ["B2B sales"]
        assert client.call("get", f"/pipelines/{pipeline.pk}").status_code == 200
        assert create_pipeline(client).status_code == 403
        patched = client.call("patch", f"/pipelines/{pipeline.pk}", {"name": "Mine"})
        assert patched.status_code == 403
        assert client.call("delete", f"/pipelines/{pipeline.pk}").status_code == 403
    assert api_as(admin).call("get", f"/pipelines/{pipeline.pk}").json()["name"] == "B2B sales"


def test_patch_replaces_the_whole_stage_list_keeping_ids(admin, api_as):
    client = api_as(admin)
    body = create_pipeline(client).json()
    stages = body["stages"]
    reordered = [
        {"id": stages[1]["id"], "name": "Demo done", "probability": 45},
        {"id": stages[0]["id"], "name": "New", "probability": 5},
        {"name": "Trial", "probability": 55, "required_fields": ["account"]},
        {"id": stages[3]["id"], "name": "Won", "kind": "won"},
        {"id": stages[4]["id"], "name": "Lost", "kind": "lost"},
    ]
    response = client.call(
        "patch",
        f"/pipelines/{body['id']}",
        {"stages": reordered},
        headers={"If-Match": response_etag(body)},
    )

    assert response.status_code == 200, response.content
    after = response.json()["stages"]
    assert [s["name"] for s in after] == ["Demo done", "New", "Trial", "Won", "Lost"]
    assert after[0]["id"] == stages[1]["id"] and after[1]["id"] == stages[0]["id"]
    assert after[2]["id"] not in {s["id"] for s in stages}
    assert stages[2]["id"] not in {s["id"] for s in after}  # "Quote" was removed
    assert response.json()["version"] == 2


def response_etag(body) -> str:
    return f'"{body["id"]}-{body["version"]}"'


def test_a_stale_if_match_is_412(admin, api_as):
    client = api_as(admin)
    body = create_pipeline(client).json()
    assert client.call("patch", f"/pipelines/{body['id']}", {"name": "Renamed"}).status_code == 200

    response = client.call(
        "patch", f"/pipelines/{body['id']}", {"name": "Again"}, headers={"If-Match": '"1-1"'}
    )

    assert response.status_code == 412
    assert response["ETag"] == f'"{body["id"]}-2"'


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ([{"name": "Only open"}], "at least one open, one won and one lost"),
        (
            [{"name": "A"}, {"name": "a", "kind": "won"}, {"name": "L", "kind": "lost"}],
            "must differ",
        ),
        (
            [
                {"name": "A", "required_fields": ["password"]},
                {"name": "W", "kind": "won"},
                {"name": "L", "kind": "lost"},
            ],
            "password cannot be required",
        ),
    ],
)
def test_bad_stage_lists_are_refused_with_a_clear_message(admin, api_as, stages, message):
    response = create_pipeline(api_as(admin), stages=stages)

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e["field"] == "stages" and message in e["message"] for e in errors), errors


def test_schema_errors_name_the_stage_field(admin, api_as):
    response = create_pipeline(
        api_as(admin), stages=[{"name": "X", "probability": 120, "kind": "maybe"}]
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"stages.0.probability", "stages.0.kind"} <= fields


def test_a_stage_with_deals_cannot_be_removed(admin, rep, api_as):
    pipeline = factories.pipeline(admin)
    factories.opportunity(rep, name="Kept")
    stages = [
        {"id": s.pk, "name": s.name, "kind": s.kind, "probability": s.probability}
        for s in pipeline.stages.order_by("position")
        if s.name != "Qualification"
    ]
    client = api_as(admin)
    client.call("get", "/me")  # the token's last use is recorded once a minute
    before = tenant_snapshot(admin.tenant)

    response = client.call("patch", f"/pipelines/{pipeline.pk}", {"stages": stages})

    assert response.status_code == 422
    assert "Qualification" in response.json()["errors"][0]["message"]
    assert tenant_snapshot(admin.tenant) == before


def test_only_one_default_pipeline(admin, api_as):
    client = api_as(admin)
    first = create_pipeline(client, name="First").json()
    second = create_pipeline(client, name="Second", is_default=True).json()

    listed = {p["name"]: p["is_default"] for p in client.call("get", "/pipelines").json()["items"]}

    assert listed == {"First": False, "Second": True}
    assert first["id"] != second["id"]


def test_a_pipeline_with_deals_is_not_trashed_and_an_empty_one_is(admin, rep, api_as):
    client = api_as(admin)
    used = factories.pipeline(admin)
    factories.opportunity(rep)
    empty = create_pipeline(client, name="Empty").json()

    assert client.call("delete", f"/pipelines/{used.pk}").status_code == 422
    assert client.call("delete", f"/pipelines/{empty['id']}").status_code == 204
    assert [p["name"] for p in client.call("get", "/pipelines").json()["items"]] == ["B2B sales"]
    trashed = client.call("get", "/pipelines", {"deleted": "true"}).json()["items"]
    assert [(p["name"], p["deleted"]) for p in trashed] == [("Empty", True)]
    restored = client.call("post", f"/pipelines/{empty['id']}/restore")
    assert restored.status_code == 200
    assert restored.json()["deleted_at"] is None
    assert [s["name"] for s in restored.json()["stages"]] == [s["name"] for s in STAGES]


# -- exchange rates ----------------------------------------------------------------------------


def test_admin_manages_exchange_rates_and_everyone_reads_them(admin, rep, analyst, api_as):
    client = api_as(admin)
    created = client.call("post", "/exchange-rates", {"currency": "usd", "rate": "0.92"})

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["currency"], body["rate"], body["base_currency"]) == ("USD", "0.92", "EUR")
    assert (
        client.call("post", "/exchange-rates", {"currency": "GBP", "rate": 1.17}).json()["rate"]
        == "1.17"
    )
    for actor in (rep, analyst):
        reader = api_as(actor)
        listed = reader.call("get", "/exchange-rates").json()["items"]
        assert [(r["currency"], r["rate"]) for r in listed] == [("GBP", "1.17"), ("USD", "0.92")]
        refused = reader.call("post", "/exchange-rates", {"currency": "CHF", "rate": "1.05"})
        assert refused.status_code == 403
        refused = reader.call("patch", f"/exchange-rates/{body['id']}", {"rate": "2"})
        assert refused.status_code == 403

    patched = client.call(
        "patch", f"/exchange-rates/{body['id']}", {"rate": "0.9"}, headers={"If-Match": '"x"'}
    )
    assert patched.status_code == 412
    patched = client.call("patch", f"/exchange-rates/{body['id']}", {"rate": "0.9"})
    assert (patched.status_code, patched.json()["rate"], patched["ETag"]) == (
        200,
        "0.9",
        f'"{body["id"]}-2"',
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"currency": "EUR", "rate": "1"}, "currency"),  # the organisation's own currency
        ({"currency": "US", "rate": "1"}, "currency"),
        ({"currency": "USD", "rate": "0"}, "rate"),
        ({"currency": "USD", "rate": "-1"}, "rate"),
        ({"currency": "USD", "rate": "abc"}, "rate"),
        ({"currency": "USD", "rate": "1.123456789"}, "rate"),
    ],
)
def test_bad_exchange_rates_are_refused(admin, api_as, payload, field):
    response = api_as(admin).call("post", "/exchange-rates", payload)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}


def test_one_rate_per_currency_and_a_used_rate_stays(admin, rep, api_as):
    client = api_as(admin)
    factories.pipeline(admin)
    rate = client.call("post", "/exchange-rates", {"currency": "USD", "rate": "0.9"}).json()
    again = client.call("post", "/exchange-rates", {"currency": "USD", "rate": "0.8"})
    assert again.status_code == 422
    factories.opportunity(rep, amount=Decimal(100), currency="USD")

    refused = client.call("delete", f"/exchange-rates/{rate['id']}")

    assert refused.status_code == 422
    assert "Deals" in refused.json()["errors"][0]["message"]


def test_changing_a_rate_rebases_the_deals_in_that_currency(admin, rep, api_as):
    client = api_as(admin)
    factories.pipeline(admin)
    rate = client.call("post", "/exchange-rates", {"currency": "USD", "rate": "0.9"}).json()
    deal = factories.opportunity(rep, amount=Decimal("1000.00"), currency="USD")

    client.call("patch", f"/exchange-rates/{rate['id']}", {"rate": "0.85"})

    body = api_as(rep).call("get", f"/opportunities/{deal.pk}").json()
    assert (body["amount"], body["currency"], body["amount_base"]) == ("1000.00", "USD", "850.00")
    assert Opportunity.objects.for_tenant(admin.tenant).get().amount_base == Decimal("850.00")
