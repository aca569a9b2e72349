import pytest

from funia.customers import custom_fields
from tests import factories


@pytest.fixture
def fields(admin):
    for spec in (
        {"key": "budget", "label": "Budget", "kind": "number"},
        {"key": "renewal", "label": "Renewal date", "kind": "date"},
        {"key": "tier", "label": "Tier", "kind": "choice", "choices": ["gold", "silver"]},
        {"key": "newsletter", "label": "Newsletter", "kind": "boolean"},
    ):
        custom_fields.custom_field_create(by=admin, entity="contact", **spec)


def test_an_admin_defines_a_custom_field_through_the_api(admin, api_as):
    response = api_as(admin).call(
        "post",
        "/custom-fields",
        {"entity": "account", "key": "vat_number", "label": "VAT number", "kind": "text"},
    )

    assert response.status_code == 201, response.content
    assert response.json()["key"] == "vat_number"


def test_only_admins_define_custom_fields(rep, api_as):
    response = api_as(rep).call(
        "post", "/custom-fields", {"entity": "account", "key": "x", "label": "X", "kind": "text"}
    )

    assert response.status_code == 403


def test_a_choice_field_needs_choices(admin, api_as):
    response = api_as(admin).call(
        "post", "/custom-fields", {"entity": "contact", "key": "t", "label": "T", "kind": "choice"}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "choices"


def test_custom_values_are_validated_and_typed(admin, api_as, fields):
    response = api_as(admin).call(
        "post",
        "/contacts",
        {
            "last_name": "Petrov",
            "custom": {
                "budget": "12500",
                "renewal": "2027-03-01",
                "tier": "gold",
                "newsletter": "да",
            },
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["custom"] == {
        "budget": 12500,
        "renewal": "2027-03-01",
        "tier": "gold",
        "newsletter": True,
    }


def test_bad_custom_values_name_each_field(admin, api_as, fields):
    response = api_as(admin).call(
        "post",
        "/contacts",
        {"last_name": "P", "custom": {"budget": "a lot", "tier": "platinum", "nope": 1}},
    )

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "custom.budget",
        "custom.tier",
        "custom.nope",
    }


def test_a_required_custom_field_is_required_on_new_records(admin, api_as):
    custom_fields.custom_field_create(
        by=admin, entity="account", key="vat", label="VAT", kind="text", required=True
    )

    assert api_as(admin).call("post", "/accounts", {"name": "No VAT"}).status_code == 422
    created = api_as(admin).call("post", "/accounts", {"name": "VAT", "custom": {"vat": "BG1"}})
    assert created.status_code == 201


def test_lists_filter_on_a_custom_field(admin, api_as, fields):
    factories.contact(admin, last_name="Gold", custom={"tier": "gold"})
    factories.contact(admin, last_name="Silver", custom={"tier": "silver"})

    items = api_as(admin).call("get", "/contacts", {"custom": "tier=gold"}).json()["items"]

    assert [item["last_name"] for item in items] == ["Gold"]


def test_custom_fields_appear_on_the_contact_form_and_are_saved(admin, web_as, fields):
    client = web_as(admin)
    form = client.get("/contacts/new/").content.decode()
    assert 'name="custom_tier"' in form

    response = client.post(
        "/contacts/new/",
        {
            "last_name": "Formov",
            "custom_tier": "silver",
            "custom_budget": "99",
            "owner": admin.user.pk,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    detail = client.get(response.url).content.decode()
    assert "silver" in detail
    assert "Tier" in detail


def test_deleting_a_custom_field_keeps_the_values_for_a_restore(admin, fields):
    contact = factories.contact(admin, custom={"tier": "gold"})
    field = custom_fields.definitions(tenant=admin.tenant, entity="contact")[2]

    custom_fields.custom_field_delete(by=admin, custom_field=field)
    contact.refresh_from_db()

    assert contact.custom["tier"] == "gold"
    assert "tier" not in [
        f.key for f in custom_fields.definitions(tenant=admin.tenant, entity="contact")
    ]


def test_the_custom_fields_page_lists_and_creates_fields(admin, web_as):
    client = web_as(admin)
    response = client.post(
        "/settings/custom-fields/new/",
        {
            "entity": "account",
            "key": "region_code",
            "label": "Region code",
            "kind": "text",
            "position": 0,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Region code" in client.get("/settings/custom-fields/").content.decode()


def test_the_contact_form_edits_the_first_address_and_keeps_the_others(admin, web_as):
    contact = factories.contact(
        admin,
        addresses=[
            {"label": "office", "street": "Vitosha 1", "city": "Sofia", "country": "BG"},
            {"label": "home", "street": "Morska 5", "city": "Varna", "country": "BG"},
        ],
    )
    client = web_as(admin)

    response = client.post(
        f"/contacts/{contact.pk}/edit/",
        {
            "last_name": contact.last_name,
            "owner": admin.user.pk,
            "address_street": "Vitosha 9",
            "address_city": "Sofia",
            "address_country": "bg",
            "etag": contact.etag,
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    addresses = list(contact.addresses.all())
    assert [(a.label, a.street) for a in addresses] == [
        ("office", "Vitosha 9"),
        ("home", "Morska 5"),
    ]
