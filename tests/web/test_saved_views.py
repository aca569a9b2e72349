from funia.core.models import SavedView
from tests import factories


def test_a_user_saves_the_current_filters_and_opens_them_later(admin, web_as):
    factories.account(admin, name="Sofia Steel", industry="Manufacturing")
    factories.account(admin, name="Varna Fish", industry="Food")
    client = web_as(admin)

    response = client.post(
        "/views/save/",
        {"list_key": "account_list", "name": "Factories", "query": "industry=Manufacturing&page=3"},
    )

    assert response.status_code == 302
    assert response.url == "/accounts/?industry=Manufacturing"
    page = client.get("/accounts/").content.decode()
    assert "Factories" in page
    filtered = client.get(response.url).content.decode()
    assert "Sofia Steel" in filtered and "Varna Fish" not in filtered


def test_a_private_view_is_not_shown_to_colleagues_but_a_shared_one_is(admin, rep, web_as):
    web_as(admin).post("/views/save/", {"list_key": "contact_list", "name": "Mine", "query": "q=a"})
    web_as(admin).post(
        "/views/save/",
        {"list_key": "contact_list", "name": "Everyone's", "query": "q=b", "shared": "on"},
    )

    page = web_as(rep).get("/contacts/").content.decode()

    assert "Everyone&#x27;s" in page or "Everyone's" in page
    assert ">Mine<" not in page


def test_a_colleague_cannot_delete_someone_elses_view(admin, rep, web_as):
    web_as(admin).post(
        "/views/save/", {"list_key": "contact_list", "name": "Team", "query": "", "shared": "on"}
    )
    view = SavedView.objects.for_tenant(admin.tenant).get()

    response = web_as(rep).post(f"/views/{view.pk}/delete/", {"list_key": "contact_list"})

    assert response.status_code == 403
    assert SavedView.objects.for_tenant(admin.tenant).exists()


def test_a_view_of_another_organisation_is_not_found(admin, outsider, web_as):
    web_as(outsider).post("/views/save/", {"list_key": "contact_list", "name": "X", "query": ""})
    view = SavedView.objects.for_tenant(outsider.tenant).get()

    response = web_as(admin).post(f"/views/{view.pk}/delete/", {"list_key": "contact_list"})

    assert response.status_code == 404
    assert SavedView.objects.for_tenant(outsider.tenant).exists()


def test_saving_a_view_of_an_unknown_list_is_not_found(admin, web_as):
    response = web_as(admin).post("/views/save/", {"list_key": "nope", "name": "X"})

    assert response.status_code == 404
