def test_text_with_a_nul_character_is_refused_with_a_field_error(admin, api_as):
    response = api_as(admin).call("post", "/accounts", {"name": "Acme\u0000Ltd"})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "name", "message": "Value error, NUL characters are not allowed."}
    ]


def test_a_search_with_a_nul_character_is_refused(admin, api_as):
    response = api_as(admin).call("get", "/accounts", {"q": "a\u0000"})

    assert response.status_code == 422


def test_an_id_beyond_the_database_range_is_refused_not_a_server_error(admin, api_as):
    response = api_as(admin).call("get", "/accounts/99999999999999999999999")

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_a_web_page_with_an_id_beyond_the_database_range_is_not_found(admin, web_as):
    assert web_as(admin).get("/accounts/99999999999999999999999/").status_code == 404
