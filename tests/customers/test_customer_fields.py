from funia.customers.models import ConsentEvent
from tests import factories


def test_a_contact_keeps_several_emails_phones_and_addresses_in_order(admin, api_as):
    response = api_as(admin).call(
        "post",
        "/contacts",
        {
            "first_name": "Мария",
            "last_name": "Иванова",
            "emails": [{"value": "maria@work.bg", "label": "work"}, "Maria@Home.bg"],
            "phones": [{"value": "0888 123 456", "label": "mobile"}],
            "addresses": [
                {"label": "office", "street": "Витоша 1", "city": "София", "country": "bg"}
            ],
            "tags": ["VIP", "vip", "newsletter"],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert [e["value"] for e in body["emails"]] == ["maria@work.bg", "maria@home.bg"]
    assert body["phones"] == [{"value": "+359888123456", "label": "mobile"}]
    assert body["addresses"][0]["country"] == "BG"
    assert body["tags"] == ["VIP", "newsletter"]


def test_a_bad_phone_in_a_list_names_its_position(admin, api_as):
    response = api_as(admin).call(
        "post", "/contacts", {"last_name": "X", "phones": ["0888 123 456", "123"]}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "phones.1.value"


def test_consent_changes_are_kept_as_history(admin, api_as):
    api = api_as(admin)
    created = api.call(
        "post",
        "/contacts",
        {"last_name": "Consent", "consent": {"marketing": {"granted": True, "source": "fair"}}},
    ).json()
    api.call(
        "patch",
        f"/contacts/{created['id']}",
        {"consent": {"marketing": {"granted": False, "source": "unsubscribe link"}}},
    )

    contact = api.call("get", f"/contacts/{created['id']}").json()
    assert contact["consent"]["marketing"]["granted"] is False
    assert contact["consent"]["marketing"]["source"] == "unsubscribe link"
    history = ConsentEvent.objects.for_tenant(admin.tenant).filter(contact_id=created["id"])
    assert [e.granted for e in history] == [True, False]


def test_changing_emails_is_recorded_in_the_audit_trail(admin, api_as):
    contact = factories.contact(admin, emails=["old@example.com"])
    api = api_as(admin)
    api.call("patch", f"/contacts/{contact.pk}", {"emails": ["new@example.com"]})

    entries = api.call(
        "get", "/audit", {"object_type": "customers.contact", "object_id": contact.pk}
    ).json()["items"]

    assert entries[-1]["changes"]["emails"] == [["old@example.com"], ["new@example.com"]]


def test_a_contact_is_found_by_a_phone_typed_another_way(admin, api_as):
    factories.contact(admin, last_name="Phoned", phones=["+359 88 812 3456"])
    factories.contact(admin, last_name="Other")

    items = api_as(admin).call("get", "/contacts", {"q": "0888123456"}).json()["items"]

    assert [i["last_name"] for i in items] == ["Phoned"]


def test_a_contact_is_found_by_its_name_in_the_other_script(admin, api_as):
    factories.contact(admin, first_name="Иван", last_name="Петров")

    items = api_as(admin).call("get", "/contacts", {"q": "ivan petrov"}).json()["items"]

    assert [i["first_name"] for i in items] == ["Иван"]


def test_creating_a_duplicate_answers_409_with_the_candidates(admin, api_as):
    existing = factories.contact(admin, emails=["ivan@example.bg"])

    response = api_as(admin).call(
        "post", "/contacts", {"last_name": "Someone", "emails": ["IVAN@example.bg"]}
    )

    assert response.status_code == 409
    assert response.json()["candidates"][0]["id"] == existing.pk
    assert "email" in response.json()["candidates"][0]["reasons"]


def test_a_duplicate_is_created_when_the_request_says_so(admin, api_as):
    factories.contact(admin, emails=["ivan@example.bg"])

    response = api_as(admin).call(
        "post", "/contacts?on_duplicate=create", {"last_name": "X", "emails": ["ivan@example.bg"]}
    )

    assert response.status_code == 201


def test_changing_a_contact_into_a_duplicate_answers_409_unless_asked(admin, api_as):
    factories.contact(admin, emails=["taken@example.bg"])
    other = factories.contact(admin, last_name="Other", emails=["free@example.bg"])
    api = api_as(admin)

    refused = api.call("patch", f"/contacts/{other.pk}", {"emails": ["taken@example.bg"]})
    accepted = api.call(
        "patch", f"/contacts/{other.pk}?on_duplicate=create", {"emails": ["taken@example.bg"]}
    )

    assert refused.status_code == 409
    assert accepted.status_code == 200


def test_a_contact_linked_to_further_accounts_shows_them_with_roles(admin, api_as, web_as):
    main = factories.account(admin, name="Main Ltd")
    board = factories.account(admin, name="Board Ltd")
    created = (
        api_as(admin)
        .call(
            "post",
            "/contacts",
            {
                "last_name": "Multi",
                "account": main.pk,
                "accounts": [{"account": board.pk, "role": "board member"}],
            },
        )
        .json()
    )

    assert created["accounts"] == [{"account": board.pk, "role": "board member"}]
    page = web_as(admin).get(f"/contacts/{created['id']}/").content.decode()
    assert "Board Ltd" in page and "board member" in page


def test_a_duplicate_the_user_may_not_see_is_counted_but_not_named(org, api_as):
    rep_one = factories.member(org, "sales_rep")
    rep_two = factories.member(org, "sales_rep")
    factories.contact(rep_one, first_name="Secret", last_name="Client", emails=["s@client.bg"])

    response = api_as(rep_two).call(
        "post", "/contacts", {"last_name": "Other", "emails": ["s@client.bg"]}
    )

    assert response.status_code == 409
    candidate = response.json()["candidates"][0]
    assert candidate["id"] is None and candidate["name"] is None
    assert "Secret" not in response.content.decode()


def test_a_merged_record_cannot_be_restored_from_the_trash(admin, api_as):
    from funia.customers import merge

    survivor = factories.contact(admin, last_name="Keep")
    merged = factories.contact(admin, last_name="Gone")
    merge.contact_merge(by=admin, survivor=survivor, merged=[merged], fields={})

    response = api_as(admin).call("post", f"/contacts/{merged.pk}/restore")

    assert response.status_code == 422
    merged.refresh_from_db()
    assert merged.deleted_at is not None
