from tests import factories


def test_an_admin_creates_and_reads_an_account_through_the_api(admin, api_as):
    api = api_as(admin)
    created = api.call("post", "/accounts", {"name": "Balkan Foods", "country": "bg"})
    assert created.status_code == 201, created.content
    assert created.json()["country"] == "BG"
    read = api.call("get", f"/accounts/{created.json()['id']}")
    assert read.status_code == 200
    assert read.headers["ETag"] == f'"{created.json()["id"]}-1"'


def test_another_organisation_gets_404_for_an_account(admin, outsider, api_as):
    acct = factories.account(admin)
    assert api_as(outsider).call("get", f"/accounts/{acct.pk}").status_code == 404
