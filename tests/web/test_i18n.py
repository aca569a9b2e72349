"""English and Bulgarian: Accept-Language, the user's setting, the language switcher."""

import re

from django.test import Client

CYRILLIC = re.compile(r"[\u0400-\u04FF]")


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]*)"', response.content.decode())
    assert match, "no <html lang> in the page"
    return match.group(1)


def heading(response) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S)
    assert match, "no <h1> in the page"
    return match.group(1).strip()


def signed_in(actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def test_the_login_page_is_in_english_by_default(db):
    response = Client().get("/login/")

    assert html_lang(response) == "en"
    assert heading(response) == "Sign in to Funia"
    assert response.headers["Content-Language"] == "en"


def test_the_login_page_is_in_bulgarian_for_accept_language_bg(db):
    response = Client().get("/login/", headers={"accept-language": "bg,en;q=0.5"})

    assert html_lang(response) == "bg"
    assert response.headers["Content-Language"] == "bg"
    assert CYRILLIC.search(heading(response)), (
        f"the heading {heading(response)!r} is not Bulgarian: is "
        "src/funia/locale/bg/LC_MESSAGES/django.po translated and compiled "
        "(`funia compilemessages`)?"
    )


def test_responses_vary_on_accept_language(db):
    response = Client().get("/login/")

    assert "Accept-Language" in response.headers["Vary"]


def test_a_signed_in_users_language_setting_wins_over_accept_language(admin):
    admin.user.language = "bg"
    admin.user.save(update_fields=["language"])

    response = signed_in(admin).get("/profile/", headers={"accept-language": "en"})

    assert html_lang(response) == "bg"
    assert response.headers["Content-Language"] == "bg"


def test_choosing_bulgarian_on_the_profile_page_turns_the_interface_bulgarian(admin):
    client = signed_in(admin)

    client.post("/profile/", {"language": "bg"})

    response = client.get("/profile/", headers={"accept-language": "en"})
    assert html_lang(response) == "bg"


def test_posting_a_language_stores_it_on_the_signed_in_user(admin):
    response = signed_in(admin).post("/language/", {"language": "bg", "next": "/profile/"})

    assert response.status_code == 302
    assert response.url == "/profile/"
    admin.user.refresh_from_db()
    assert admin.user.language == "bg"


def test_posting_a_language_switches_the_next_pages(admin):
    client = signed_in(admin)

    client.post("/language/", {"language": "bg", "next": "/profile/"})

    response = client.get("/profile/", headers={"accept-language": "en"})
    assert html_lang(response) == "bg"
    assert response.headers["Content-Language"] == "bg"


def test_an_anonymous_visitor_switches_the_language_of_the_login_page(db):
    client = Client()

    client.post("/language/", {"language": "bg", "next": "/login/"})

    assert html_lang(client.get("/login/")) == "bg"


def test_an_unknown_language_changes_nothing(admin):
    client = signed_in(admin)

    response = client.post("/language/", {"language": "xx", "next": "/profile/"})

    assert response.status_code == 302
    admin.user.refresh_from_db()
    assert admin.user.language == ""
    assert html_lang(client.get("/profile/")) == "en"


def test_the_language_switch_does_not_redirect_to_another_site(db):
    response = Client().post("/language/", {"language": "bg", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response.url == "/"


def test_the_language_switch_is_post_only(db):
    assert Client().get("/language/?language=bg").status_code == 405
